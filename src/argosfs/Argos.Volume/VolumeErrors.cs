using Argos.DataPath.Codecs;
using Argos.DataPath.Stripes;
using Argos.Erasure;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Storage;

namespace Argos.Volume;

/// <summary>A volume operation refused with an errno and a message naming the problem and the fix.</summary>
public sealed class VolumeException(Errno errno, string message) : IOException(message)
{
    public Errno Errno { get; } = errno;
}

public static class VolumeErrors
{
    /// <summary>The errno a failed operation reports through FUSE. Unknown failures are EIO.</summary>
    public static Errno ToErrno(Exception e) => e switch
    {
        VolumeException v => v.Errno,
        NamespaceException n => n.Errno,
        EncryptionKeyException => Errno.EACCES,
        NoSpaceException => Errno.ENOSPC,
        TooManyErasuresException => Errno.EIO,
        StripeCorruptException => Errno.EIO,
        SystemCallException s => s.Errno,
        CrashInjectedException => Errno.EIO,
        _ => Errno.EIO,
    };

    public static VolumeException ReadOnly(string what) =>
        new(Errno.EROFS, $"{what}: the pool is open read-only (degraded or ro mode); remount read-write to change it");
}
