using Xunit;

namespace Argos.Erasure.Tests;

public sealed class GaloisFieldTests
{
    [Fact]
    public void Mul_EveryPair_MatchesIsaL()
    {
        IsaL.EnsureAvailable();
        for (int a = 0; a < 256; a++)
        {
            for (int b = 0; b < 256; b++)
            {
                Assert.Equal(IsaL.gf_mul((byte)a, (byte)b), Gf256.Mul((byte)a, (byte)b));
            }
        }
    }

    [Fact]
    public void Inverse_EveryNonZero_MatchesIsaLAndMultipliesToOne()
    {
        IsaL.EnsureAvailable();
        for (int a = 1; a < 256; a++)
        {
            Assert.Equal(IsaL.gf_inv((byte)a), Gf256.Inverse((byte)a));
            Assert.Equal(1, Gf256.Mul((byte)a, Gf256.Inverse((byte)a)));
        }
        Assert.Throws<DivideByZeroException>(() => Gf256.Inverse(0));
    }

    [Fact]
    public void Exp_GeneratorTwo_HasOrder255()
    {
        var seen = new HashSet<byte>();
        for (int e = 0; e < 255; e++) Assert.True(seen.Add(Gf256.Exp(e)), $"2^{e} repeats an earlier power");
        Assert.Equal(1, Gf256.Exp(255));
        Assert.DoesNotContain((byte)0, seen);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(4, 2)]
    [InlineData(10, 4)]
    [InlineData(20, 8)]
    [InlineData(200, 55)]
    [InlineData(1, 254)]
    public void Cauchy_Layout_MatchesIsaLMatrix(int k, int m)
    {
        IsaL.EnsureAvailable();
        byte[] isal = IsaL.CauchyMatrix(k, m);
        var codec = ReedSolomon.Get(k, m);
        for (int r = 0; r < k + m; r++)
        {
            for (int c = 0; c < k; c++) Assert.Equal(isal[(r * k) + c], codec.Coefficient(r, c));
        }
    }

    [Fact]
    public unsafe void TryInvert_RandomSurvivorMatrices_MatchesIsaLInverse()
    {
        IsaL.EnsureAvailable();
        var rng = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            int k = rng.Next(1, 21), m = rng.Next(1, 9);
            byte[] a = IsaL.CauchyMatrix(k, m);
            int[] rows = Enumerable.Range(0, k + m).OrderBy(_ => rng.Next()).Take(k).Order().ToArray();
            var b = new byte[k * k];
            for (int r = 0; r < k; r++) a.AsSpan(rows[r] * k, k).CopyTo(b.AsSpan(r * k));
            var bCopy = (byte[])b.Clone();
            var ours = new byte[k * k];
            var theirs = new byte[k * k];
            Assert.True(CodingMatrix.TryInvert(b, ours, k));
            fixed (byte* bp = bCopy)
            fixed (byte* tp = theirs)
            {
                Assert.Equal(0, IsaL.gf_invert_matrix(bp, tp, k));
            }
            Assert.Equal(theirs, ours);
        }
    }

    [Fact]
    public void TryInvert_SingularMatrix_ReturnsFalse()
    {
        byte[] singular = [1, 2, 1, 2];   // two equal rows
        Assert.False(CodingMatrix.TryInvert(singular, new byte[4], 2));
    }
}
