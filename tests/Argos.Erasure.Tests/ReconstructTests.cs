using Xunit;

namespace Argos.Erasure.Tests;

public sealed class ReconstructTests
{
    [Theory]
    [InlineData(4, 2)]
    [InlineData(8, 3)]
    [InlineData(10, 4)]
    public void Reconstruct_EveryPatternUpToM_RestoresStripe(int k, int m)
    {
        var rng = new Random((k * 100) + m);
        const int len = 97;   // a vector tail at every width
        var codec = ReedSolomon.Get(k, m);
        byte[][] original = Reference.RandomShards(rng, k + m, len);
        codec.Encode(Reference.ReadOnly(original[..k]), Reference.Writable(original[k..]));

        int patterns = 0;
        foreach (int[] lost in Reference.Subsets(k + m, m))
        {
            byte[][] shards = original.Select(s => (byte[])s.Clone()).ToArray();
            var present = Enumerable.Repeat(true, k + m).ToArray();
            foreach (int i in lost)
            {
                present[i] = false;
                shards[i].AsSpan().Fill(0xEE);
            }
            codec.Reconstruct(Reference.Writable(shards), present);
            for (int i = 0; i < k + m; i++)
            {
                Assert.True(original[i].AsSpan().SequenceEqual(shards[i]), $"{k}+{m} lost [{string.Join(",", lost)}]: shard {i} differs");
            }
            patterns++;
        }
        Assert.Equal(Enumerable.Range(1, m).Sum(s => Binomial(k + m, s)), patterns);
    }

    [Theory]
    [InlineData(16, 4)]
    [InlineData(20, 8)]
    [InlineData(50, 20)]
    [InlineData(200, 55)]
    public void Reconstruct_RandomPatternsLargeLayouts_RestoresStripe(int k, int m)
    {
        var rng = new Random((k * 100) + m);
        const int len = 333;
        var codec = ReedSolomon.Get(k, m);
        var stripe = new byte[(k + m) * len];
        rng.NextBytes(stripe.AsSpan(0, k * len));
        codec.Encode(stripe.AsSpan(0, k * len), stripe.AsSpan(k * len));
        for (int trial = 0; trial < 25; trial++)
        {
            byte[] damaged = (byte[])stripe.Clone();
            var present = Enumerable.Repeat(true, k + m).ToArray();
            int lost = rng.Next(1, m + 1);
            foreach (int i in Enumerable.Range(0, k + m).OrderBy(_ => rng.Next()).Take(lost))
            {
                present[i] = false;
                damaged.AsSpan(i * len, len).Clear();
            }
            codec.Reconstruct(damaged, present);
            Assert.True(stripe.AsSpan().SequenceEqual(damaged), $"{k}+{m} trial {trial} with {lost} lost differs");
        }
    }

    [Theory]
    [InlineData(4, 2)]
    [InlineData(10, 4)]
    [InlineData(3, 0)]
    public void Reconstruct_MPlusOneLost_ThrowsTooManyErasures(int k, int m)
    {
        var codec = ReedSolomon.Get(k, m);
        var shards = Reference.Writable(Reference.RandomShards(new Random(1), k + m, 64));
        var present = Enumerable.Range(0, k + m).Select(i => i > m).ToArray();   // shards 0..m lost

        var e = Assert.Throws<TooManyErasuresException>(() => codec.Reconstruct(shards, present));
        Assert.Equal(m + 1, e.MissingShards);
        Assert.Equal(m, e.ParityShards);
        Assert.Contains($"stripe has {m + 1} shards missing but parity can recover at most {m}", e.Message);
        Assert.Contains("bring a missing member back online", e.Message);
    }

    [Fact]
    public void Reconstruct_WantedSubset_FillsOnlyWantedMissingShards()
    {
        const int k = 6, m = 3, len = 200;
        var codec = ReedSolomon.Get(k, m);
        byte[][] original = Reference.RandomShards(new Random(5), k + m, len);
        codec.Encode(Reference.ReadOnly(original[..k]), Reference.Writable(original[k..]));

        byte[][] shards = original.Select(s => (byte[])s.Clone()).ToArray();
        bool[] present = [true, false, true, true, false, true, true, false, true];   // data 1, 4 and parity 1 lost
        foreach (int i in new[] { 1, 4, 7 }) shards[i].AsSpan().Fill(0xEE);
        bool[] wanted = [.. Enumerable.Range(0, k + m).Select(i => i < k)];            // a read wants data only

        codec.Reconstruct(Reference.Writable(shards), present, wanted);
        Assert.Equal(original[1], shards[1]);
        Assert.Equal(original[4], shards[4]);
        Assert.All(shards[7], b => Assert.Equal(0xEE, b));   // missing parity, not wanted: untouched

        codec.Reconstruct(Reference.Writable(shards), present);
        Assert.Equal(original[7], shards[7]);
    }

    [Fact]
    public void Reconstruct_NothingMissing_LeavesShardsAlone()
    {
        var codec = ReedSolomon.Get(4, 2);
        byte[][] shards = Reference.RandomShards(new Random(9), 6, 50);   // parity deliberately wrong
        byte[][] before = shards.Select(s => (byte[])s.Clone()).ToArray();
        codec.Reconstruct(Reference.Writable(shards), Enumerable.Repeat(true, 6).ToArray());
        for (int i = 0; i < 6; i++) Assert.Equal(before[i], shards[i]);
    }

    [Fact]
    public void Reconstruct_SamePatternTwice_ReusesPlanAndAllocatesNothing()
    {
        const int k = 10, m = 4, len = 4096;
        var codec = ReedSolomon.Create(k, m, Kernels.EcKernels.Best);   // private: no other test churns its plan cache
        byte[][] shards = Reference.RandomShards(new Random(3), k + m, len);
        Memory<byte>[] memories = Reference.Writable(shards);
        ReadOnlyMemory<byte>[] data = Reference.ReadOnly(shards[..k]);
        Memory<byte>[] parity = memories[k..];
        var stripe = new byte[(k + m) * len];
        bool[] present = [false, true, true, false, true, true, true, true, true, true, true, false, true, true];

        // First calls build the plan, JIT the kernels and the thread's pin buffer.
        codec.Encode(data, parity);
        codec.Reconstruct(memories, present);
        codec.Reconstruct(stripe, present);
        codec.Encode(stripe.AsSpan(0, k * len), stripe.AsSpan(k * len));
        codec.Verify(stripe);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++)
        {
            codec.Encode(data, parity);
            codec.Reconstruct(memories, present);
            codec.Encode(stripe.AsSpan(0, k * len), stripe.AsSpan(k * len));
            codec.Reconstruct(stripe, present);
            Assert.True(codec.Verify(stripe));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Reconstruct_ManyDistinctPatterns_CacheStaysBoundedAndCorrect()
    {
        const int k = 10, m = 4, len = 40;
        var codec = ReedSolomon.Create(k, m, Kernels.EcKernels.Best);
        byte[][] original = Reference.RandomShards(new Random(4), k + m, len);
        codec.Encode(Reference.ReadOnly(original[..k]), Reference.Writable(original[k..]));
        int n = 0;
        foreach (int[] lost in Reference.Subsets(k + m, m).Take(ReedSolomon.DecodeCacheCapacity * 3))
        {
            byte[][] shards = original.Select(s => (byte[])s.Clone()).ToArray();
            var present = Enumerable.Range(0, k + m).Select(i => !lost.Contains(i)).ToArray();
            codec.Reconstruct(Reference.Writable(shards), present);
            Assert.True(shards.Zip(original).All(p => p.First.AsSpan().SequenceEqual(p.Second)), $"pattern {n} differs");
            Assert.True(codec.CachedPlanCount <= ReedSolomon.DecodeCacheCapacity, $"cache holds {codec.CachedPlanCount} plans");
            n++;
        }
    }

    [Fact]
    public void Reconstruct_ConcurrentCallersChurningTheCache_AllCorrect()
    {
        const int k = 10, m = 4, len = 300;
        var codec = ReedSolomon.Create(k, m, Kernels.EcKernels.Best);
        byte[][] original = Reference.RandomShards(new Random(8), k + m, len);
        codec.Encode(Reference.ReadOnly(original[..k]), Reference.Writable(original[k..]));
        int[][] patterns = Reference.Subsets(k + m, m).ToArray();
        int failures = 0;
        Parallel.For(0, 4, worker =>
        {
            var rng = new Random(worker);
            for (int n = 0; n < 400; n++)
            {
                int[] lost = patterns[rng.Next(patterns.Length)];
                byte[][] shards = original.Select(s => (byte[])s.Clone()).ToArray();
                foreach (int i in lost) shards[i].AsSpan().Clear();
                codec.Reconstruct(Reference.Writable(shards), Enumerable.Range(0, k + m).Select(i => !lost.Contains(i)).ToArray());
                if (!shards.Zip(original).All(p => p.First.AsSpan().SequenceEqual(p.Second))) Interlocked.Increment(ref failures);
                if (n % 50 == 0) GC.Collect();
            }
        });
        Assert.Equal(0, failures);
    }

    private static int Binomial(int n, int r)
    {
        long c = 1;
        for (int i = 1; i <= r; i++) c = c * (n - r + i) / i;
        return (int)c;
    }
}
