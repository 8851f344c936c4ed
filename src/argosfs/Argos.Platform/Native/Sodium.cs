using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Argos.Platform.Native;

/// <summary>
/// libsodium (v1.0.18): random bytes, XChaCha20-Poly1305-IETF AEAD, Argon2id13, BLAKE2b, SHA-256,
/// constant-time compare.
/// </summary>
/// <remarks>
/// AEAD: 32-byte key, 24-byte nonce (random nonces are safe at this size: collision odds stay negligible
/// for 2^80 messages per key), 16-byte Poly1305 tag. The combined form writes ciphertext || tag
/// (length = plaintext + 16); the detached form writes the tag separately. Encryption and decryption may
/// run in place (source and destination starting at the same address), never with partial overlap.
/// Decryption verifies the tag before releasing any plaintext; on failure the destination is zeroed.
/// Argon2id13: 16-byte salt, opslimit = passes, memlimit in bytes (libsodium rounds to KiB).
/// <see cref="EnsureInitialized"/> runs sodium_init once (thread-safe); every entry point calls it.
/// </remarks>
public static unsafe partial class Sodium
{
    public const int AeadKeyBytes = 32;     // crypto_aead_xchacha20poly1305_ietf_KEYBYTES
    public const int AeadNonceBytes = 24;   // crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
    public const int AeadTagBytes = 16;     // crypto_aead_xchacha20poly1305_ietf_ABYTES
    public const int Argon2SaltBytes = 16;  // crypto_pwhash_argon2id_SALTBYTES
    public const int Argon2Id13 = 2;        // crypto_pwhash_ALG_ARGON2ID13
    public const ulong Argon2OpsLimitMin = 1;       // crypto_pwhash_argon2id_OPSLIMIT_MIN
    public const ulong Argon2MemLimitMinBytes = 8192; // crypto_pwhash_argon2id_MEMLIMIT_MIN
    public const int Argon2OutputBytesMin = 16;     // crypto_pwhash_argon2id_BYTES_MIN
    public const int Blake2bBytesMin = 16;  // crypto_generichash_blake2b_BYTES_MIN
    public const int Blake2bBytesMax = 64;  // crypto_generichash_blake2b_BYTES_MAX
    public const int Blake2bBytes = 32;     // crypto_generichash_BYTES
    public const int Blake2bKeyBytesMax = 64; // crypto_generichash_blake2b_KEYBYTES_MAX
    public const int Sha256Bytes = 32;      // crypto_hash_sha256_BYTES

    private static readonly object s_initLock = new();
    private static volatile bool s_initialized;

    static Sodium() => NativeLibraries.EnsureFallbackRegistered();

    public static string Version
    {
        get
        {
            EnsureInitialized();
            return Marshal.PtrToStringUTF8(sodium_version_string()) ?? "?";
        }
    }

    /// <summary>Runs sodium_init exactly once; safe to call from any thread, cheap after the first call.</summary>
    public static void EnsureInitialized()
    {
        if (s_initialized)
        {
            return;
        }

        lock (s_initLock)
        {
            if (!s_initialized)
            {
                if (sodium_init() < 0)
                {
                    ThrowError("sodium_init", "initialisation failed (no entropy source? getrandom(2) or /dev/urandom must be available)");
                }

                s_initialized = true;
            }
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from the kernel CSPRNG (getrandom).</summary>
    public static void RandomBytes(Span<byte> buffer)
    {
        EnsureInitialized();
        fixed (byte* p = buffer)
        {
            randombytes_buf(p, (nuint)buffer.Length);
        }
    }

    /// <summary>Combined AEAD encryption: writes ciphertext || tag (plaintext.Length + 16 bytes) and returns that length.</summary>
    public static int AeadEncrypt(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> ciphertextAndTag)
    {
        CheckAeadArguments(nonce, key);
        int length = checked(plaintext.Length + AeadTagBytes);
        if (ciphertextAndTag.Length < length)
        {
            ThrowArgument(nameof(ciphertextAndTag), $"needs {length} bytes (plaintext + {AeadTagBytes}-byte tag), got {ciphertextAndTag.Length}");
        }

        ulong written;
        int rc;
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* c = ciphertextAndTag)
        {
            rc = crypto_aead_xchacha20poly1305_ietf_encrypt(c, &written, m, (ulong)plaintext.Length, ad,
                (ulong)associatedData.Length, null, n, k);
        }

        if (rc != 0 || written != (ulong)length)
        {
            ThrowError("crypto_aead_xchacha20poly1305_ietf_encrypt", $"failed (rc {rc}, {written} bytes)");
        }

        return length;
    }

    /// <summary>
    /// Combined AEAD decryption of ciphertext || tag into <paramref name="plaintext"/>
    /// (ciphertextAndTag.Length − 16 bytes). Returns false when the tag does not verify: wrong key,
    /// nonce, associated data, or tampered bytes; nothing unauthenticated is left in the destination.
    /// </summary>
    public static bool AeadDecrypt(ReadOnlySpan<byte> ciphertextAndTag, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> plaintext)
    {
        CheckAeadArguments(nonce, key);
        if (ciphertextAndTag.Length < AeadTagBytes)
        {
            return false;
        }

        int length = ciphertextAndTag.Length - AeadTagBytes;
        if (plaintext.Length < length)
        {
            ThrowArgument(nameof(plaintext), $"needs {length} bytes, got {plaintext.Length}");
        }

        ulong written;
        int rc;
        byte empty = 0;
        fixed (byte* c = ciphertextAndTag)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* m = plaintext)
        {
            rc = crypto_aead_xchacha20poly1305_ietf_decrypt(m == null ? &empty : m, &written, null, c,
                (ulong)ciphertextAndTag.Length, ad, (ulong)associatedData.Length, n, k);
        }

        if (rc != 0)
        {
            plaintext[..length].Clear();
            return false;
        }

        return written == (ulong)length;
    }

    /// <summary>Detached AEAD encryption: ciphertext (same length as plaintext) and a separate 16-byte tag.</summary>
    public static void AeadEncryptDetached(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData,
        ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> ciphertext, Span<byte> tag)
    {
        CheckAeadArguments(nonce, key);
        if (ciphertext.Length < plaintext.Length || tag.Length < AeadTagBytes)
        {
            ThrowArgument(nameof(ciphertext), $"needs {plaintext.Length} ciphertext bytes and a {AeadTagBytes}-byte tag");
        }

        ulong tagLength;
        int rc;
        byte empty = 0;
        fixed (byte* m = plaintext)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        {
            rc = crypto_aead_xchacha20poly1305_ietf_encrypt_detached(c == null ? &empty : c, t, &tagLength, m,
                (ulong)plaintext.Length, ad, (ulong)associatedData.Length, null, n, k);
        }

        if (rc != 0)
        {
            ThrowError("crypto_aead_xchacha20poly1305_ietf_encrypt_detached", $"failed (rc {rc})");
        }
    }

    /// <summary>Detached AEAD decryption; false when the tag does not verify (destination zeroed).</summary>
    public static bool AeadDecryptDetached(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag,
        ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key, Span<byte> plaintext)
    {
        CheckAeadArguments(nonce, key);
        if (tag.Length != AeadTagBytes)
        {
            return false;
        }

        if (plaintext.Length < ciphertext.Length)
        {
            ThrowArgument(nameof(plaintext), $"needs {ciphertext.Length} bytes, got {plaintext.Length}");
        }

        int rc;
        byte empty = 0;
        fixed (byte* c = ciphertext)
        fixed (byte* t = tag)
        fixed (byte* ad = associatedData)
        fixed (byte* n = nonce)
        fixed (byte* k = key)
        fixed (byte* m = plaintext)
        {
            rc = crypto_aead_xchacha20poly1305_ietf_decrypt_detached(m == null ? &empty : m, null, c == null ? &empty : c,
                (ulong)ciphertext.Length, t, ad, (ulong)associatedData.Length, n, k);
        }

        if (rc != 0)
        {
            plaintext[..ciphertext.Length].Clear();
            return false;
        }

        return true;
    }

    /// <summary>Argon2id13 key derivation into <paramref name="output"/> (at least 16 bytes).</summary>
    public static void Argon2id(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, ulong opsLimit,
        ulong memLimitBytes, Span<byte> output)
    {
        EnsureInitialized();
        if (salt.Length != Argon2SaltBytes)
        {
            ThrowArgument(nameof(salt), $"Argon2id salt must be {Argon2SaltBytes} bytes, got {salt.Length}");
        }

        if (opsLimit < Argon2OpsLimitMin || opsLimit > uint.MaxValue)
        {
            ThrowArgument(nameof(opsLimit), $"Argon2id opslimit {opsLimit} is outside 1..{uint.MaxValue}");
        }

        if (memLimitBytes < Argon2MemLimitMinBytes || memLimitBytes > (ulong)nint.MaxValue)
        {
            ThrowArgument(nameof(memLimitBytes), $"Argon2id memlimit {memLimitBytes} bytes is below the minimum {Argon2MemLimitMinBytes}");
        }

        if (output.Length < Argon2OutputBytesMin)
        {
            ThrowArgument(nameof(output), $"Argon2id output must be at least {Argon2OutputBytesMin} bytes");
        }

        int rc;
        byte empty = 0;
        fixed (byte* pw = password)
        fixed (byte* s = salt)
        fixed (byte* o = output)
        {
            rc = crypto_pwhash(o, (ulong)output.Length, pw == null ? &empty : pw, (ulong)password.Length, s,
                opsLimit, (nuint)memLimitBytes, Argon2Id13);
        }

        if (rc != 0)
        {
            ThrowError("crypto_pwhash",
                $"Argon2id failed with opslimit {opsLimit}, memlimit {memLimitBytes / 1024} KiB: out of memory? free memory or lower the memlimit");
        }
    }

    /// <summary>One-shot BLAKE2b; the output length (16..64) selects the digest size, the key (0..64 bytes) is optional.</summary>
    public static void Blake2b(ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> key = default)
    {
        EnsureInitialized();
        CheckBlake2bArguments(output.Length, key.Length);
        int rc;
        fixed (byte* i = input)
        fixed (byte* o = output)
        fixed (byte* k = key)
        {
            rc = crypto_generichash(o, (nuint)output.Length, i, (ulong)input.Length, k, (nuint)key.Length);
        }

        if (rc != 0)
        {
            ThrowError("crypto_generichash", $"failed (rc {rc})");
        }
    }

    /// <summary>SHA-256 of <paramref name="input"/> into the first 32 bytes of <paramref name="output"/>.</summary>
    public static void Sha256(ReadOnlySpan<byte> input, Span<byte> output)
    {
        EnsureInitialized();
        if (output.Length < Sha256Bytes)
        {
            ThrowArgument(nameof(output), $"SHA-256 output needs {Sha256Bytes} bytes, got {output.Length}");
        }

        fixed (byte* i = input)
        fixed (byte* o = output)
        {
            _ = crypto_hash_sha256(o, i, (ulong)input.Length);
        }
    }

    /// <summary>Constant-time equality (sodium_memcmp); different lengths compare unequal.</summary>
    public static bool FixedTimeEquals(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        EnsureInitialized();
        if (a.Length != b.Length)
        {
            return false;
        }

        if (a.IsEmpty)
        {
            return true;
        }

        fixed (byte* pa = a)
        fixed (byte* pb = b)
        {
            return sodium_memcmp(pa, pb, (nuint)a.Length) == 0;
        }
    }

    /// <summary>Zeroes memory in a way the compiler cannot elide (sodium_memzero).</summary>
    public static void Zero(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            if (p != null)
            {
                sodium_memzero(p, (nuint)buffer.Length);
            }
        }
    }

    internal static void CheckBlake2bArguments(int outputLength, int keyLength)
    {
        if (outputLength < Blake2bBytesMin || outputLength > Blake2bBytesMax)
        {
            ThrowArgument("output", $"BLAKE2b output must be {Blake2bBytesMin}..{Blake2bBytesMax} bytes, got {outputLength}");
        }

        if (keyLength > Blake2bKeyBytesMax)
        {
            ThrowArgument("key", $"BLAKE2b key must be at most {Blake2bKeyBytesMax} bytes, got {keyLength}");
        }
    }

    private static void CheckAeadArguments(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> key)
    {
        EnsureInitialized();
        if (nonce.Length != AeadNonceBytes)
        {
            ThrowArgument(nameof(nonce), $"XChaCha20-Poly1305 nonce must be {AeadNonceBytes} bytes, got {nonce.Length}");
        }

        if (key.Length != AeadKeyBytes)
        {
            ThrowArgument(nameof(key), $"XChaCha20-Poly1305 key must be {AeadKeyBytes} bytes, got {key.Length}");
        }
    }

    [DoesNotReturn]
    private static void ThrowArgument(string name, string message) => throw new ArgumentException(message, name);

    [DoesNotReturn]
    internal static void ThrowError(string function, string detail) => throw new NativeCodecException("libsodium", function, detail);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int sodium_init();

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial IntPtr sodium_version_string();

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial void randombytes_buf(byte* buf, nuint size);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_aead_xchacha20poly1305_ietf_encrypt(byte* c, ulong* clen, byte* m, ulong mlen,
        byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_aead_xchacha20poly1305_ietf_decrypt(byte* m, ulong* mlen, byte* nsec, byte* c,
        ulong clen, byte* ad, ulong adlen, byte* npub, byte* k);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_aead_xchacha20poly1305_ietf_encrypt_detached(byte* c, byte* mac, ulong* maclen,
        byte* m, ulong mlen, byte* ad, ulong adlen, byte* nsec, byte* npub, byte* k);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_aead_xchacha20poly1305_ietf_decrypt_detached(byte* m, byte* nsec, byte* c,
        ulong clen, byte* mac, byte* ad, ulong adlen, byte* npub, byte* k);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_pwhash(byte* output, ulong outlen, byte* passwd, ulong passwdlen, byte* salt,
        ulong opslimit, nuint memlimit, int alg);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_generichash(byte* output, nuint outlen, byte* input, ulong inlen, byte* key, nuint keylen);

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial nuint crypto_generichash_statebytes();

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial int crypto_generichash_init(byte* state, byte* key, nuint keylen, nuint outlen);

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial int crypto_generichash_update(byte* state, byte* input, ulong inlen);

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial int crypto_generichash_final(byte* state, byte* output, nuint outlen);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int crypto_hash_sha256(byte* output, byte* input, ulong inlen);

    [LibraryImport(NativeLibraries.Sodium)]
    private static partial int sodium_memcmp(byte* b1, byte* b2, nuint len);

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial void sodium_memzero(byte* pnt, nuint len);

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial int sodium_mlock(byte* addr, nuint len);

    [LibraryImport(NativeLibraries.Sodium)]
    internal static partial int sodium_munlock(byte* addr, nuint len);
}
