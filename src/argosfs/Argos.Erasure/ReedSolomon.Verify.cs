// Verify (recompute parity and compare) and the incremental parity update (see ReedSolomon.cs).
using Argos.Erasure.Kernels;

namespace Argos.Erasure;

public sealed unsafe partial class ReedSolomon
{
    // Verify recomputes parity VerifyChunkBytes at a time, MaxRowsPerPass rows at once, on the stack.
    private const int VerifyChunkBytes = 4096;

    /// <summary>True when the m parity shards match the k data shards (shards back to back, k + m of them).</summary>
    public bool Verify(ReadOnlySpan<byte> stripe)
    {
        int n = TotalShards;
        if (stripe.Length % n != 0)
        {
            ThrowHelper.Argument(nameof(stripe), $"stripe is {stripe.Length} bytes, not a whole number of {n} shards ({DataShards}+{ParityShards})");
        }
        int len = stripe.Length / n;
        if (len == 0 || ParityShards == 0) return true;

        byte** shards = stackalloc byte*[n];
        fixed (byte* s = stripe)
        {
            for (int i = 0; i < n; i++) shards[i] = s + ((nint)i * len);
            return VerifyCore(shards, len);
        }
    }

    /// <summary>True when shards[k..k+m) match what encoding shards[0..k) produces.</summary>
    public bool Verify(ReadOnlySpan<ReadOnlyMemory<byte>> shards)
    {
        int n = TotalShards;
        if (shards.Length != n) ThrowHelper.Argument(nameof(shards), $"{shards.Length} shards given to a {DataShards}+{ParityShards} codec; pass all {n}");
        int len = shards[0].Length;
        for (int i = 1; i < n; i++) CheckLength(nameof(shards), i, shards[i].Length, len);
        if (len == 0 || ParityShards == 0) return true;

        byte** pointers = stackalloc byte*[n];
        System.Buffers.MemoryHandle[] pins = t_pins ??= new System.Buffers.MemoryHandle[MaxTotalShards];
        int pinned = 0;
        try
        {
            for (int i = 0; i < n; i++) pointers[i] = Pin(pins, ref pinned, shards[i]);
            return VerifyCore(pointers, len);
        }
        finally
        {
            Unpin(pins, pinned);
        }
    }

    private bool VerifyCore(byte** shards, int len)
    {
        int k = DataShards, m = ParityShards;
        const int rowsPerPass = DotKernels.MaxRowsPerPass;
        byte* scratch = stackalloc byte[rowsPerPass * VerifyChunkBytes];
        byte** outputs = stackalloc byte*[rowsPerPass];
        byte** inputs = stackalloc byte*[k];
        for (int r = 0; r < rowsPerPass; r++) outputs[r] = scratch + (r * VerifyChunkBytes);

        bool same = true;
        for (int offset = 0; offset < len && same; offset += VerifyChunkBytes)
        {
            int chunk = Math.Min(VerifyChunkBytes, len - offset);
            for (int j = 0; j < k; j++) inputs[j] = shards[j] + offset;
            for (int r0 = 0; r0 < m && same; r0 += rowsPerPass)
            {
                int rows = Math.Min(rowsPerPass, m - r0);
                DotKernels.Run(_kernel, _parity.Row(r0), _parity.Stride, k, inputs, rows, outputs, chunk);
                for (int r = 0; r < rows && same; r++)
                {
                    same = new ReadOnlySpan<byte>(outputs[r], chunk).SequenceEqual(new ReadOnlySpan<byte>(shards[k + r0 + r] + offset, chunk));
                }
            }
        }
        GC.KeepAlive(_parity);
        return same;
    }

    /// <summary>
    /// Folds a change of data shard <paramref name="dataIndex"/> from <paramref name="oldData"/> to
    /// <paramref name="newData"/> into parity shard <paramref name="parityIndex"/> (0..m-1). The three
    /// spans cover the same byte range of their shards: pass only the changed range.
    /// </summary>
    public void UpdateParity(int dataIndex, ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData, int parityIndex, Span<byte> parity)
    {
        if ((uint)dataIndex >= (uint)DataShards)
        {
            throw new ArgumentOutOfRangeException(nameof(dataIndex), dataIndex, $"data shard index must be 0..{DataShards - 1} for a {DataShards}+{ParityShards} codec");
        }
        if ((uint)parityIndex >= (uint)ParityShards)
        {
            throw new ArgumentOutOfRangeException(nameof(parityIndex), parityIndex, $"parity shard index must be 0..{ParityShards - 1} for a {DataShards}+{ParityShards} codec");
        }
        if (newData.Length != oldData.Length || parity.Length != oldData.Length)
        {
            ThrowHelper.Argument(nameof(parity), $"old data ({oldData.Length} bytes), new data ({newData.Length}) and parity ({parity.Length}) must cover the same byte range");
        }
        if (parity.Overlaps(oldData) || parity.Overlaps(newData)) ThrowHelper.Argument(nameof(parity), "parity overlaps the data it is updated from");

        fixed (byte* o = oldData)
        fixed (byte* d = newData)
        fixed (byte* p = parity)
        {
            UpdateKernel.Run(_kernel, _parity.At(parityIndex, dataIndex), o, d, p, parity.Length);
        }
        GC.KeepAlive(_parity);
    }

    /// <summary>
    /// Folds a change of data shard <paramref name="dataIndex"/> into all m parity shards (each span the
    /// same byte range as the data spans).
    /// </summary>
    public void UpdateParity(int dataIndex, ReadOnlySpan<byte> oldData, ReadOnlySpan<byte> newData, ReadOnlySpan<Memory<byte>> parity)
    {
        if (parity.Length != ParityShards)
        {
            ThrowHelper.Argument(nameof(parity), $"{parity.Length} parity shards given to a {DataShards}+{ParityShards} codec; pass exactly {ParityShards}");
        }
        for (int r = 0; r < ParityShards; r++) UpdateParity(dataIndex, oldData, newData, r, parity[r].Span);
    }
}
