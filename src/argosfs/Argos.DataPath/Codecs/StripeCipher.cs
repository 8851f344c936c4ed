// Stripe encryption: XChaCha20-Poly1305-IETF (libsodium, combined mode), one random 24-byte nonce per
// seal, 16-byte tag, caller-chosen associated data (bind each stripe to its place, e.g. with
// StripeAssociatedData, so a stripe cannot be replayed into another file or offset unnoticed).
//
// Sealed stripe, n = plaintext length, total n + Overhead (40) bytes:
//
//   off      size  field
//     0        24  nonce        random (randombytes_buf) per Seal
//    24         n  ciphertext   XChaCha20 keystream ⊕ plaintext
//    24+n      16  tag          Poly1305 over (associated data, ciphertext)
//
// Key check (KeyCheckBytes = 56), stored beside the KDF parameters so a wrong passphrase is reported
// as such instead of as corrupt data: a seal of the 16 ASCII bytes "argosfs-keycheck" with associated
// data = "argosfs key check v1" ‖ pool id ‖ KdfParameters (32 bytes, as stored).
//
// Key: 32 bytes = Argon2id(passphrase, KdfParameters), derived once per open, held in a SecretBuffer
// (native memory, mlocked when allowed, zeroed on Dispose). Seal/Open are thread-safe and allocate
// nothing; a concurrent Dispose waits for in-flight calls (SafeHandle reference count).
using Argos.Platform.Native;

namespace Argos.DataPath.Codecs;

/// <summary>Seals and opens stripe payloads under a pool's derived key.</summary>
public sealed class StripeCipher : IDisposable
{
    public const int KeyBytes = Sodium.AeadKeyBytes;
    public const int NonceBytes = Sodium.AeadNonceBytes;
    public const int TagBytes = Sodium.AeadTagBytes;
    public const int Overhead = NonceBytes + TagBytes;
    public const int KeyCheckBytes = NonceBytes + 16 + TagBytes;

    private static ReadOnlySpan<byte> KeyCheckPlaintext => "argosfs-keycheck"u8;
    private static ReadOnlySpan<byte> KeyCheckDomain => "argosfs key check v1"u8;

    private readonly SecretBuffer _key;

    private StripeCipher(SecretBuffer key) => _key = key;

    /// <summary>Derives the key with Argon2id (slow by design: call once per open).</summary>
    public static StripeCipher Derive(ReadOnlySpan<byte> passphrase, in KdfParameters kdf)
    {
        if (passphrase.IsEmpty)
        {
            throw new EncryptionKeyException(KeyProblem.Invalid, "encrypted pool: the passphrase is empty");
        }

        var key = new SecretBuffer(KeyBytes);
        try
        {
            Sodium.Argon2id(passphrase, kdf.Salt, kdf.OpsLimit, kdf.MemLimitBytes, key.UnsafeSpan);
            return new StripeCipher(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Uses a raw 32-byte key (tests, key escrow); the caller wipes its copy.</summary>
    public static StripeCipher FromKey(ReadOnlySpan<byte> key)
    {
        if (key.Length != KeyBytes)
        {
            throw new ArgumentException($"a stripe key is {KeyBytes} bytes, got {key.Length}", nameof(key));
        }

        return new StripeCipher(SecretBuffer.CopyOf(key));
    }

    /// <summary>
    /// Opens an encrypted pool's cipher: resolve the passphrase (<see cref="KeySource"/> precedence),
    /// derive the key once, verify it against the stored key check. Throws
    /// <see cref="EncryptionKeyException"/> (EACCES) for a missing, unreadable or wrong key.
    /// </summary>
    public static StripeCipher Unlock(in KdfParameters kdf, ReadOnlySpan<byte> keyCheck, ReadOnlySpan<byte> poolId,
        string? keyFile = null, Func<string, string?>? environment = null, Stream? standardInput = null)
    {
        using SecretBuffer passphrase = KeySource.ReadPassphrase(keyFile, out KeyOrigin origin, environment, standardInput);
        StripeCipher cipher = Derive(passphrase.UnsafeSpan, kdf);
        try
        {
            cipher.VerifyKeyCheck(keyCheck, poolId, kdf, origin);
            return cipher;
        }
        catch
        {
            cipher.Dispose();
            throw;
        }
    }

    public static int SealedLength(int plaintextLength) => checked(plaintextLength + Overhead);

    /// <summary>
    /// Seals <paramref name="plaintext"/> into <paramref name="sealedStripe"/> (nonce ‖ ciphertext ‖ tag)
    /// and returns <see cref="SealedLength"/>. The plaintext may already sit at
    /// <c>sealedStripe[NonceBytes..]</c> (in-place); any other overlap is refused.
    /// </summary>
    public int Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData, Span<byte> sealedStripe)
    {
        int length = SealedLength(plaintext.Length);
        if (sealedStripe.Length < length)
        {
            throw new ArgumentException($"sealed stripe needs {length} bytes (payload + {Overhead}), got {sealedStripe.Length}", nameof(sealedStripe));
        }

        CheckOverlap(plaintext, sealedStripe);
        Span<byte> nonce = sealedStripe[..NonceBytes];
        Sodium.RandomBytes(nonce);
        using SecretLease key = _key.Lease();
        Sodium.AeadEncrypt(plaintext, associatedData, nonce, key.Bytes, sealedStripe[NonceBytes..length]);
        return length;
    }

    /// <summary>
    /// Opens a sealed stripe into <paramref name="plaintext"/> and returns the payload length
    /// (sealed length − 40). Throws <see cref="StripeAuthenticationException"/> (EIO) when the tag
    /// does not verify. In-place at <c>sealedStripe[NonceBytes..]</c> is allowed.
    /// </summary>
    public int Open(ReadOnlySpan<byte> sealedStripe, ReadOnlySpan<byte> associatedData, Span<byte> plaintext)
    {
        if (!TryOpen(sealedStripe, associatedData, plaintext, out int length))
        {
            throw new StripeAuthenticationException(sealedStripe.Length < Overhead
                ? $"sealed stripe is {sealedStripe.Length} bytes, shorter than nonce + tag ({Overhead}): truncated"
                : $"sealed stripe of {sealedStripe.Length} bytes failed authentication: altered on disk, misplaced (associated data differs), or sealed under another key");
        }

        return length;
    }

    /// <summary>As <see cref="Open"/>, returning false instead of throwing on authentication failure.</summary>
    public bool TryOpen(ReadOnlySpan<byte> sealedStripe, ReadOnlySpan<byte> associatedData, Span<byte> plaintext, out int length)
    {
        length = 0;
        if (sealedStripe.Length < Overhead)
        {
            return false;
        }

        int payload = sealedStripe.Length - Overhead;
        if (plaintext.Length < payload)
        {
            throw new ArgumentException($"plaintext needs {payload} bytes, got {plaintext.Length}", nameof(plaintext));
        }

        CheckOverlap(plaintext, sealedStripe);
        using SecretLease key = _key.Lease();
        if (!Sodium.AeadDecrypt(sealedStripe[NonceBytes..], associatedData, sealedStripe[..NonceBytes], key.Bytes, plaintext[..payload]))
        {
            return false;
        }

        length = payload;
        return true;
    }

    /// <summary>Writes the 56-byte key check for a new pool (store it with the KDF parameters).</summary>
    public void WriteKeyCheck(ReadOnlySpan<byte> poolId, in KdfParameters kdf, Span<byte> destination)
    {
        if (destination.Length < KeyCheckBytes)
        {
            throw new ArgumentException($"key check needs {KeyCheckBytes} bytes, got {destination.Length}", nameof(destination));
        }

        Span<byte> aad = stackalloc byte[KeyCheckAadLength(poolId.Length)];
        BuildKeyCheckAad(poolId, kdf, aad);
        Seal(KeyCheckPlaintext, aad, destination[..KeyCheckBytes]);
    }

    /// <summary>Throws <see cref="EncryptionKeyException"/> (<see cref="KeyProblem.Wrong"/>) unless this key made the key check.</summary>
    public void VerifyKeyCheck(ReadOnlySpan<byte> keyCheck, ReadOnlySpan<byte> poolId, in KdfParameters kdf)
        => VerifyKeyCheck(keyCheck, poolId, kdf, KeyOrigin.Direct);

    public void Dispose() => _key.Dispose();

    private void VerifyKeyCheck(ReadOnlySpan<byte> keyCheck, ReadOnlySpan<byte> poolId, in KdfParameters kdf, KeyOrigin origin)
    {
        if (keyCheck.Length != KeyCheckBytes)
        {
            throw new EncryptionKeyException(KeyProblem.Wrong,
                $"encrypted pool: stored key check is {keyCheck.Length} bytes, expected {KeyCheckBytes}: the superblock is damaged");
        }

        Span<byte> aad = stackalloc byte[KeyCheckAadLength(poolId.Length)];
        BuildKeyCheckAad(poolId, kdf, aad);
        Span<byte> plain = stackalloc byte[KeyCheckBytes - Overhead];
        if (!TryOpen(keyCheck, aad, plain, out _) || !Sodium.FixedTimeEquals(plain, KeyCheckPlaintext))
        {
            throw new EncryptionKeyException(KeyProblem.Wrong,
                $"encrypted pool: wrong key (from {Describe(origin)}): the passphrase does not unlock this pool; check {KeySource.KeyFileVariable} or --key-file");
        }
    }

    private static string Describe(KeyOrigin origin) => origin switch
    {
        KeyOrigin.KeyFileOption => "--key-file",
        KeyOrigin.StandardInput => "standard input",
        KeyOrigin.EnvironmentKeyFile => KeySource.KeyFileVariable,
        KeyOrigin.EnvironmentPassphrase => KeySource.KeyVariable,
        _ => "the given passphrase",
    };

    private static int KeyCheckAadLength(int poolIdLength)
    {
        if (poolIdLength > 64)
        {
            throw new ArgumentException($"pool id is {poolIdLength} bytes; at most 64", "poolId");
        }

        return KeyCheckDomain.Length + poolIdLength + KdfParameters.Size;
    }

    private static void BuildKeyCheckAad(ReadOnlySpan<byte> poolId, in KdfParameters kdf, Span<byte> aad)
    {
        KeyCheckDomain.CopyTo(aad);
        poolId.CopyTo(aad[KeyCheckDomain.Length..]);
        kdf.Write(aad[(KeyCheckDomain.Length + poolId.Length)..]);
    }

    private static void CheckOverlap(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> sealedStripe)
    {
        if (sealedStripe.Overlaps(plaintext, out int offset) && offset != NonceBytes)
        {
            throw new ArgumentException(
                $"plaintext overlaps the sealed stripe at offset {offset}; it may only sit exactly at offset {NonceBytes} (in place)");
        }
    }
}
