using Argos.DataPath.Codecs;

namespace Argos.Native.Tests;

public class KdfParametersTests
{
    [Fact]
    public void WriteThenRead_RoundTrips_WithDeclaredLayout()
    {
        var kdf = new KdfParameters(3, 64UL << 20, Enumerable.Range(0xA0, 16).Select(i => (byte)i).ToArray());
        byte[] bytes = new byte[KdfParameters.Size];
        kdf.Write(bytes);
        Assert.Equal(TestData.Hex(
            "02" + "000000" +                        // algorithm Argon2id13, reserved
            "03000000" +                             // opsLimit = 3
            "0000000400000000" +                     // memLimitBytes = 64 MiB
            "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"), bytes); // salt
        Assert.True(KdfParameters.TryRead(bytes, out KdfParameters back, out string? error), error);
        Assert.Equal(kdf, back);
        Assert.Equal(3u, back.OpsLimit);
        Assert.Equal(64UL << 20, back.MemLimitBytes);
    }

    [Fact]
    public void CreateNew_UsesDefaultsAndRandomSalt()
    {
        KdfParameters a = KdfParameters.CreateNew();
        KdfParameters b = KdfParameters.CreateNew();
        Assert.Equal(3u, a.OpsLimit);
        Assert.Equal(64UL << 20, a.MemLimitBytes);
        Assert.NotEqual(a, b);
        Assert.False(a.Salt.SequenceEqual(b.Salt));
    }

    [Theory]
    [InlineData("01000000030000000000000400000000", "unknown key-derivation algorithm 1")]
    [InlineData("02000100030000000000000400000000", "reserved")]
    [InlineData("02000000000000000000000400000000", "opslimit 0")]
    [InlineData("02000000ff0000000000000400000000", "opslimit 255")]
    [InlineData("02000000030000000010000000000000", "memlimit 4096")]
    [InlineData("02000000030000000000000000010000", "memlimit 1099511627776")]
    public void TryRead_BadField_NamesIt(string headerHex, string expected)
    {
        byte[] bytes = new byte[KdfParameters.Size];
        TestData.Hex(headerHex).CopyTo(bytes, 0);
        Assert.False(KdfParameters.TryRead(bytes, out _, out string? error));
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_Truncated_Fails()
    {
        Assert.False(KdfParameters.TryRead(new byte[31], out _, out string? error));
        Assert.Contains("truncated", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Derive_WithDefaults_CompletesAndMatchesSodium()
    {
        var kdf = new KdfParameters(KdfParameters.DefaultOpsLimit, KdfParameters.DefaultMemLimitBytes, "0123456789abcdef"u8);
        using StripeCipher fromPassphrase = StripeCipher.Derive("correct horse battery staple"u8, kdf);
        // Same key as the independent Argon2id known answer in SodiumTests.
        using StripeCipher fromKey = StripeCipher.FromKey(TestData.Hex("94c86f541abdb3d9aabfea59aa03963549483e9c0b1a79336e76b54cee6c917e"));
        byte[] sealedStripe = new byte[StripeCipher.SealedLength(8)];
        fromPassphrase.Seal("payload!"u8, [], sealedStripe);
        byte[] back = new byte[8];
        fromKey.Open(sealedStripe, [], back);
        Assert.Equal("payload!"u8.ToArray(), back);
    }
}
