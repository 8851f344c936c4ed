using System.Buffers.Text;
using System.Text;

namespace Argos.Initramfs.Cpio;

/// <summary>
/// The "newc" cpio format (SVR4 without CRC) that the kernel unpacks as an initramfs.
///
///   offset size field          (every field: ASCII hex, 8 digits, no prefix)
///        0    6 c_magic        "070701"
///        6    8 c_ino
///       14    8 c_mode         file type and permission bits (S_IFREG 0100000, S_IFDIR 0040000,
///                              S_IFLNK 0120000, S_IFCHR 0020000, S_IFBLK 0060000)
///       22    8 c_uid
///       30    8 c_gid
///       38    8 c_nlink
///       46    8 c_mtime
///       54    8 c_filesize     bytes of data (the target for a symlink)
///       62    8 c_devmajor
///       70    8 c_devminor
///       78    8 c_rdevmajor    device nodes
///       86    8 c_rdevminor
///       94    8 c_namesize     including the trailing NUL
///      102    8 c_check        0
///      110      name, NUL, padded with NULs to a multiple of 4 (counted from the header start)
///               data, padded with NULs to a multiple of 4
/// The archive ends with an entry named "TRAILER!!!". Concatenated archives are unpacked in order.
/// </summary>
public static class CpioNewc
{
    public const string Magic = "070701";
    public const int MagicOffset = 0;
    public const int InoOffset = MagicOffset + 6;
    public const int ModeOffset = InoOffset + 8;
    public const int UidOffset = ModeOffset + 8;
    public const int GidOffset = UidOffset + 8;
    public const int NlinkOffset = GidOffset + 8;
    public const int MtimeOffset = NlinkOffset + 8;
    public const int FileSizeOffset = MtimeOffset + 8;
    public const int DevMajorOffset = FileSizeOffset + 8;
    public const int DevMinorOffset = DevMajorOffset + 8;
    public const int RdevMajorOffset = DevMinorOffset + 8;
    public const int RdevMinorOffset = RdevMajorOffset + 8;
    public const int NameSizeOffset = RdevMinorOffset + 8;
    public const int CheckOffset = NameSizeOffset + 8;
    public const int HeaderSize = CheckOffset + 8;
    public const string Trailer = "TRAILER!!!";

    public const uint RegularFile = 0x8000;      // 0100000
    public const uint Directory = 0x4000;        // 0040000
    public const uint Symlink = 0xA000;          // 0120000
    public const uint CharDevice = 0x2000;       // 0020000
    public const uint BlockDevice = 0x6000;      // 0060000

    public static int Pad4(int length) => (4 - (length & 3)) & 3;
}

/// <summary>One archive member.</summary>
public sealed record CpioEntry(string Name, uint Mode, byte[] Data, uint RdevMajor = 0, uint RdevMinor = 0, uint Uid = 0, uint Gid = 0)
{
    public uint FileType => Mode & 0xF000;
    public string? LinkTarget => FileType == CpioNewc.Symlink ? Encoding.UTF8.GetString(Data) : null;

    public static CpioEntry Dir(string name, uint permissions = 0x1ED /* 0755 */) => new(name, CpioNewc.Directory | permissions, []);
    public static CpioEntry File(string name, byte[] data, uint permissions) => new(name, CpioNewc.RegularFile | permissions, data);
    public static CpioEntry Link(string name, string target) => new(name, CpioNewc.Symlink | 0x1FF, Encoding.UTF8.GetBytes(target));
    public static CpioEntry CharDev(string name, uint major, uint minor, uint permissions) =>
        new(name, CpioNewc.CharDevice | permissions, [], major, minor);
}

/// <summary>Writes a newc archive. Names are relative ("sbin/init"); mtimes are 0 so that the same
/// inputs give the same bytes.</summary>
public sealed class CpioWriter(Stream output)
{
    private uint _ino = 1;
    private long _position;

    public void Add(CpioEntry entry)
    {
        var name = Encoding.UTF8.GetBytes(entry.Name);
        Span<byte> header = stackalloc byte[CpioNewc.HeaderSize];
        Encoding.ASCII.GetBytes(CpioNewc.Magic, header);
        Hex(header, CpioNewc.InoOffset, _ino++);
        Hex(header, CpioNewc.ModeOffset, entry.Mode);
        Hex(header, CpioNewc.UidOffset, entry.Uid);
        Hex(header, CpioNewc.GidOffset, entry.Gid);
        Hex(header, CpioNewc.NlinkOffset, entry.FileType == CpioNewc.Directory ? 2u : 1u);
        Hex(header, CpioNewc.MtimeOffset, 0);
        Hex(header, CpioNewc.FileSizeOffset, checked((uint)entry.Data.Length));
        Hex(header, CpioNewc.DevMajorOffset, 0);
        Hex(header, CpioNewc.DevMinorOffset, 0);
        Hex(header, CpioNewc.RdevMajorOffset, entry.RdevMajor);
        Hex(header, CpioNewc.RdevMinorOffset, entry.RdevMinor);
        Hex(header, CpioNewc.NameSizeOffset, (uint)name.Length + 1);
        Hex(header, CpioNewc.CheckOffset, 0);
        Write(header);
        Write(name);
        Write([0]);
        WritePadding();
        Write(entry.Data);
        WritePadding();
    }

    public void Finish()
    {
        Add(new CpioEntry(CpioNewc.Trailer, 0, []));
        output.Flush();
    }

    private static void Hex(Span<byte> header, int offset, uint value) =>
        Encoding.ASCII.GetBytes(value.ToString("x8"), header.Slice(offset, 8));

    private void Write(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        _position += bytes.Length;
    }

    private void WritePadding()
    {
        var pad = (int)((4 - (_position & 3)) & 3);
        Span<byte> zeros = stackalloc byte[3];
        zeros.Clear();
        Write(zeros[..pad]);
    }
}

/// <summary>Reads a newc archive back (tests, and `argos-initramfs list`). Bounds-checked: a short
/// or malformed archive is an <see cref="InvalidDataException"/> naming the offset.</summary>
public static class CpioReader
{
    public static IReadOnlyList<CpioEntry> ReadAll(ReadOnlySpan<byte> archive)
    {
        var entries = new List<CpioEntry>();
        var pos = 0;
        while (true)
        {
            if (archive.Length - pos < CpioNewc.HeaderSize)
            {
                throw new InvalidDataException($"cpio: truncated header at offset {pos}");
            }
            var header = archive.Slice(pos, CpioNewc.HeaderSize);
            if (!header[..6].SequenceEqual("070701"u8))
            {
                throw new InvalidDataException($"cpio: bad magic at offset {pos} (not a newc archive)");
            }
            var mode = Field(header, CpioNewc.ModeOffset, pos);
            var uid = Field(header, CpioNewc.UidOffset, pos);
            var gid = Field(header, CpioNewc.GidOffset, pos);
            var size = Field(header, CpioNewc.FileSizeOffset, pos);
            var rmaj = Field(header, CpioNewc.RdevMajorOffset, pos);
            var rmin = Field(header, CpioNewc.RdevMinorOffset, pos);
            var nameSize = Field(header, CpioNewc.NameSizeOffset, pos);
            pos += CpioNewc.HeaderSize;
            if (nameSize == 0 || nameSize > archive.Length - pos)
            {
                throw new InvalidDataException($"cpio: name size {nameSize} out of bounds at offset {pos}");
            }
            var name = Encoding.UTF8.GetString(archive.Slice(pos, (int)nameSize - 1));
            pos += (int)nameSize;
            pos += CpioNewc.Pad4(pos);
            if (name == CpioNewc.Trailer)
            {
                return entries;
            }
            if (size > archive.Length - pos)
            {
                throw new InvalidDataException($"cpio: {name}: data size {size} past the end at offset {pos}");
            }
            entries.Add(new CpioEntry(name, mode, archive.Slice(pos, (int)size).ToArray(), rmaj, rmin, uid, gid));
            pos += (int)size;
            pos += CpioNewc.Pad4(pos);
        }
    }

    private static uint Field(ReadOnlySpan<byte> header, int offset, int at)
    {
        if (!Utf8Parser.TryParse(header.Slice(offset, 8), out uint value, out var consumed, 'x') || consumed != 8)
        {
            throw new InvalidDataException($"cpio: field at header offset {offset} is not 8 hex digits (entry at {at})");
        }
        return value;
    }
}
