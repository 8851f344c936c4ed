using Argos.Format;
using Argos.Metadata.Namespace;

namespace Argos.Volume;

/// <summary>
/// A readable file tree: the live volume, or a snapshot's frozen view of it. Tree export, cat and
/// path resolution read through this, so they work on either.
/// </summary>
public interface IFileTree
{
    /// <summary>The namespace to walk (entries, xattrs, symlink targets).</summary>
    FsNamespace Namespace { get; }

    /// <summary>File bytes per stripe: the natural copy buffer size.</summary>
    int StripeDataBytes { get; }

    InodeAttributes GetAttr(InodeId ino);

    int Read(InodeId ino, ulong offset, Span<byte> destination);

    /// <summary>SEEK_DATA / SEEK_HOLE at stripe granularity.</summary>
    ulong Seek(InodeId ino, ulong offset, bool data);
}
