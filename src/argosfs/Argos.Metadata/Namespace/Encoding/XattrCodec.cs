using System.Buffers.Binary;
using Argos.Format;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>
/// Extended attribute record (RecordKind.Xattr).
/// <code>
/// key (9..263 bytes)
///   0  u64  inode (≠ 0)
///   8  full attribute name incl. namespace prefix ("user.", "trusted.", "security.", "system."), 1..255 bytes, no NUL
///
/// value, layout version 1 (1 + n bytes)
///   0  u8   version = 1
///   1  attribute value, 0..65536 bytes, verbatim (POSIX ACLs in the kernel's xattr format, see PosixAcl)
/// </code>
/// </summary>
public static class XattrCodec
{
    public const byte Version = 1;
    public const int InodeLength = 8;

    public static byte[] EncodeKey(InodeId ino, ReadOnlySpan<byte> name)
    {
        var key = new byte[InodeLength + name.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(key, ino.Value);
        name.CopyTo(key.AsSpan(InodeLength));
        return key;
    }

    public static bool TryDecodeKey(ReadOnlySpan<byte> key, out InodeId ino, out ReadOnlySpan<byte> name)
    {
        ino = default;
        name = default;
        if (key.Length < InodeLength + 1)
        {
            return false;
        }
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(key);
        ino = new InodeId(v);
        name = key.Slice(InodeLength);
        return v != 0 && name.Length <= FsNamespace.XattrNameMaxBytes && name.IndexOf((byte)0) < 0;
    }

    public static byte[] EncodeValue(ReadOnlySpan<byte> attributeValue)
    {
        var value = new byte[1 + attributeValue.Length];
        value[0] = Version;
        attributeValue.CopyTo(value.AsSpan(1));
        return value;
    }

    /// <summary>Decodes a value; <paramref name="attributeValue"/> aliases the input.</summary>
    public static bool TryDecodeValue(ReadOnlySpan<byte> value, out ReadOnlySpan<byte> attributeValue, out RecordDecodeError error)
    {
        attributeValue = default;
        if (value.Length < 1)
        {
            error = RecordDecodeError.Truncated;
            return false;
        }
        if (value[0] != Version)
        {
            error = RecordDecodeError.UnsupportedVersion;
            return false;
        }
        if (value.Length - 1 > FsNamespace.XattrValueMaxBytes)
        {
            error = RecordDecodeError.InvalidField;
            return false;
        }
        attributeValue = value.Slice(1);
        error = RecordDecodeError.None;
        return true;
    }
}
