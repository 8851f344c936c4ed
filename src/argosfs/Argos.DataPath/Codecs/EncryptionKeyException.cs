using Argos.Platform;

namespace Argos.DataPath.Codecs;

/// <summary>What is wrong with the key of an encrypted pool.</summary>
public enum KeyProblem
{
    /// <summary>No key source was given (no --key-file, ARGOSFS_KEY_FILE or ARGOSFS_KEY).</summary>
    Missing,

    /// <summary>The key file could not be read.</summary>
    Unreadable,

    /// <summary>The key source holds no passphrase (empty, or only newlines) or an oversized one.</summary>
    Invalid,

    /// <summary>The passphrase does not unlock this pool (the key check failed).</summary>
    Wrong,
}

/// <summary>
/// The key of an encrypted pool is missing, unreadable or wrong. Callers map it to EACCES and show
/// <see cref="Exception.Message"/>, which names the source and the fix.
/// </summary>
public sealed class EncryptionKeyException : UnauthorizedAccessException
{
    public EncryptionKeyException(KeyProblem problem, string message, Exception? inner = null)
        : base(message, inner)
    {
        Problem = problem;
        HResult = (int)Errno.EACCES;
    }

    public KeyProblem Problem { get; }
    public Errno Errno => Errno.EACCES;
}

/// <summary>
/// A sealed stripe failed authentication (Poly1305 tag mismatch): its bytes, nonce or associated data
/// were altered, or it was sealed under another key. Treat it like a checksum failure: EIO, and a
/// candidate for reconstruction from parity.
/// </summary>
public sealed class StripeAuthenticationException : IOException
{
    public StripeAuthenticationException(string message)
        : base(message)
    {
        HResult = (int)Errno.EIO;
    }

    public Errno Errno => Errno.EIO;
}
