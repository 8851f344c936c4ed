// One vector width's worth of the operations the GF kernels need, so DotKernels and UpdateKernel are
// written once and specialised per width: the JIT (and the AOT compiler) compiles a separate body for
// each struct type argument and inlines these static members, leaving plain intrinsics.
//
// Multiply by the coefficient whose nibble tables sit at t (see NibbleTables):
//     lo = x & 0x0F,  hi = (x >> 4) & 0x0F          once per input vector, shared by all output rows
//     c * x = shuffle(t.lo, lo) ^ shuffle(t.hi, hi)  pshufb: out[i] = table[idx[i] & 15] within 16-byte lanes
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Argos.Erasure.Kernels;

internal unsafe interface ISimd<TV> where TV : struct
{
    static abstract int Width { get; }

    static abstract TV Load(byte* p);

    static abstract void Store(byte* p, TV v);

    static abstract TV Xor(TV a, TV b);

    static abstract TV LowNibbles(TV x);

    static abstract TV HighNibbles(TV x);

    /// <summary>c * x for the coefficient whose tables start at t.</summary>
    static abstract TV Mul(byte* t, TV lo, TV hi);

    /// <summary>acc ^ c * x.</summary>
    static abstract TV MulAcc(TV acc, byte* t, TV lo, TV hi);
}

internal readonly unsafe struct Simd512 : ISimd<Vector512<byte>>
{
    public static int Width => 64;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Load(byte* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector512<byte> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Xor(Vector512<byte> a, Vector512<byte> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> LowNibbles(Vector512<byte> x) => x & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> HighNibbles(Vector512<byte> x) =>
        Vector512.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector512.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> Mul(byte* t, Vector512<byte> lo, Vector512<byte> hi) =>
        Avx512BW.Shuffle(Vector512.Load(t), lo) ^ Avx512BW.Shuffle(Vector512.Load(t + NibbleTables.HiOffset), hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<byte> MulAcc(Vector512<byte> acc, byte* t, Vector512<byte> lo, Vector512<byte> hi) =>
        Avx512F.TernaryLogic(
            acc,
            Avx512BW.Shuffle(Vector512.Load(t), lo),
            Avx512BW.Shuffle(Vector512.Load(t + NibbleTables.HiOffset), hi),
            0x96);   // a ^ b ^ c
}

internal readonly unsafe struct Simd256 : ISimd<Vector256<byte>>
{
    public static int Width => 32;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Load(byte* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector256<byte> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Xor(Vector256<byte> a, Vector256<byte> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> LowNibbles(Vector256<byte> x) => x & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> HighNibbles(Vector256<byte> x) =>
        Vector256.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector256.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> Mul(byte* t, Vector256<byte> lo, Vector256<byte> hi) =>
        Avx2.Shuffle(Vector256.Load(t), lo) ^ Avx2.Shuffle(Vector256.Load(t + NibbleTables.HiOffset), hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<byte> MulAcc(Vector256<byte> acc, byte* t, Vector256<byte> lo, Vector256<byte> hi)
    {
        Vector256<byte> a = Avx2.Shuffle(Vector256.Load(t), lo);
        Vector256<byte> b = Avx2.Shuffle(Vector256.Load(t + NibbleTables.HiOffset), hi);
        return Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(acc, a, b, 0x96) : acc ^ a ^ b;
    }
}

internal readonly unsafe struct Simd128 : ISimd<Vector128<byte>>
{
    public static int Width => 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Load(byte* p) => Vector128.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(byte* p, Vector128<byte> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Xor(Vector128<byte> a, Vector128<byte> b) => a ^ b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> LowNibbles(Vector128<byte> x) => x & Vector128.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> HighNibbles(Vector128<byte> x) =>
        Vector128.ShiftRightLogical(x.AsUInt16(), 4).AsByte() & Vector128.Create((byte)0x0F);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Mul(byte* t, Vector128<byte> lo, Vector128<byte> hi) =>
        Ssse3.Shuffle(Vector128.Load(t), lo) ^ Ssse3.Shuffle(Vector128.Load(t + NibbleTables.HiOffset), hi);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> MulAcc(Vector128<byte> acc, byte* t, Vector128<byte> lo, Vector128<byte> hi)
    {
        Vector128<byte> a = Ssse3.Shuffle(Vector128.Load(t), lo);
        Vector128<byte> b = Ssse3.Shuffle(Vector128.Load(t + NibbleTables.HiOffset), hi);
        return Avx512F.VL.IsSupported ? Avx512F.VL.TernaryLogic(acc, a, b, 0x96) : acc ^ a ^ b;
    }
}
