namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// A named metadata snapshot (RecordKind.Snapshot): which checkpoint it keeps alive and what it pins.
/// <code>
/// key: snapshot name, 1..255 bytes, no '/' and no NUL
///
/// value, layout version 1 (60 bytes)
///   0  u8   version = 1
///   1  u8[3] reserved, 0
///   4  u32  flags (0; reserved for read-only / boot-default marks)
///   8  u64  snapshot id (≠ 0; PinnedExtent keys start with it)
///  16  i64+u32  creation time
///  28  u64  transaction id the snapshot was taken at
///  36  u64  checkpoint epoch it retains
///  44  u64  inode count at the snapshot
///  52  u64  bytes of data referenced
/// </code>
/// </summary>
public readonly record struct SnapshotRecord(
    ulong Id, Timespec Created, ulong TxId, ulong CheckpointEpoch, ulong InodeCount, ulong ReferencedBytes, uint Flags = 0);

public static class SnapshotCodec
{
    public const byte Version = 1;
    public const int ValueLength = 60;

    public static bool IsValidName(ReadOnlySpan<byte> name)
        => name.Length is >= 1 and <= FsNamespace.NameMaxBytes && name.IndexOfAny((byte)'/', (byte)0) < 0;

    public static byte[] EncodeValue(in SnapshotRecord s)
    {
        var value = new byte[ValueLength];
        var w = new RecordWriter(value);
        w.U8(Version);
        w.U8(0);
        w.U16(0);
        w.U32(s.Flags);
        w.U64(s.Id);
        w.Time(s.Created);
        w.U64(s.TxId);
        w.U64(s.CheckpointEpoch);
        w.U64(s.InodeCount);
        w.U64(s.ReferencedBytes);
        return value;
    }

    public static bool TryDecodeValue(ReadOnlySpan<byte> value, out SnapshotRecord snapshot, out RecordDecodeError error)
    {
        snapshot = default;
        var r = new RecordReader(value);
        if (!r.TryReadU8(out byte version))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (version != Version)
        {
            error = RecordDecodeError.UnsupportedVersion;
            return false;
        }
        if (!(r.TryReadU8(out byte res0) && r.TryReadU16(out ushort res1) && r.TryReadU32(out uint flags)
            && r.TryReadU64(out ulong id) && r.TryReadTimespec(out Timespec created) && r.TryReadU64(out ulong txid)
            && r.TryReadU64(out ulong epoch) && r.TryReadU64(out ulong inodes) && r.TryReadU64(out ulong bytes)))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (r.Remaining != 0)
        {
            error = RecordDecodeError.TrailingBytes;
            return false;
        }
        if (res0 != 0 || res1 != 0 || id == 0 || !created.IsValid)
        {
            error = RecordDecodeError.InvalidField;
            return false;
        }
        snapshot = new SnapshotRecord(id, created, txid, epoch, inodes, bytes, flags);
        error = RecordDecodeError.None;
        return true;
    }
}
