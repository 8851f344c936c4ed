using Argos.DataPath.Codecs;
using Argos.Format;

namespace Argos.Native.Tests;

public class StripeCipherTests
{
    // Cheap Argon2id costs keep the tests fast; production defaults are exercised in KdfParametersTests.
    private static readonly KdfParameters s_fastKdf = new(1, 8UL << 20, "saltsaltsaltsalt"u8);
    private static readonly byte[] s_poolId = Convert.FromHexString("00112233445566778899aabbccddeeff");

    [Fact]
    public void Seal_ThenOpen_RoundTrips()
    {
        using StripeCipher cipher = StripeCipher.FromKey(new byte[32]);
        foreach (int length in new[] { 0, 1, 4096, 1 << 20 })
        {
            byte[] plaintext = TestData.Random(length, length);
            byte[] aad = Aad(7, 3, length);
            byte[] sealedStripe = new byte[StripeCipher.SealedLength(length)];
            Assert.Equal(length + 40, cipher.Seal(plaintext, aad, sealedStripe));
            if (length >= 16)
            {
                Assert.NotEqual(plaintext[..16], sealedStripe[24..40]);
            }

            byte[] back = new byte[length];
            Assert.Equal(length, cipher.Open(sealedStripe, aad, back));
            Assert.Equal(plaintext, back);
        }
    }

    [Fact]
    public void Seal_SamePlaintextTwice_UsesFreshNonces()
    {
        using StripeCipher cipher = StripeCipher.FromKey(new byte[32]);
        byte[] a = new byte[StripeCipher.SealedLength(64)];
        byte[] b = new byte[a.Length];
        cipher.Seal(new byte[64], [], a);
        cipher.Seal(new byte[64], [], b);
        Assert.NotEqual(a[..24], b[..24]);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Seal_InPlace_RoundTrips()
    {
        using StripeCipher cipher = StripeCipher.FromKey(new byte[32]);
        byte[] plaintext = TestData.Compressible(5000, 1);
        byte[] buffer = new byte[StripeCipher.SealedLength(plaintext.Length)];
        plaintext.CopyTo(buffer, StripeCipher.NonceBytes);
        cipher.Seal(buffer.AsSpan(StripeCipher.NonceBytes, plaintext.Length), "aad"u8, buffer);
        Assert.Equal(plaintext.Length, cipher.Open(buffer, "aad"u8, buffer.AsSpan(StripeCipher.NonceBytes, plaintext.Length)));
        Assert.Equal(plaintext, buffer[StripeCipher.NonceBytes..^StripeCipher.TagBytes]);
    }

    [Fact]
    public void Seal_BadOverlap_Throws()
    {
        using StripeCipher cipher = StripeCipher.FromKey(new byte[32]);
        byte[] buffer = new byte[200];
        Assert.Throws<ArgumentException>(() => cipher.Seal(buffer.AsSpan(0, 100), [], buffer.AsSpan(0, 140)));
    }

    [Fact]
    public void Open_TamperedCiphertextNonceTagAadOrKey_ThrowsTyped()
    {
        using StripeCipher cipher = StripeCipher.FromKey(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        byte[] plaintext = TestData.Random(1000, 2);
        byte[] aad = Aad(1, 2, plaintext.Length);
        byte[] sealedStripe = new byte[StripeCipher.SealedLength(plaintext.Length)];
        cipher.Seal(plaintext, aad, sealedStripe);
        byte[] back = new byte[plaintext.Length];

        foreach (int position in new[] { 0, 23, 24, 500, sealedStripe.Length - 16, sealedStripe.Length - 1 })
        {
            byte[] bad = (byte[])sealedStripe.Clone();
            bad[position] ^= 0x04;
            var e = Assert.Throws<StripeAuthenticationException>(() => cipher.Open(bad, aad, back));
            Assert.Equal(Argos.Platform.Errno.EIO, e.Errno);
            Assert.Contains("failed authentication", e.Message, StringComparison.Ordinal);
        }

        Assert.Throws<StripeAuthenticationException>(() => cipher.Open(sealedStripe, Aad(1, 3, plaintext.Length), back));
        Assert.Throws<StripeAuthenticationException>(() => cipher.Open(sealedStripe, [], back));
        Assert.Throws<StripeAuthenticationException>(() => cipher.Open(sealedStripe.AsSpan(0, 39), aad, back));
        Assert.Throws<StripeAuthenticationException>(() => cipher.Open(sealedStripe.AsSpan(0, sealedStripe.Length - 1), aad, back));

        using StripeCipher other = StripeCipher.FromKey(new byte[32]);
        Assert.Throws<StripeAuthenticationException>(() => other.Open(sealedStripe, aad, back));
        Assert.False(other.TryOpen(sealedStripe, aad, back, out int length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void Derive_SamePassphraseAndParams_SameKey_DifferentSalt_DifferentKey()
    {
        using StripeCipher a = StripeCipher.Derive("passphrase"u8, s_fastKdf);
        using StripeCipher b = StripeCipher.Derive("passphrase"u8, s_fastKdf);
        using StripeCipher c = StripeCipher.Derive("passphrase"u8, new KdfParameters(1, 8UL << 20, "SALTsaltsaltsalt"u8));
        byte[] sealedStripe = new byte[StripeCipher.SealedLength(100)];
        a.Seal(new byte[100], "x"u8, sealedStripe);
        Assert.True(b.TryOpen(sealedStripe, "x"u8, new byte[100], out _));
        Assert.False(c.TryOpen(sealedStripe, "x"u8, new byte[100], out _));
    }

    [Fact]
    public void KeyCheck_RightKeyPasses_WrongKeyNamedClearly()
    {
        byte[] check = new byte[StripeCipher.KeyCheckBytes];
        using (StripeCipher creator = StripeCipher.Derive("right"u8, s_fastKdf))
        {
            creator.WriteKeyCheck(s_poolId, s_fastKdf, check);
        }

        using (StripeCipher same = StripeCipher.Derive("right"u8, s_fastKdf))
        {
            same.VerifyKeyCheck(check, s_poolId, s_fastKdf);
        }

        using StripeCipher wrong = StripeCipher.Derive("wrong"u8, s_fastKdf);
        var e = Assert.Throws<EncryptionKeyException>(() => wrong.VerifyKeyCheck(check, s_poolId, s_fastKdf));
        Assert.Equal(KeyProblem.Wrong, e.Problem);
        Assert.Equal(Argos.Platform.Errno.EACCES, e.Errno);
        Assert.Contains("wrong key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyCheck_OtherPoolOrAlteredParams_Rejected()
    {
        byte[] check = new byte[StripeCipher.KeyCheckBytes];
        using StripeCipher cipher = StripeCipher.Derive("right"u8, s_fastKdf);
        cipher.WriteKeyCheck(s_poolId, s_fastKdf, check);
        byte[] otherPool = (byte[])s_poolId.Clone();
        otherPool[0] ^= 1;
        Assert.Throws<EncryptionKeyException>(() => cipher.VerifyKeyCheck(check, otherPool, s_fastKdf));
        Assert.Throws<EncryptionKeyException>(() => cipher.VerifyKeyCheck(check, s_poolId, new KdfParameters(2, 8UL << 20, s_fastKdf.Salt)));
        Assert.Throws<EncryptionKeyException>(() => cipher.VerifyKeyCheck(check.AsSpan(0, 55), s_poolId, s_fastKdf));
    }

    [Fact]
    public void Unlock_FromEnvironmentDelegate_RightAndWrongAndMissing()
    {
        byte[] check = new byte[StripeCipher.KeyCheckBytes];
        using (StripeCipher creator = StripeCipher.Derive("open sesame"u8, s_fastKdf))
        {
            creator.WriteKeyCheck(s_poolId, s_fastKdf, check);
        }

        using (StripeCipher ok = StripeCipher.Unlock(s_fastKdf, check, s_poolId, environment: Env(("ARGOSFS_KEY", "open sesame"))))
        {
            byte[] sealedStripe = new byte[StripeCipher.SealedLength(10)];
            ok.Seal(new byte[10], [], sealedStripe);
        }

        var wrong = Assert.Throws<EncryptionKeyException>(
            () => StripeCipher.Unlock(s_fastKdf, check, s_poolId, environment: Env(("ARGOSFS_KEY", "open says me"))));
        Assert.Equal(KeyProblem.Wrong, wrong.Problem);
        Assert.Contains("ARGOSFS_KEY", wrong.Message, StringComparison.Ordinal);

        var missing = Assert.Throws<EncryptionKeyException>(() => StripeCipher.Unlock(s_fastKdf, check, s_poolId, environment: Env()));
        Assert.Equal(KeyProblem.Missing, missing.Problem);
        Assert.Equal("encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file", missing.Message);

        using var stdin = new MemoryStream("open sesame\n"u8.ToArray());
        using StripeCipher viaStdin = StripeCipher.Unlock(s_fastKdf, check, s_poolId, keyFile: "-", environment: Env(), standardInput: stdin);
    }

    [Fact]
    public void Dispose_ThenUse_Throws()
    {
        StripeCipher cipher = StripeCipher.FromKey(new byte[32]);
        cipher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => cipher.Seal(new byte[4], [], new byte[44]));
    }

    [Fact]
    public void FromKey_WrongLength_Throws() => Assert.Throws<ArgumentException>(() => StripeCipher.FromKey(new byte[16]));

    [Fact]
    public void Seal_ConcurrentThreads_AllOpen()
    {
        using StripeCipher cipher = StripeCipher.FromKey(new byte[32]);
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            byte[] plaintext = TestData.Random(300 + i, i);
            byte[] aad = Aad((ulong)i, (ulong)i, plaintext.Length);
            byte[] sealedStripe = new byte[StripeCipher.SealedLength(plaintext.Length)];
            cipher.Seal(plaintext, aad, sealedStripe);
            byte[] back = new byte[plaintext.Length];
            cipher.Open(sealedStripe, aad, back);
            Assert.Equal(plaintext, back);
        });
    }

    [Fact]
    public void AssociatedData_Layout_IsDeclared()
    {
        byte[] aad = new byte[StripeAssociatedData.Size];
        StripeAssociatedData.Write(aad, s_poolId, new InodeId(0x0102030405060708), new StripeIndex(9), CompressionCodec.Lz4, 0x1000);
        Assert.Equal(37, StripeAssociatedData.Size);
        Assert.Equal(TestData.Hex(
            "00112233445566778899aabbccddeeff" + // poolId
            "0807060504030201" +                 // inode
            "0900000000000000" +                 // stripeIndex
            "02" +                               // codec = Lz4
            "00100000"), aad);                   // logicalLength
        Assert.Throws<ArgumentException>(() => StripeAssociatedData.Write(aad, new byte[8], default, default, 0, 0));
    }

    internal static Func<string, string?> Env(params (string Name, string Value)[] variables)
        => name => variables.FirstOrDefault(v => v.Name == name).Value;

    private static byte[] Aad(ulong inode, ulong stripe, int length)
    {
        byte[] aad = new byte[StripeAssociatedData.Size];
        StripeAssociatedData.Write(aad, s_poolId, new InodeId(inode), new StripeIndex(stripe), CompressionCodec.None, length);
        return aad;
    }
}
