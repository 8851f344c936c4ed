using Argos.Erasure.Kernels;
using Xunit;

namespace Argos.Erasure.Tests;

/// <summary>Parity byte-identical to Intel ISA-L's ec_encode_data for the same k, m and data.</summary>
public sealed class IsaLParityTests
{
    public static TheoryData<int, int> Grid()
    {
        var data = new TheoryData<int, int>();
        foreach (int k in new[] { 1, 2, 3, 4, 5, 6, 8, 10, 12, 16, 20 })
        {
            foreach (int m in new[] { 1, 2, 3, 4, 5, 6, 8 }) data.Add(k, m);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Grid))]
    public void Encode_Grid_ByteIdenticalToIsaL(int k, int m)
    {
        IsaL.EnsureAvailable();
        var rng = new Random((k * 31) + m);
        foreach (int len in new[] { 1, 31, 64, 1000, 8193 })
        {
            byte[][] data = Reference.RandomShards(rng, k, len);
            byte[][] isal = IsaL.Encode(data, m);
            foreach (EcKernel kernel in Enum.GetValues<EcKernel>().Where(EcKernels.IsSupported))
            {
                var codec = ReedSolomon.Create(k, m, kernel);
                byte[][] parity = Reference.RandomShards(rng, m, len);
                codec.Encode(Reference.ReadOnly(data), Reference.Writable(parity));
                for (int r = 0; r < m; r++)
                {
                    Assert.True(isal[r].AsSpan().SequenceEqual(parity[r]), $"{kernel} {k}+{m} len {len}: parity {r} differs from ISA-L");
                }
            }
        }
    }

    [Fact]
    public void Encode_WidestLayoutAndLargeShard_ByteIdenticalToIsaL()
    {
        IsaL.EnsureAvailable();
        var rng = new Random(7);
        const int k = 200, m = 55, len = 3000;
        byte[][] data = Reference.RandomShards(rng, k, len);
        byte[][] isal = IsaL.Encode(data, m);
        byte[][] parity = Reference.RandomShards(rng, m, len);
        ReedSolomon.Get(k, m).Encode(Reference.ReadOnly(data), Reference.Writable(parity));
        for (int r = 0; r < m; r++) Assert.True(isal[r].AsSpan().SequenceEqual(parity[r]), $"parity {r} differs from ISA-L");
    }

    [Fact]
    public void EnsureAvailable_LibraryMissing_FailsNamingThePackage()
    {
        var e = Assert.Throws<InvalidOperationException>(() => IsaL.EnsureAvailable("libisal-not-here.so.2"));
        Assert.Contains("apt-get install libisal2", e.Message);
    }
}
