using System.Buffers.Binary;
using Argos.Format;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Directory entry record (RecordKind.Dirent).
/// <code>
/// key (9..263 bytes)
///   0  u64  parent directory inode (≠ 0)
///   8  name bytes, 1..255, no '/' and no NUL, not "." or ".."; need not be UTF-8
///
/// value, layout version 1 (20 bytes)
///   0  u8   version = 1
///   1  u8   d_type of the child: (mode &amp; S_IFMT) &gt;&gt; 12 (1 FIFO, 2 CHR, 4 DIR, 6 BLK, 8 REG, 10 LNK, 12 SOCK)
///   2  u16  reserved, 0
///   4  u64  child inode (≠ 0)
///  12  u64  readdir cookie (≥ 3; 1 and 2 are '.' and '..'), unique and increasing per directory
/// </code>
/// </summary>
public static class DirentCodec
{
    public const byte Version = 1;
    public const int ValueLength = 20;
    public const int ParentLength = 8;

    public static byte[] EncodeKey(InodeId parent, ReadOnlySpan<byte> name)
    {
        var key = new byte[ParentLength + name.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(key, parent.Value);
        name.CopyTo(key.AsSpan(ParentLength));
        return key;
    }

    /// <summary>Decodes a key; <paramref name="name"/> aliases the key bytes.</summary>
    public static bool TryDecodeKey(ReadOnlySpan<byte> key, out InodeId parent, out ReadOnlySpan<byte> name)
    {
        parent = default;
        name = default;
        if (key.Length < ParentLength + 1)
        {
            return false;
        }
        ulong p = BinaryPrimitives.ReadUInt64LittleEndian(key);
        name = key.Slice(ParentLength);
        parent = new InodeId(p);
        return p != 0 && Names.IsValidEntryName(name);
    }

    public static byte[] EncodeValue(InodeId child, byte direntType, ulong cookie)
    {
        var value = new byte[ValueLength];
        var w = new RecordWriter(value);
        w.U8(Version);
        w.U8(direntType);
        w.U16(0);
        w.U64(child.Value);
        w.U64(cookie);
        return value;
    }

    public static bool TryDecodeValue(ReadOnlySpan<byte> value, out InodeId child, out byte direntType, out ulong cookie, out RecordDecodeError error)
    {
        child = default;
        direntType = 0;
        cookie = 0;
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
        if (!(r.TryReadU8(out direntType) && r.TryReadU16(out ushort reserved) && r.TryReadU64(out ulong c) && r.TryReadU64(out cookie)))
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (r.Remaining != 0)
        {
            error = RecordDecodeError.TrailingBytes;
            return false;
        }
        child = new InodeId(c);
        if (reserved != 0 || c == 0 || cookie < FsNamespace.FirstCookie || !PosixMode.IsValidType((uint)direntType << 12))
        {
            error = RecordDecodeError.InvalidField;
            return false;
        }
        error = RecordDecodeError.None;
        return true;
    }
}

/// <summary>Name rules shared by entries, xattrs and snapshots.</summary>
public static class Names
{
    /// <summary>A Linux file name: 1..255 bytes, no '/' or NUL, not "." or "..".</summary>
    public static bool IsValidEntryName(ReadOnlySpan<byte> name)
        => name.Length is >= 1 and <= FsNamespace.NameMaxBytes
            && name.IndexOfAny((byte)'/', (byte)0) < 0
            && !IsDotOrDotDot(name);

    public static bool IsDotOrDotDot(ReadOnlySpan<byte> name)
        => (name.Length == 1 && name[0] == (byte)'.') || (name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.');
}
