using Argos.Format;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Orphan record (RecordKind.Orphan): an inode with nlink 0 kept because it is still open (or an
/// O_TMPFILE not yet linked). Reclaimed at the last close or at the next open of the pool.
/// <code>
/// key (8 bytes)
///   0  u64  inode (≠ 0)
/// value: empty (0 bytes)
/// </code>
/// </summary>
public static class OrphanCodec
{
    public static byte[] EncodeKey(InodeId ino) => InodeRecordCodec.EncodeKey(ino);

    public static bool TryDecodeKey(ReadOnlySpan<byte> key, out InodeId ino) => InodeRecordCodec.TryDecodeKey(key, out ino);

    public static bool TryDecodeValue(ReadOnlySpan<byte> value, out RecordDecodeError error)
    {
        error = value.Length == 0 ? RecordDecodeError.None : RecordDecodeError.TrailingBytes;
        return value.Length == 0;
    }
}
