using System.Buffers.Binary;
using Argos.Format;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Inode record (RecordKind.Inode). All integers little-endian.
/// <code>
/// key (8 bytes)
///   0  u64  inode number (≠ 0)
///
/// value, layout version 1 (116 bytes + data)
///   0  u8   version = 1
///   1  u8   reserved, 0
///   2  u16  reserved, 0
///   4  u32  mode: S_IFMT type bits | 07777 (setuid, setgid, sticky, rwx)
///   8  u32  uid
///  12  u32  gid
///  16  u32  nlink
///  20  u32  flags (FS_IOC_GETFLAGS bits; bit 31 = Argos linkable O_TMPFILE)
///  24  u64  size in bytes
///  32  u64  rdev
///  40  u64  generation
///  48  u64  parent inode (directories; 0 otherwise)
///  56  u64  next readdir cookie (directories; 0 otherwise)
///  64  i64+u32  atime: seconds since epoch, nanoseconds &lt; 1e9
///  76  i64+u32  mtime
///  88  i64+u32  ctime
/// 100  i64+u32  btime (birth)
/// 112  u32  data length: inline data of a regular file (≤ 3072) or symlink target (1..4095); 0 for other types
/// 116  data bytes
/// </code>
/// </summary>
public static class InodeRecordCodec
{
    public const byte Version = 1;
    public const int KeyLength = 8;

    public const int VersionOffset = 0;
    public const int ModeOffset = 4;
    public const int UidOffset = ModeOffset + 4;
    public const int GidOffset = UidOffset + 4;
    public const int NlinkOffset = GidOffset + 4;
    public const int FlagsOffset = NlinkOffset + 4;
    public const int SizeOffset = FlagsOffset + 4;
    public const int RdevOffset = SizeOffset + 8;
    public const int GenerationOffset = RdevOffset + 8;
    public const int ParentOffset = GenerationOffset + 8;
    public const int NextCookieOffset = ParentOffset + 8;
    public const int AtimeOffset = NextCookieOffset + 8;
    public const int MtimeOffset = AtimeOffset + 12;
    public const int CtimeOffset = MtimeOffset + 12;
    public const int BtimeOffset = CtimeOffset + 12;
    public const int DataLengthOffset = BtimeOffset + 12;
    public const int FixedLength = DataLengthOffset + 4;

    public static byte[] EncodeKey(InodeId ino)
    {
        var key = new byte[KeyLength];
        BinaryPrimitives.WriteUInt64LittleEndian(key, ino.Value);
        return key;
    }

    public static bool TryDecodeKey(ReadOnlySpan<byte> key, out InodeId ino)
    {
        ino = default;
        if (key.Length != KeyLength)
        {
            return false;
        }
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(key);
        ino = new InodeId(v);
        return v != 0;
    }

    public static int ValueLength(int dataLength) => FixedLength + dataLength;

    public static byte[] EncodeValue(in InodeRecord record)
    {
        var value = new byte[ValueLength(record.Data.Length)];
        EncodeValue(record, value);
        return value;
    }

    public static void EncodeValue(in InodeRecord record, Span<byte> destination)
    {
        InodeAttributes a = record.Attributes;
        var w = new RecordWriter(destination);
        w.U8(Version);
        w.U8(0);
        w.U16(0);
        w.U32(a.Mode);
        w.U32(a.Uid);
        w.U32(a.Gid);
        w.U32(a.Nlink);
        w.U32(a.Flags);
        w.U64(a.Size);
        w.U64(a.Rdev);
        w.U64(a.Generation);
        w.U64(record.Parent);
        w.U64(record.NextCookie);
        w.Time(a.Atime);
        w.Time(a.Mtime);
        w.Time(a.Ctime);
        w.Time(a.Btime);
        w.U32((uint)record.Data.Length);
        w.Bytes(record.Data.Span);
    }

    public static bool TryDecodeValue(InodeId ino, ReadOnlySpan<byte> value, out InodeRecord record, out RecordDecodeError error)
    {
        record = default;
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
        if (!(r.TryReadU8(out byte reserved0) && r.TryReadU16(out ushort reserved1)
            && r.TryReadU32(out uint mode) && r.TryReadU32(out uint uid) && r.TryReadU32(out uint gid)
            && r.TryReadU32(out uint nlink) && r.TryReadU32(out uint flags)
            && r.TryReadU64(out ulong size) && r.TryReadU64(out ulong rdev) && r.TryReadU64(out ulong generation)
            && r.TryReadU64(out ulong parent) && r.TryReadU64(out ulong nextCookie)
            && r.TryReadTimespec(out Timespec atime) && r.TryReadTimespec(out Timespec mtime)
            && r.TryReadTimespec(out Timespec ctime) && r.TryReadTimespec(out Timespec btime)
            && r.TryReadU32(out uint dataLength)))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (reserved0 != 0 || reserved1 != 0 || !PosixMode.IsValidType(mode) || (mode & ~(PosixMode.S_IFMT | PosixMode.PermissionMask)) != 0
            || !atime.IsValid || !mtime.IsValid || !ctime.IsValid || !btime.IsValid)
        {
            error = RecordDecodeError.InvalidField;
            return false;
        }
        uint maxData = (mode & PosixMode.S_IFMT) switch
        {
            PosixMode.S_IFREG => FsNamespace.InlineDataMaxBytes,
            PosixMode.S_IFLNK => FsNamespace.SymlinkMaxBytes,
            _ => 0,
        };
        if (dataLength > maxData)
        {
            error = RecordDecodeError.InvalidField;
            return false;
        }
        if (!r.TryReadBytes((int)dataLength, out ReadOnlySpan<byte> data))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (r.Remaining != 0)
        {
            error = RecordDecodeError.TrailingBytes;
            return false;
        }
        record = new InodeRecord
        {
            Attributes = new InodeAttributes
            {
                Ino = ino,
                Mode = mode,
                Uid = uid,
                Gid = gid,
                Nlink = nlink,
                Flags = flags,
                Size = size,
                Rdev = rdev,
                Generation = generation,
                Atime = atime,
                Mtime = mtime,
                Ctime = ctime,
                Btime = btime,
            },
            Parent = parent,
            NextCookie = nextCookie,
            Data = dataLength == 0 ? ReadOnlyMemory<byte>.Empty : data.ToArray(),
        };
        error = RecordDecodeError.None;
        return true;
    }
}
