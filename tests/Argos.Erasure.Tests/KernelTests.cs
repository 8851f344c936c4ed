using Argos.Erasure.Kernels;
using Xunit;

namespace Argos.Erasure.Tests;

/// <summary>Every kernel this CPU can run against the byte-by-byte reference.</summary>
public sealed class KernelTests
{
    // Only the kernels this CPU runs (xunit 2 cannot skip at run time); Scalar and, on x86-64 with
    // SSSE3, Vector128 are always among them. KernelSelection_ThisCpu_PicksWidest checks the choice.
    // (By name: EcKernel is internal and a public test method cannot take it.)
    public static TheoryData<string> Kernels()
    {
        var data = new TheoryData<string>();
        foreach (EcKernel kernel in Enum.GetValues<EcKernel>())
        {
            if (EcKernels.IsSupported(kernel)) data.Add(kernel.ToString());
        }
        return data;
    }

    [Fact]
    public void KernelSelection_ThisCpu_PicksWidest()
    {
        EcKernel widest = Enum.GetValues<EcKernel>().Where(EcKernels.IsSupported).Max();
        Assert.Equal(widest, EcKernels.Best);
        Assert.Equal(widest, ReedSolomon.Get(4, 2).Kernel);
    }

    // Around every vector width, plus sizes spanning several multi-pass column blocks.
    private static readonly int[] s_lengths = [1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127, 128, 129, 1000, 4096, 4097, 20_011, 70_001];

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Encode_RandomLayoutsAndLengths_MatchesReference(string kernelName)
    {
        var kernel = Enum.Parse<EcKernel>(kernelName);
        var rng = new Random(1000 + (int)kernel);
        foreach (int len in s_lengths)
        {
            for (int trial = 0; trial < 3; trial++)
            {
                int k = rng.Next(1, 21), m = rng.Next(0, 10);
                var codec = ReedSolomon.Create(k, m, kernel);
                byte[][] data = Reference.RandomShards(rng, k, len);
                byte[][] parity = Reference.RandomShards(rng, m, len);   // garbage in: Encode must overwrite
                codec.Encode(Reference.ReadOnly(data), Reference.Writable(parity));
                byte[][] expected = Reference.Parity(codec, data);
                for (int r = 0; r < m; r++) Assert.True(expected[r].AsSpan().SequenceEqual(parity[r]), $"{kernel} {k}+{m} len {len}: parity {r} differs");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Encode_Contiguous_MatchesShardList(string kernelName)
    {
        var kernel = Enum.Parse<EcKernel>(kernelName);
        var rng = new Random(2000 + (int)kernel);
        foreach (int len in s_lengths)
        {
            int k = rng.Next(1, 13), m = rng.Next(1, 7);
            var codec = ReedSolomon.Create(k, m, kernel);
            var stripe = new byte[k * len];
            rng.NextBytes(stripe);
            var parity = new byte[m * len];
            codec.Encode(stripe, parity);

            byte[][] data = Enumerable.Range(0, k).Select(j => stripe.AsSpan(j * len, len).ToArray()).ToArray();
            byte[][] expected = Reference.Parity(codec, data);
            for (int r = 0; r < m; r++) Assert.True(expected[r].AsSpan().SequenceEqual(parity.AsSpan(r * len, len)), $"{kernel} {k}+{m} len {len}: parity {r} differs");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Encode_UnalignedBuffers_MatchesReference(string kernelName)
    {
        var kernel = Enum.Parse<EcKernel>(kernelName);
        var rng = new Random(3000 + (int)kernel);
        const int k = 5, m = 3, len = 1001;
        var codec = ReedSolomon.Create(k, m, kernel);
        byte[][] backing = Reference.RandomShards(rng, k + m, len + 7);
        var data = new ReadOnlyMemory<byte>[k];
        var parity = new Memory<byte>[m];
        for (int j = 0; j < k; j++) data[j] = backing[j].AsMemory(1 + j, len);
        for (int r = 0; r < m; r++) parity[r] = backing[k + r].AsMemory(3 + r, len);
        codec.Encode(data, parity);
        byte[][] expected = Reference.Parity(codec, data.Select(d => d.ToArray()).ToArray());
        for (int r = 0; r < m; r++) Assert.True(expected[r].AsSpan().SequenceEqual(parity[r].Span), $"parity {r} differs");
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void Reconstruct_RandomPatterns_MatchesOriginal(string kernelName)
    {
        var kernel = Enum.Parse<EcKernel>(kernelName);
        var rng = new Random(4000 + (int)kernel);
        foreach (int len in s_lengths)
        {
            int k = rng.Next(1, 17), m = rng.Next(1, 9);
            var codec = ReedSolomon.Create(k, m, kernel);
            byte[][] shards = Reference.RandomShards(rng, k + m, len);
            codec.Encode(Reference.ReadOnly(shards[..k]), Reference.Writable(shards[k..]));
            byte[][] original = shards.Select(s => (byte[])s.Clone()).ToArray();

            int lost = rng.Next(1, m + 1);
            var present = Enumerable.Repeat(true, k + m).ToArray();
            foreach (int i in Enumerable.Range(0, k + m).OrderBy(_ => rng.Next()).Take(lost))
            {
                present[i] = false;
                rng.NextBytes(shards[i]);
            }
            codec.Reconstruct(Reference.Writable(shards), present);
            for (int i = 0; i < k + m; i++) Assert.True(original[i].AsSpan().SequenceEqual(shards[i]), $"{kernel} {k}+{m} len {len}: shard {i} differs");
        }
    }

    [Theory]
    [MemberData(nameof(Kernels))]
    public void UpdateParity_RandomRanges_EqualsFullReencode(string kernelName)
    {
        var kernel = Enum.Parse<EcKernel>(kernelName);
        var rng = new Random(5000 + (int)kernel);
        foreach (int len in s_lengths)
        {
            int k = rng.Next(1, 13), m = rng.Next(1, 7);
            var codec = ReedSolomon.Create(k, m, kernel);
            byte[][] data = Reference.RandomShards(rng, k, len);
            byte[][] parity = Reference.RandomShards(rng, m, len);
            codec.Encode(Reference.ReadOnly(data), Reference.Writable(parity));

            int d = rng.Next(k), start = rng.Next(len), count = rng.Next(1, len - start + 1);
            byte[] oldBytes = data[d].AsSpan(start, count).ToArray();
            rng.NextBytes(data[d].AsSpan(start, count));
            Memory<byte>[] parityRange = parity.Select(p => p.AsMemory(start, count)).ToArray();
            codec.UpdateParity(d, oldBytes, data[d].AsSpan(start, count), parityRange);

            byte[][] expected = Reference.Parity(codec, data);
            for (int r = 0; r < m; r++) Assert.True(expected[r].AsSpan().SequenceEqual(parity[r]), $"{kernel} {k}+{m} len {len} range {start}+{count}: parity {r} differs");
        }
    }
}
