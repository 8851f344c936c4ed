using Argos.Platform.Native;

namespace Argos.Native.Tests;

public class SodiumTests
{
    // draft-irtf-cfrg-xchacha-03, A.3.1 (AEAD_XChaCha20_Poly1305).
    private static readonly byte[] s_kaKey = Enumerable.Range(0x80, 32).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_kaNonce = Enumerable.Range(0x40, 24).Select(i => (byte)i).ToArray();
    private static readonly byte[] s_kaAad = TestData.Hex("50515253c0c1c2c3c4c5c6c7");
    private static readonly byte[] s_kaPlaintext =
        "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."u8.ToArray();
    private static readonly byte[] s_kaCiphertext = TestData.Hex(
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e");
    private static readonly byte[] s_kaTag = TestData.Hex("c0875924c1c7987947deafd8780acf49");

    [Fact]
    public void AeadEncrypt_DraftVector_MatchesCiphertextAndTag()
    {
        byte[] output = new byte[s_kaPlaintext.Length + Sodium.AeadTagBytes];
        Assert.Equal(output.Length, Sodium.AeadEncrypt(s_kaPlaintext, s_kaAad, s_kaNonce, s_kaKey, output));
        Assert.Equal(s_kaCiphertext, output[..s_kaPlaintext.Length]);
        Assert.Equal(s_kaTag, output[s_kaPlaintext.Length..]);

        byte[] back = new byte[s_kaPlaintext.Length];
        Assert.True(Sodium.AeadDecrypt(output, s_kaAad, s_kaNonce, s_kaKey, back));
        Assert.Equal(s_kaPlaintext, back);
    }

    [Fact]
    public void AeadDetached_DraftVector_MatchesAndRoundTrips()
    {
        byte[] ct = new byte[s_kaPlaintext.Length];
        byte[] tag = new byte[Sodium.AeadTagBytes];
        Sodium.AeadEncryptDetached(s_kaPlaintext, s_kaAad, s_kaNonce, s_kaKey, ct, tag);
        Assert.Equal(s_kaCiphertext, ct);
        Assert.Equal(s_kaTag, tag);
        byte[] back = new byte[ct.Length];
        Assert.True(Sodium.AeadDecryptDetached(ct, tag, s_kaAad, s_kaNonce, s_kaKey, back));
        Assert.Equal(s_kaPlaintext, back);
        tag[0] ^= 1;
        Assert.False(Sodium.AeadDecryptDetached(ct, tag, s_kaAad, s_kaNonce, s_kaKey, back));
        Assert.All(back, b => Assert.Equal(0, b));
    }

    [Fact]
    public void AeadDecrypt_AnyAlteration_FailsAndZeroesOutput()
    {
        byte[] sealedBytes = new byte[s_kaPlaintext.Length + Sodium.AeadTagBytes];
        Sodium.AeadEncrypt(s_kaPlaintext, s_kaAad, s_kaNonce, s_kaKey, sealedBytes);
        byte[] back = new byte[s_kaPlaintext.Length];

        byte[] tampered = (byte[])sealedBytes.Clone();
        tampered[5] ^= 0x01;
        Assert.False(Sodium.AeadDecrypt(tampered, s_kaAad, s_kaNonce, s_kaKey, back));
        Assert.All(back, b => Assert.Equal(0, b));

        byte[] otherNonce = (byte[])s_kaNonce.Clone();
        otherNonce[23] ^= 0x80;
        Assert.False(Sodium.AeadDecrypt(sealedBytes, s_kaAad, otherNonce, s_kaKey, back));
        Assert.False(Sodium.AeadDecrypt(sealedBytes, s_kaAad.AsSpan(1), s_kaNonce, s_kaKey, back));
        byte[] otherKey = (byte[])s_kaKey.Clone();
        otherKey[0] ^= 0x01;
        Assert.False(Sodium.AeadDecrypt(sealedBytes, s_kaAad, s_kaNonce, otherKey, back));
        Assert.False(Sodium.AeadDecrypt(sealedBytes.AsSpan(0, 10), s_kaAad, s_kaNonce, s_kaKey, back));
    }

    [Fact]
    public void AeadEncrypt_InPlace_RoundTrips()
    {
        byte[] buffer = new byte[s_kaPlaintext.Length + Sodium.AeadTagBytes];
        s_kaPlaintext.CopyTo(buffer, 0);
        Sodium.AeadEncrypt(buffer.AsSpan(0, s_kaPlaintext.Length), s_kaAad, s_kaNonce, s_kaKey, buffer);
        Assert.Equal(s_kaCiphertext, buffer[..s_kaPlaintext.Length]);
        Assert.True(Sodium.AeadDecrypt(buffer, s_kaAad, s_kaNonce, s_kaKey, buffer.AsSpan(0, s_kaPlaintext.Length)));
        Assert.Equal(s_kaPlaintext, buffer[..s_kaPlaintext.Length]);
    }

    [Fact]
    public void AeadEncrypt_EmptyPlaintext_IsJustATag()
    {
        byte[] output = new byte[Sodium.AeadTagBytes];
        Assert.Equal(16, Sodium.AeadEncrypt([], s_kaAad, s_kaNonce, s_kaKey, output));
        Assert.True(Sodium.AeadDecrypt(output, s_kaAad, s_kaNonce, s_kaKey, []));
        Assert.False(Sodium.AeadDecrypt(output, [], s_kaNonce, s_kaKey, []));
    }

    [Fact]
    public void Aead_BadNonceOrKeyLength_ThrowsArgument()
    {
        byte[] output = new byte[64];
        Assert.Throws<ArgumentException>(() => Sodium.AeadEncrypt([1, 2], [], new byte[12], s_kaKey, output));
        Assert.Throws<ArgumentException>(() => Sodium.AeadEncrypt([1, 2], [], s_kaNonce, new byte[16], output));
        Assert.Throws<ArgumentException>(() => Sodium.AeadEncrypt(new byte[60], [], s_kaNonce, s_kaKey, output));
    }

    [Fact]
    public void Argon2id_MatchesIndependentImplementation()
    {
        // Computed with OpenSSL's Argon2id (python cryptography 48: Argon2id(salt, length=32,
        // iterations, lanes=1, memory_cost KiB)); libsodium uses one lane and memlimit / 1024 KiB.
        byte[] salt = "0123456789abcdef"u8.ToArray();
        byte[] key = new byte[32];
        Sodium.Argon2id("pw"u8, salt, opsLimit: 1, memLimitBytes: 8192 * 1024, key);
        Assert.Equal(TestData.Hex("69f135e69d3fc979610a927d56de2078f4b893a24441eb46031ec51ed175b6dc"), key);

        Sodium.Argon2id("correct horse battery staple"u8, salt, opsLimit: 3, memLimitBytes: 64UL << 20, key);
        Assert.Equal(TestData.Hex("94c86f541abdb3d9aabfea59aa03963549483e9c0b1a79336e76b54cee6c917e"), key);
    }

    [Fact]
    public void Argon2id_DeterministicAndSaltSensitive()
    {
        byte[] salt = new byte[16];
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        Sodium.Argon2id("secret"u8, salt, 1, 8 << 20, a);
        Sodium.Argon2id("secret"u8, salt, 1, 8 << 20, b);
        Assert.Equal(a, b);
        salt[0] = 1;
        Sodium.Argon2id("secret"u8, salt, 1, 8 << 20, b);
        Assert.NotEqual(a, b);
        salt[0] = 0;
        Sodium.Argon2id("Secret"u8, salt, 1, 8 << 20, b);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Argon2id_BadParameters_ThrowArgument()
    {
        byte[] key = new byte[32];
        Assert.Throws<ArgumentException>(() => Sodium.Argon2id("x"u8, new byte[8], 1, 8 << 20, key));
        Assert.Throws<ArgumentException>(() => Sodium.Argon2id("x"u8, new byte[16], 0, 8 << 20, key));
        Assert.Throws<ArgumentException>(() => Sodium.Argon2id("x"u8, new byte[16], 1, 1024, key));
        Assert.Throws<ArgumentException>(() => Sodium.Argon2id("x"u8, new byte[16], 1, 8 << 20, new byte[8]));
    }

    [Fact]
    public void Blake2b_Abc_MatchesRfc7693()
    {
        byte[] digest = new byte[64];
        Sodium.Blake2b("abc"u8, digest);
        Assert.Equal(TestData.Hex(
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d17d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"), digest);

        byte[] d32 = new byte[32];
        Sodium.Blake2b("abc"u8, d32);
        Assert.Equal(TestData.Hex("bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319"), d32);

        Sodium.Blake2b("abc"u8, d32, "argos"u8);
        Assert.Equal(TestData.Hex("54f9cea9b14ad9a07d43d2bd96ce59bd868d0a12abe33a5c98c224d263ad7ec8"), d32);
    }

    [Fact]
    public void Blake2b_BadLengths_ThrowArgument()
    {
        Assert.Throws<ArgumentException>(() => Sodium.Blake2b("abc"u8, new byte[8]));
        Assert.Throws<ArgumentException>(() => Sodium.Blake2b("abc"u8, new byte[65]));
        Assert.Throws<ArgumentException>(() => Sodium.Blake2b("abc"u8, new byte[32], new byte[65]));
    }

    [Fact]
    public void Blake2bHasher_Incremental_EqualsOneShot()
    {
        byte[] data = TestData.Random(10_000, 1);
        using var hasher = new Blake2bHasher(32, "argos"u8);
        foreach (int split in new[] { 0, 1, 127, 128, 129, 5000, 10_000 })
        {
            hasher.Reset();
            hasher.Update(data.AsSpan(0, split));
            hasher.Update(data.AsSpan(split));
            byte[] incremental = new byte[32];
            hasher.Final(incremental);
            byte[] oneShot = new byte[32];
            Sodium.Blake2b(data, oneShot, "argos"u8);
            Assert.Equal(oneShot, incremental);
        }

        Assert.Throws<InvalidOperationException>(() => hasher.Update("x"u8));
    }

    [Fact]
    public void Blake2bHasher_Abc_MatchesRfc7693()
    {
        using var hasher = new Blake2bHasher(64);
        hasher.Update("a"u8);
        hasher.Update("bc"u8);
        byte[] digest = new byte[64];
        hasher.Final(digest);
        Assert.Equal("ba80a53f981c4d0d", Convert.ToHexStringLower(digest.AsSpan(0, 8)));
    }

    [Fact]
    public void Blake2bHasher_Disposed_Throws()
    {
        var hasher = new Blake2bHasher();
        hasher.Dispose();
        hasher.Dispose();
        Assert.Throws<ObjectDisposedException>(() => hasher.Update("x"u8));
    }

    [Fact]
    public void Sha256_Abc_MatchesFips180()
    {
        byte[] digest = new byte[32];
        Sodium.Sha256("abc"u8, digest);
        Assert.Equal(TestData.Hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), digest);
        Sodium.Sha256([], digest);
        Assert.Equal(TestData.Hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"), digest);
    }

    [Fact]
    public void FixedTimeEquals_ComparesContentAndLength()
    {
        Assert.True(Sodium.FixedTimeEquals("abc"u8, "abc"u8));
        Assert.False(Sodium.FixedTimeEquals("abc"u8, "abd"u8));
        Assert.False(Sodium.FixedTimeEquals("abc"u8, "ab"u8));
        Assert.True(Sodium.FixedTimeEquals([], []));
    }

    [Fact]
    public void RandomBytes_FillsAndDiffers()
    {
        byte[] a = new byte[32];
        byte[] b = new byte[32];
        Sodium.RandomBytes(a);
        Sodium.RandomBytes(b);
        Assert.NotEqual(a, b);
        Assert.NotEqual(new byte[32], a);
    }

    [Fact]
    public void SecretBuffer_ZeroedAndUnusableAfterDispose()
    {
        var secret = SecretBuffer.CopyOf("hunter2"u8);
        Assert.Equal("hunter2"u8.ToArray(), secret.UnsafeSpan.ToArray());
        using (SecretLease lease = secret.Lease())
        {
            Assert.Equal(7, lease.Bytes.Length);
        }

        secret.Dispose();
        Assert.True(secret.IsClosed);
        Assert.Throws<ObjectDisposedException>(() => secret.UnsafeSpan.Length);
    }

    [Fact]
    public void Version_Reported() => Assert.StartsWith("1.0.", Sodium.Version, StringComparison.Ordinal);
}
