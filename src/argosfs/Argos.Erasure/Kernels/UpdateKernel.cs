// Incremental parity update. The code is linear, so when data shard d changes from old to new only
// the difference matters:
//
//     parity[r] ^= c[r][d] * (old ^ new)          byte by byte, for every parity row r
//
// This reads and writes the parity in place, so unlike DotKernels it cannot overlap its last vector:
// the tail shorter than a vector is finished one byte at a time.
using System.Runtime.Intrinsics;

namespace Argos.Erasure.Kernels;

internal static unsafe class UpdateKernel
{
    /// <summary>parity[i] ^= c * (oldData[i] ^ newData[i]) for i &lt; len; t is c's nibble tables.</summary>
    public static void Run(EcKernel kernel, byte* t, byte* oldData, byte* newData, byte* parity, nint len)
    {
        nint done = kernel switch
        {
            EcKernel.Vector512 => Vectors<Simd512, Vector512<byte>>(t, oldData, newData, parity, len),
            EcKernel.Vector256 => Vectors<Simd256, Vector256<byte>>(t, oldData, newData, parity, len),
            EcKernel.Vector128 => Vectors<Simd128, Vector128<byte>>(t, oldData, newData, parity, len),
            _ => 0,
        };
        for (nint i = done; i < len; i++)
        {
            int x = oldData[i] ^ newData[i];
            parity[i] ^= (byte)(t[x & 15] ^ t[NibbleTables.HiOffset + (x >> 4)]);
        }
    }

    private static nint Vectors<TS, TV>(byte* t, byte* oldData, byte* newData, byte* parity, nint len)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        nint i = 0;
        for (; i + TS.Width <= len; i += TS.Width)
        {
            TV x = TS.Xor(TS.Load(oldData + i), TS.Load(newData + i));
            TS.Store(parity + i, TS.MulAcc(TS.Load(parity + i), t, TS.LowNibbles(x), TS.HighNibbles(x)));
        }
        return i;
    }
}
