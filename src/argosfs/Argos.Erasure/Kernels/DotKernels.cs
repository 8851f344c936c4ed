// The one hot loop of the codec: a GF(2^8) matrix-vector product applied byte column by byte column,
//
//     out[r][i] = XOR over j < k of  c[r][j] * in[j][i]        for r < rows, i < len
//
// Encoding is this with the parity rows of the coding matrix; reconstruction is this with rows of the
// inverted survivor matrix. Like ISA-L's gf_Nvect_dot_prod, one pass over the inputs produces up to
// MaxRowsPerPass outputs: each input vector is loaded and split into nibbles once, multiplied into
// every output's accumulator (kept in registers), and each output is stored once. More rows than that
// run in several passes over column blocks small enough that the inputs are still in L1/L2.
// The main loop takes two vectors per step, so each table load and input pointer serves both and
// the two dependency chains overlap (on Zen 5 this doubled 10+4 throughput over one vector per
// step; four per step measured no better and needs 32 registers). Up to 4 rows x 2 vectors of
// accumulators plus nibbles fit the 16 registers of AVX2 without spilling.
//
// Buffers shorter than a vector drop to a narrower kernel; a length that is not a multiple of the
// vector width finishes with one vector that overlaps the previous one (recomputing identical bytes),
// so outputs must not alias inputs.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Argos.Erasure.Kernels;

internal static unsafe class DotKernels
{
    public const int MaxRowsPerPass = 4;

    /// <summary>
    /// outputs[r] = sum over j of coef(r, j) * inputs[j], for r &lt; rows, over len bytes. Coefficient
    /// (r, j)'s tables are at tab + j * stride + r * 128.
    /// </summary>
    public static void Run(EcKernel kernel, byte* tab, nint stride, int k, byte** inputs, int rows, byte** outputs, nint len)
    {
        if (rows <= 0 || len <= 0) return;
        while (kernel != EcKernel.Scalar && len < Width(kernel)) kernel = EcKernels.Narrower(kernel);

        if (rows <= MaxRowsPerPass)
        {
            Pass(kernel, tab, stride, k, inputs, rows, outputs, 0, len);
            return;
        }

        nint block = BlockBytes(k);
        for (nint start = 0; start < len; start += block)
        {
            nint end = Math.Min(start + block, len);
            for (int r0 = 0; r0 < rows; r0 += MaxRowsPerPass)
            {
                Pass(kernel, tab + (r0 * NibbleTables.BytesPerCoefficient), stride, k, inputs,
                    Math.Min(MaxRowsPerPass, rows - r0), outputs + r0, start, end);
            }
        }
    }

    public static int Width(EcKernel kernel) => kernel switch
    {
        EcKernel.Vector512 => 64,
        EcKernel.Vector256 => 32,
        EcKernel.Vector128 => 16,
        _ => 1,
    };

    // Column block for multi-pass products: k inputs of this size stay within about 128 KiB.
    private static nint BlockBytes(int k) => Math.Clamp((128 * 1024 / k) & ~63, 1024, 16 * 1024);

    private static void Pass(EcKernel kernel, byte* tab, nint stride, int k, byte** inputs, int rows, byte** outputs, nint start, nint end)
    {
        switch (kernel)
        {
            case EcKernel.Vector512:
                Pass<Simd512, Vector512<byte>>(tab, stride, k, inputs, rows, outputs, start, end);
                break;
            case EcKernel.Vector256:
                Pass<Simd256, Vector256<byte>>(tab, stride, k, inputs, rows, outputs, start, end);
                break;
            case EcKernel.Vector128:
                Pass<Simd128, Vector128<byte>>(tab, stride, k, inputs, rows, outputs, start, end);
                break;
            default:
                ScalarPass(tab, stride, k, inputs, rows, outputs, start, end);
                break;
        }
    }

    // Requires end >= TS.Width (guaranteed by Run): the last partial vector overlaps backwards.
    private static void Pass<TS, TV>(byte* tab, nint stride, int k, byte** inputs, int rows, byte** outputs, nint start, nint end)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        nint w = TS.Width;
        nint full = start + ((end - start) & ~(w - 1));
        bool tail = full != end;
        switch (rows)
        {
            case 1:
                Dot1<TS, TV>(tab, stride, k, inputs, outputs[0], start, full);
                if (tail) Dot1<TS, TV>(tab, stride, k, inputs, outputs[0], end - w, end);
                break;
            case 2:
                Dot2<TS, TV>(tab, stride, k, inputs, outputs[0], outputs[1], start, full);
                if (tail) Dot2<TS, TV>(tab, stride, k, inputs, outputs[0], outputs[1], end - w, end);
                break;
            case 3:
                Dot3<TS, TV>(tab, stride, k, inputs, outputs[0], outputs[1], outputs[2], start, full);
                if (tail) Dot3<TS, TV>(tab, stride, k, inputs, outputs[0], outputs[1], outputs[2], end - w, end);
                break;
            default:
                Dot4<TS, TV>(tab, stride, k, inputs, outputs[0], outputs[1], outputs[2], outputs[3], start, full);
                if (tail) Dot4<TS, TV>(tab, stride, k, inputs, outputs[0], outputs[1], outputs[2], outputs[3], end - w, end);
                break;
        }
    }

    private const int C = NibbleTables.BytesPerCoefficient;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot1<TS, TV>(byte* tab, nint stride, int k, byte** inputs, byte* o0, nint start, nint end)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        nint i = start;
        for (; i + (2 * TS.Width) <= end; i += 2 * TS.Width)
        {
            byte* p = inputs[0] + i;
            TV x = TS.Load(p), y = TS.Load(p + TS.Width);
            TV xl = TS.LowNibbles(x), xh = TS.HighNibbles(x), yl = TS.LowNibbles(y), yh = TS.HighNibbles(y);
            byte* t = tab;
            TV a0 = TS.Mul(t, xl, xh), b0 = TS.Mul(t, yl, yh);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                p = inputs[j] + i;
                x = TS.Load(p);
                y = TS.Load(p + TS.Width);
                xl = TS.LowNibbles(x);
                xh = TS.HighNibbles(x);
                yl = TS.LowNibbles(y);
                yh = TS.HighNibbles(y);
                a0 = TS.MulAcc(a0, t, xl, xh);
                b0 = TS.MulAcc(b0, t, yl, yh);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o0 + i + TS.Width, b0);
        }
        for (; i < end; i += TS.Width)
        {
            TV x = TS.Load(inputs[0] + i);
            TV lo = TS.LowNibbles(x), hi = TS.HighNibbles(x);
            byte* t = tab;
            TV a0 = TS.Mul(t, lo, hi);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                x = TS.Load(inputs[j] + i);
                lo = TS.LowNibbles(x);
                hi = TS.HighNibbles(x);
                a0 = TS.MulAcc(a0, t, lo, hi);
            }
            TS.Store(o0 + i, a0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot2<TS, TV>(byte* tab, nint stride, int k, byte** inputs, byte* o0, byte* o1, nint start, nint end)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        nint i = start;
        for (; i + (2 * TS.Width) <= end; i += 2 * TS.Width)
        {
            byte* p = inputs[0] + i;
            TV x = TS.Load(p), y = TS.Load(p + TS.Width);
            TV xl = TS.LowNibbles(x), xh = TS.HighNibbles(x), yl = TS.LowNibbles(y), yh = TS.HighNibbles(y);
            byte* t = tab;
            TV a0 = TS.Mul(t, xl, xh), b0 = TS.Mul(t, yl, yh);
            TV a1 = TS.Mul(t + C, xl, xh), b1 = TS.Mul(t + C, yl, yh);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                p = inputs[j] + i;
                x = TS.Load(p);
                y = TS.Load(p + TS.Width);
                xl = TS.LowNibbles(x);
                xh = TS.HighNibbles(x);
                yl = TS.LowNibbles(y);
                yh = TS.HighNibbles(y);
                a0 = TS.MulAcc(a0, t, xl, xh);
                b0 = TS.MulAcc(b0, t, yl, yh);
                a1 = TS.MulAcc(a1, t + C, xl, xh);
                b1 = TS.MulAcc(b1, t + C, yl, yh);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o0 + i + TS.Width, b0);
            TS.Store(o1 + i, a1);
            TS.Store(o1 + i + TS.Width, b1);
        }
        for (; i < end; i += TS.Width)
        {
            TV x = TS.Load(inputs[0] + i);
            TV lo = TS.LowNibbles(x), hi = TS.HighNibbles(x);
            byte* t = tab;
            TV a0 = TS.Mul(t, lo, hi);
            TV a1 = TS.Mul(t + C, lo, hi);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                x = TS.Load(inputs[j] + i);
                lo = TS.LowNibbles(x);
                hi = TS.HighNibbles(x);
                a0 = TS.MulAcc(a0, t, lo, hi);
                a1 = TS.MulAcc(a1, t + C, lo, hi);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o1 + i, a1);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot3<TS, TV>(byte* tab, nint stride, int k, byte** inputs, byte* o0, byte* o1, byte* o2, nint start, nint end)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        nint i = start;
        for (; i + (2 * TS.Width) <= end; i += 2 * TS.Width)
        {
            byte* p = inputs[0] + i;
            TV x = TS.Load(p), y = TS.Load(p + TS.Width);
            TV xl = TS.LowNibbles(x), xh = TS.HighNibbles(x), yl = TS.LowNibbles(y), yh = TS.HighNibbles(y);
            byte* t = tab;
            TV a0 = TS.Mul(t, xl, xh), b0 = TS.Mul(t, yl, yh);
            TV a1 = TS.Mul(t + C, xl, xh), b1 = TS.Mul(t + C, yl, yh);
            TV a2 = TS.Mul(t + (2 * C), xl, xh), b2 = TS.Mul(t + (2 * C), yl, yh);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                p = inputs[j] + i;
                x = TS.Load(p);
                y = TS.Load(p + TS.Width);
                xl = TS.LowNibbles(x);
                xh = TS.HighNibbles(x);
                yl = TS.LowNibbles(y);
                yh = TS.HighNibbles(y);
                a0 = TS.MulAcc(a0, t, xl, xh);
                b0 = TS.MulAcc(b0, t, yl, yh);
                a1 = TS.MulAcc(a1, t + C, xl, xh);
                b1 = TS.MulAcc(b1, t + C, yl, yh);
                a2 = TS.MulAcc(a2, t + (2 * C), xl, xh);
                b2 = TS.MulAcc(b2, t + (2 * C), yl, yh);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o0 + i + TS.Width, b0);
            TS.Store(o1 + i, a1);
            TS.Store(o1 + i + TS.Width, b1);
            TS.Store(o2 + i, a2);
            TS.Store(o2 + i + TS.Width, b2);
        }
        for (; i < end; i += TS.Width)
        {
            TV x = TS.Load(inputs[0] + i);
            TV lo = TS.LowNibbles(x), hi = TS.HighNibbles(x);
            byte* t = tab;
            TV a0 = TS.Mul(t, lo, hi);
            TV a1 = TS.Mul(t + C, lo, hi);
            TV a2 = TS.Mul(t + (2 * C), lo, hi);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                x = TS.Load(inputs[j] + i);
                lo = TS.LowNibbles(x);
                hi = TS.HighNibbles(x);
                a0 = TS.MulAcc(a0, t, lo, hi);
                a1 = TS.MulAcc(a1, t + C, lo, hi);
                a2 = TS.MulAcc(a2, t + (2 * C), lo, hi);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o1 + i, a1);
            TS.Store(o2 + i, a2);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Dot4<TS, TV>(byte* tab, nint stride, int k, byte** inputs, byte* o0, byte* o1, byte* o2, byte* o3, nint start, nint end)
        where TS : struct, ISimd<TV>
        where TV : struct
    {
        nint i = start;
        for (; i + (2 * TS.Width) <= end; i += 2 * TS.Width)
        {
            byte* p = inputs[0] + i;
            TV x = TS.Load(p), y = TS.Load(p + TS.Width);
            TV xl = TS.LowNibbles(x), xh = TS.HighNibbles(x), yl = TS.LowNibbles(y), yh = TS.HighNibbles(y);
            byte* t = tab;
            TV a0 = TS.Mul(t, xl, xh), b0 = TS.Mul(t, yl, yh);
            TV a1 = TS.Mul(t + C, xl, xh), b1 = TS.Mul(t + C, yl, yh);
            TV a2 = TS.Mul(t + (2 * C), xl, xh), b2 = TS.Mul(t + (2 * C), yl, yh);
            TV a3 = TS.Mul(t + (3 * C), xl, xh), b3 = TS.Mul(t + (3 * C), yl, yh);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                p = inputs[j] + i;
                x = TS.Load(p);
                y = TS.Load(p + TS.Width);
                xl = TS.LowNibbles(x);
                xh = TS.HighNibbles(x);
                yl = TS.LowNibbles(y);
                yh = TS.HighNibbles(y);
                a0 = TS.MulAcc(a0, t, xl, xh);
                b0 = TS.MulAcc(b0, t, yl, yh);
                a1 = TS.MulAcc(a1, t + C, xl, xh);
                b1 = TS.MulAcc(b1, t + C, yl, yh);
                a2 = TS.MulAcc(a2, t + (2 * C), xl, xh);
                b2 = TS.MulAcc(b2, t + (2 * C), yl, yh);
                a3 = TS.MulAcc(a3, t + (3 * C), xl, xh);
                b3 = TS.MulAcc(b3, t + (3 * C), yl, yh);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o0 + i + TS.Width, b0);
            TS.Store(o1 + i, a1);
            TS.Store(o1 + i + TS.Width, b1);
            TS.Store(o2 + i, a2);
            TS.Store(o2 + i + TS.Width, b2);
            TS.Store(o3 + i, a3);
            TS.Store(o3 + i + TS.Width, b3);
        }
        for (; i < end; i += TS.Width)
        {
            TV x = TS.Load(inputs[0] + i);
            TV lo = TS.LowNibbles(x), hi = TS.HighNibbles(x);
            byte* t = tab;
            TV a0 = TS.Mul(t, lo, hi);
            TV a1 = TS.Mul(t + C, lo, hi);
            TV a2 = TS.Mul(t + (2 * C), lo, hi);
            TV a3 = TS.Mul(t + (3 * C), lo, hi);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                x = TS.Load(inputs[j] + i);
                lo = TS.LowNibbles(x);
                hi = TS.HighNibbles(x);
                a0 = TS.MulAcc(a0, t, lo, hi);
                a1 = TS.MulAcc(a1, t + C, lo, hi);
                a2 = TS.MulAcc(a2, t + (2 * C), lo, hi);
                a3 = TS.MulAcc(a3, t + (3 * C), lo, hi);
            }
            TS.Store(o0 + i, a0);
            TS.Store(o1 + i, a1);
            TS.Store(o2 + i, a2);
            TS.Store(o3 + i, a3);
        }
    }

    // Byte at a time through the lo/hi tables: the reference the vector kernels are tested against
    // (besides ISA-L), and the path for CPUs without SSSE3 and for buffers under 16 bytes.
    private static void ScalarPass(byte* tab, nint stride, int k, byte** inputs, int rows, byte** outputs, nint start, nint end)
    {
        for (int r = 0; r < rows; r++)
        {
            byte* o = outputs[r];
            byte* t = tab + (r * C);
            byte* x = inputs[0];
            for (nint i = start; i < end; i++) o[i] = (byte)(t[x[i] & 15] ^ t[NibbleTables.HiOffset + (x[i] >> 4)]);
            for (int j = 1; j < k; j++)
            {
                t += stride;
                x = inputs[j];
                for (nint i = start; i < end; i++) o[i] ^= (byte)(t[x[i] & 15] ^ t[NibbleTables.HiOffset + (x[i] >> 4)]);
            }
        }
    }
}
