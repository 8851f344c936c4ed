// Reconstruction (see the maths in ReedSolomon.cs): a DecodePlan per erasure pattern holds the rows of
// the inverted survivor matrix for the shards to rebuild, as kernel tables, so a repeated pattern (the
// common case: one member down, every stripe missing the same shard) costs one cache lookup.
using System.Buffers;
using System.Collections.Concurrent;
using Argos.Erasure.Kernels;

namespace Argos.Erasure;

public sealed unsafe partial class ReedSolomon
{
    // Bounded: past this many patterns the cache starts over (a 10+4 layout has 1,471 patterns of up to
    // 4 lost shards times the subsets asked for; a few hundred plans cover any realistic failure state).
    internal const int DecodeCacheCapacity = 256;

    private readonly ConcurrentDictionary<ErasurePattern, DecodePlan> _plans = new();

    internal int CachedPlanCount => _plans.Count;

    /// <summary>
    /// Rebuilds every shard i with !present[i]. shards has k + m entries (data 0..k-1, then parity); all
    /// have the same length, and the missing ones are overwritten.
    /// </summary>
    /// <exception cref="TooManyErasuresException">more than m shards are missing.</exception>
    public void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present) =>
        Reconstruct(shards, present, default, allWanted: true);

    /// <summary>
    /// Rebuilds only the shards i with !present[i] and wanted[i] (e.g. just the missing data shards, to
    /// serve a read); other missing shards are left untouched.
    /// </summary>
    /// <exception cref="TooManyErasuresException">more than m shards are missing.</exception>
    public void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, ReadOnlySpan<bool> wanted)
    {
        if (wanted.Length != TotalShards) ThrowHelper.Argument(nameof(wanted), $"wanted has {wanted.Length} flags but the {DataShards}+{ParityShards} stripe has {TotalShards} shards");
        Reconstruct(shards, present, wanted, allWanted: false);
    }

    /// <summary>As <see cref="Reconstruct(ReadOnlySpan{Memory{byte}}, ReadOnlySpan{bool})"/> for a stripe of k + m shards back to back.</summary>
    public void Reconstruct(Span<byte> stripe, ReadOnlySpan<bool> present) =>
        Reconstruct(stripe, present, default, allWanted: true);

    /// <summary>As <see cref="Reconstruct(ReadOnlySpan{Memory{byte}}, ReadOnlySpan{bool}, ReadOnlySpan{bool})"/> for a stripe of k + m shards back to back.</summary>
    public void Reconstruct(Span<byte> stripe, ReadOnlySpan<bool> present, ReadOnlySpan<bool> wanted)
    {
        if (wanted.Length != TotalShards) ThrowHelper.Argument(nameof(wanted), $"wanted has {wanted.Length} flags but the {DataShards}+{ParityShards} stripe has {TotalShards} shards");
        Reconstruct(stripe, present, wanted, allWanted: false);
    }

    private void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, ReadOnlySpan<bool> wanted, bool allWanted)
    {
        int n = TotalShards;
        if (shards.Length != n) ThrowHelper.Argument(nameof(shards), $"{shards.Length} shards given to a {DataShards}+{ParityShards} codec; pass all {n}, missing ones as output buffers");
        int len = shards[0].Length;
        for (int i = 1; i < n; i++) CheckLength(nameof(shards), i, shards[i].Length, len);

        DecodePlan? plan = PlanFor(present, wanted, allWanted);
        if (plan is null || len == 0) return;

        byte** inputs = stackalloc byte*[DataShards];
        byte** outputs = stackalloc byte*[plan.Outputs.Length];
        MemoryHandle[] pins = t_pins ??= new MemoryHandle[MaxTotalShards];
        int pinned = 0;
        try
        {
            for (int j = 0; j < DataShards; j++) inputs[j] = Pin(pins, ref pinned, shards[plan.Survivors[j]]);
            for (int r = 0; r < plan.Outputs.Length; r++) outputs[r] = Pin(pins, ref pinned, shards[plan.Outputs[r]]);
            RunPlan(plan, inputs, outputs, len);
        }
        finally
        {
            Unpin(pins, pinned);
        }
    }

    private void Reconstruct(Span<byte> stripe, ReadOnlySpan<bool> present, ReadOnlySpan<bool> wanted, bool allWanted)
    {
        int n = TotalShards;
        if (stripe.Length % n != 0)
        {
            ThrowHelper.Argument(nameof(stripe), $"stripe is {stripe.Length} bytes, not a whole number of {n} shards ({DataShards}+{ParityShards})");
        }
        int len = stripe.Length / n;

        DecodePlan? plan = PlanFor(present, wanted, allWanted);
        if (plan is null || len == 0) return;

        byte** inputs = stackalloc byte*[DataShards];
        byte** outputs = stackalloc byte*[plan.Outputs.Length];
        fixed (byte* s = stripe)
        {
            for (int j = 0; j < DataShards; j++) inputs[j] = s + ((nint)plan.Survivors[j] * len);
            for (int r = 0; r < plan.Outputs.Length; r++) outputs[r] = s + ((nint)plan.Outputs[r] * len);
            RunPlan(plan, inputs, outputs, len);
        }
    }

    private void RunPlan(DecodePlan plan, byte** inputs, byte** outputs, nint len)
    {
        DotKernels.Run(_kernel, plan.Tables.Pointer, plan.Tables.Stride, DataShards, inputs, plan.Outputs.Length, outputs, len);
        GC.KeepAlive(plan);
    }

    /// <returns>null when nothing asked for is missing.</returns>
    private DecodePlan? PlanFor(ReadOnlySpan<bool> present, ReadOnlySpan<bool> wanted, bool allWanted)
    {
        int n = TotalShards, k = DataShards;
        if (present.Length != n) ThrowHelper.Argument(nameof(present), $"present has {present.Length} flags but the {k}+{ParityShards} stripe has {n} shards");

        var survivors = default(ShardSet);
        var outputs = default(ShardSet);
        int chosen = 0, missing = 0, rebuilt = 0;
        for (int i = 0; i < n; i++)
        {
            if (present[i])
            {
                if (chosen < k)
                {
                    survivors.Add(i);
                    chosen++;
                }
            }
            else
            {
                missing++;
                if (allWanted || wanted[i])
                {
                    outputs.Add(i);
                    rebuilt++;
                }
            }
        }
        if (missing > ParityShards) ThrowHelper.TooManyErasures(missing, k, ParityShards);
        if (rebuilt == 0) return null;

        var pattern = new ErasurePattern(survivors, outputs);
        if (_plans.TryGetValue(pattern, out DecodePlan? plan)) return plan;

        plan = BuildPlan(pattern, rebuilt);
        if (_plans.Count >= DecodeCacheCapacity) _plans.Clear();
        return _plans.GetOrAdd(pattern, plan);
    }

    private DecodePlan BuildPlan(ErasurePattern pattern, int rebuilt)
    {
        int n = TotalShards, k = DataShards;
        var survivors = new int[k];
        var outputs = new int[rebuilt];
        for (int i = 0, s = 0, o = 0; i < n; i++)
        {
            if (pattern.Survivors.Contains(i)) survivors[s++] = i;
            else if (pattern.Outputs.Contains(i)) outputs[o++] = i;
        }

        // B = the survivors' rows of the coding matrix; decode rows come from B^-1.
        var b = new byte[k * k];
        for (int r = 0; r < k; r++) _matrix.AsSpan(survivors[r] * k, k).CopyTo(b.AsSpan(r * k));
        var inverse = new byte[k * k];
        if (!CodingMatrix.TryInvert(b, inverse, k))
        {
            throw new InvalidOperationException($"survivor matrix of the {k}+{ParityShards} Cauchy code is singular; this is a bug in the coding matrix");
        }

        var rows = new byte[rebuilt * k];
        for (int o = 0; o < rebuilt; o++)
        {
            int e = outputs[o];
            Span<byte> row = rows.AsSpan(o * k, k);
            if (e < k)
            {
                inverse.AsSpan(e * k, k).CopyTo(row);
                continue;
            }
            // Parity shard e: a[e] * B^-1 re-encodes it straight from the survivors.
            for (int c = 0; c < k; c++)
            {
                byte s = 0;
                for (int j = 0; j < k; j++) s ^= Gf256.Mul(inverse[(j * k) + c], _matrix[(e * k) + j]);
                row[c] = s;
            }
        }
        return new DecodePlan(survivors, outputs, new NibbleTables(rows, rebuilt, k));
    }

    private sealed class DecodePlan(int[] survivors, int[] outputs, NibbleTables tables)
    {
        public int[] Survivors { get; } = survivors;

        public int[] Outputs { get; } = outputs;

        public NibbleTables Tables { get; } = tables;
    }
}
