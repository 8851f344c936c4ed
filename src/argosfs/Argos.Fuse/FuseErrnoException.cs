using Argos.Platform;

namespace Argos.Fuse;

/// <summary>
/// Thrown by a filesystem (or by the session's own parsing) to answer the current request with an errno.
/// The session maps it to the reply's error field without logging: it is an expected outcome, not a fault.
/// </summary>
/// <remarks>
/// Returning an <see cref="Errno"/> from a <see cref="FuseFileSystem"/> method is the fast path (no
/// exception cost) and is what hot outcomes such as ENOENT on lookup should use; this exception is for
/// deep call stacks where threading an Errno back is awkward.
/// </remarks>
public sealed class FuseErrnoException : Exception
{
    public FuseErrnoException(Errno errno, string? message = null)
        : base(message ?? errno.ToString())
    {
        Errno = errno;
    }

    public Errno Errno { get; }
}
