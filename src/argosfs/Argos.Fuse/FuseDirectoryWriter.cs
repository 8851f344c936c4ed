using System.Runtime.InteropServices;

namespace Argos.Fuse;

// READDIR reply: a sequence of struct fuse_dirent, each padded to 8 bytes.
//
//   0        8        16          20       24            24+namelen   FUSE_DIRENT_SIZE
//   | ino    | off    | namelen   | type   | name bytes  | zero pad to 8 |
//
// off is the cookie the kernel passes back as the READDIR offset to resume AFTER this entry; type is
// DT_* = (st_mode & S_IFMT) >> 12. Entries are packed until the next one would exceed the requested size.

/// <summary>Packs READDIR entries into the reply buffer and stops at the kernel's size limit.</summary>
public ref struct FuseDirectoryWriter
{
    private readonly Span<byte> _buffer;
    private int _written;

    public FuseDirectoryWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _written = 0;
        Count = 0;
    }

    public readonly int BytesWritten => _written;
    public int Count { get; private set; }
    public readonly bool IsEmpty => _written == 0;

    /// <summary>
    /// Adds one entry. <paramref name="mode"/> needs only the S_IFMT bits. <paramref name="nextOffset"/> is the
    /// cookie to resume after this entry (never 0). Returns false, writing nothing, when the entry does not fit:
    /// stop and return; the kernel asks again from the last cookie it received.
    /// </summary>
    public bool TryAdd(ulong ino, ReadOnlySpan<byte> name, uint mode, ulong nextOffset)
    {
        int size = FuseAbi.FUSE_DIRENT_SIZE(name.Length);
        if (name.Length == 0 || _written + size > _buffer.Length)
        {
            return false;
        }

        var dest = _buffer.Slice(_written, size);
        var dirent = new fuse_dirent
        {
            ino = ino,
            off = nextOffset,
            namelen = (uint)name.Length,
            type = (mode & FuseAbi.S_IFMT) >> 12,
        };
        MemoryMarshal.Write(dest, in dirent);
        name.CopyTo(dest[FuseAbi.FUSE_NAME_OFFSET..]);
        dest[(FuseAbi.FUSE_NAME_OFFSET + name.Length)..].Clear();
        _written += size;
        Count++;
        return true;
    }
}

// READDIRPLUS reply: a sequence of struct fuse_direntplus (fuse_entry_out then fuse_dirent), padded to 8.
//
//   0                  128      136     144        148     152           152+namelen
//   | fuse_entry_out   | ino    | off   | namelen  | type  | name bytes  | zero pad to 8 |

/// <summary>
/// Packs READDIRPLUS entries. Every entry added with a non-zero <see cref="FuseEntry.Node"/> gives the kernel
/// one lookup reference (returned by FORGET) — except "." and "..", which the kernel skips without taking one.
/// Entries that did not fit (TryAdd returned false) take no reference.
/// </summary>
public ref struct FuseDirectoryPlusWriter
{
    private readonly Span<byte> _buffer;
    private int _written;

    public FuseDirectoryPlusWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _written = 0;
        Count = 0;
    }

    public readonly int BytesWritten => _written;
    public int Count { get; private set; }

    /// <summary>True when the kernel takes a lookup reference for an entry with this name and node.</summary>
    public static bool TakesLookupReference(ReadOnlySpan<byte> name, NodeId node)
        => node.Value != 0 && !(name.Length == 1 && name[0] == (byte)'.') && !(name.Length == 2 && name[0] == (byte)'.' && name[1] == (byte)'.');

    public bool TryAdd(in FuseEntry entry, ReadOnlySpan<byte> name, ulong nextOffset)
    {
        int size = FuseAbi.FUSE_DIRENTPLUS_SIZE(name.Length);
        if (name.Length == 0 || _written + size > _buffer.Length)
        {
            return false;
        }

        var dest = _buffer.Slice(_written, size);
        var plus = default(fuse_direntplus);
        entry.WriteTo(ref plus.entry_out);
        plus.dirent.ino = entry.Attr.Ino;
        plus.dirent.off = nextOffset;
        plus.dirent.namelen = (uint)name.Length;
        plus.dirent.type = (entry.Attr.Mode & FuseAbi.S_IFMT) >> 12;
        MemoryMarshal.Write(dest, in plus);
        name.CopyTo(dest[FuseAbi.FUSE_NAME_OFFSET_DIRENTPLUS..]);
        dest[(FuseAbi.FUSE_NAME_OFFSET_DIRENTPLUS + name.Length)..].Clear();
        _written += size;
        Count++;
        return true;
    }
}
