using System.Text;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Fsx.Tests;

/// <summary>
/// One seeded run of the operation generator (fsx and fsstress in spirit): every operation is applied to a
/// reference directory on the host filesystem and to the argos mount, the two must answer the same errno,
/// data operations read back what they touched from both sides (the argos side sometimes with O_DIRECT,
/// so the bytes come from the daemon, not the page cache), and the caller compares the two trees after
/// every batch. The reference decides which names exist; the generator picks mostly existing names, so
/// renames over existing entries, links to files with links, and rmdir of non-empty directories are common.
/// </summary>
internal sealed class FsxRun(int seed, string reference, string argos)
{
    private const long MaxFileBytes = 3L << 20;
    private static readonly string[] s_names = ["a", "b", "c", "d", "e", "f", "long-name-" + new string('x', 40), "sp ace", "ü"];
    private static readonly string[] s_xattrNames = ["user.one", "user.two", "user.big"];

    private readonly Random _rng = new(seed);
    private readonly List<string> _log = [];
    private readonly SortedDictionary<string, int> _outcomes = new(StringComparer.Ordinal);
    private List<(string Path, HostStat St)> _entries = [];

    public int Seed => seed;

    public int OperationCount => _log.Count;

    /// <summary>How often each operation answered what, e.g. "rename ok: 40, rename ENOTEMPTY: 3".</summary>
    public string Summary() => string.Join(", ", _outcomes.Select(o => $"{o.Key}: {o.Value}"));

    public string LogTail(int count) =>
        string.Join("\n", _log.Skip(Math.Max(0, _log.Count - count)).Select((l, i) => $"  #{_log.Count - Math.Min(count, _log.Count) + i}: {l}"));

    /// <summary>Applies one random operation to both sides; throws <see cref="FsxMismatchException"/> when they disagree.</summary>
    public void Step()
    {
        _entries = ListReference();
        var pick = _rng.Next(100);
        switch (pick)
        {
            case < 8: Create(); break;
            case < 28: WriteAt(); break;
            case < 34: Append(); break;
            case < 42: Truncate(); break;
            case < 50: ReadCheck(); break;
            case < 55: Mkdir(); break;
            case < 59: Rmdir(); break;
            case < 64: Unlink(); break;
            case < 72: Rename(0); break;
            case < 74: Rename(Posix.RENAME_NOREPLACE); break;
            case < 76: Rename(Posix.RENAME_EXCHANGE); break;
            case < 80: Link(); break;
            case < 83: Symlink(); break;
            case < 87: Chmod(); break;
            case < 91: SetXattr(); break;
            case < 93: RemoveXattr(); break;
            case < 96: Fsync(); break;
            case < 98: OpenTruncate(); break;
            default: UnlinkWhileOpen(); break;
        }
    }

    // ---- choosing names ----

    private List<(string, HostStat)> ListReference()
    {
        var list = new List<(string, HostStat)>();
        void Walk(string rel)
        {
            var dir = rel.Length == 0 ? reference : Path.Combine(reference, rel);
            var names = LibC.ReadDirectoryNames(Encoding.UTF8.GetBytes(dir)).Select(Encoding.UTF8.GetString)
                .Where(n => n is not ("." or "..")).Order(StringComparer.Ordinal);
            foreach (var name in names)
            {
                var child = rel.Length == 0 ? name : rel + "/" + name;
                var st = LibC.LStat(Encoding.UTF8.GetBytes(Path.Combine(reference, child)));
                list.Add((child, st));
                if (st.IsDirectory) Walk(child);
            }
        }
        Walk("");
        return list;
    }

    private string? Existing(Func<HostStat, bool> filter)
    {
        var candidates = _entries.Where(e => filter(e.St)).ToList();
        return candidates.Count == 0 ? null : candidates[_rng.Next(candidates.Count)].Path;
    }

    private string? ExistingFile() => Existing(st => st.IsRegular);

    /// <summary>A directory ("" is the root) no deeper than three levels.</summary>
    private string PickDirectory()
    {
        var dirs = _entries.Where(e => e.St.IsDirectory && e.Path.Count(c => c == '/') < 3).Select(e => e.Path).Prepend("").ToList();
        return dirs[_rng.Next(dirs.Count)];
    }

    /// <summary>A path in some directory with a name from the small pool: often one that exists.</summary>
    private string AnyName()
    {
        var dir = PickDirectory();
        var name = s_names[_rng.Next(s_names.Length)];
        return dir.Length == 0 ? name : dir + "/" + name;
    }

    /// <summary>Mostly an existing entry of any type, else a fresh name.</summary>
    private string AnyPath() => _rng.Next(4) != 0 && Existing(_ => true) is { } p ? p : AnyName();

    private uint FileMode() => _rng.Next(10) switch
    {
        0 => 0x180 /* 0600 */,
        1 => 0x1ed /* 0755 */,
        2 => 0x9ed /* 04755 */,
        3 => 0x5a4 /* 02644 */,
        4 => 0x3ff /* 01777 */,
        5 => 0x0 /* 0000 */,
        _ => 0x1a4 /* 0644 */,
    };

    private byte[] Data(int length)
    {
        var data = new byte[length];
        switch (_rng.Next(5))
        {
            case 0: Array.Fill(data, (byte)_rng.Next(256)); break;              // compresses to nothing
            case 1: for (var i = 0; i < length; i++) data[i] = (byte)(i / 512); break; // compresses well
            default: _rng.NextBytes(data); break;
        }
        return data;
    }

    private int Length() => _rng.Next(20) switch
    {
        < 13 => _rng.Next(1, 16 << 10),
        < 19 => _rng.Next(16 << 10, 300 << 10),
        _ => _rng.Next(300 << 10, 1300 << 10), // crosses stripes (2 x 256 KiB) and the 1 MiB max_write
    };

    private long SizeOf(string rel) => _entries.FirstOrDefault(e => e.Path == rel).St.SizeBytes is var s ? (long)s : 0;

    // ---- applying to both sides ----

    private string R(string rel) => Path.Combine(reference, rel);

    private string A(string rel) => Path.Combine(argos, rel);

    /// <summary>Runs <paramref name="op"/> on the reference, then on argos; the errnos must match.</summary>
    private Errno Both(string description, Func<Func<string, string>, Errno> op)
    {
        _log.Add(description);
        var expected = op(R);
        var actual = op(A);
        if (expected != actual)
        {
            throw new FsxMismatchException($"{description}: the reference answered {expected}, argos answered {actual}");
        }
        var key = $"{description.Split(' ')[0]} {(expected == Errno.None ? "ok" : expected.ToString())}";
        _outcomes[key] = _outcomes.GetValueOrDefault(key) + 1;
        return expected;
    }

    private void Create()
    {
        var path = AnyName();
        var mode = FileMode();
        var data = _rng.Next(2) == 0 ? [] : Data(Length());
        Both($"create {path} mode {Convert.ToString(mode, 8)} with {data.Length} bytes", side =>
        {
            var e = Posix.Open(side(path), Posix.O_CREAT | Posix.O_EXCL | Posix.O_WRONLY, mode, out var fd);
            if (e != Errno.None) return e;
            try { return Posix.PWrite(fd, data, 0); }
            finally { Posix.Close(fd); }
        });
    }

    private void WriteAt()
    {
        if (ExistingFile() is not { } path) { Create(); return; }
        var size = SizeOf(path);
        var offset = _rng.Next(4) == 0 ? _rng.NextInt64(0, MaxFileBytes) : _rng.NextInt64(0, Math.Min(size + (256 << 10), MaxFileBytes) + 1);
        var data = Data((int)Math.Min(Length(), MaxFileBytes + (1 << 20) - offset));
        if (Both($"write {path} [{offset}, +{data.Length}) (size {size})", side => WriteFile(side(path), Posix.O_WRONLY, data, offset)) == Errno.None)
        {
            CheckRange(path, offset - _rng.Next(8192), data.Length + 16384);
        }
    }

    private void Append()
    {
        if (ExistingFile() is not { } path) { Create(); return; }
        var data = Data(_rng.Next(1, 70_000));
        if (Both($"append {path} +{data.Length} (size {SizeOf(path)})", side => WriteFile(side(path), Posix.O_WRONLY | Posix.O_APPEND, data, -1)) == Errno.None)
        {
            var size = SizeOf(path) + data.Length;
            CheckRange(path, size - data.Length - 4096, data.Length + 8192);
        }
    }

    private static Errno WriteFile(string path, int flags, byte[] data, long offset)
    {
        var e = Posix.Open(path, flags, 0, out var fd);
        if (e != Errno.None) return e;
        try { return offset < 0 ? Posix.Write(fd, data) : Posix.PWrite(fd, data, offset); }
        finally { Posix.Close(fd); }
    }

    private void Truncate()
    {
        if (ExistingFile() is not { } path) { Create(); return; }
        var old = SizeOf(path);
        var size = _rng.Next(3) switch
        {
            0 => _rng.NextInt64(0, old + 1),                                   // down
            1 => Math.Min(MaxFileBytes, old + _rng.NextInt64(1, 600_000)),     // up: a hole
            _ => _rng.NextInt64(0, MaxFileBytes),
        };
        if (Both($"truncate {path} {old} -> {size}", side =>
            {
                var e = Posix.Open(side(path), Posix.O_WRONLY, 0, out var fd);
                if (e != Errno.None) return e;
                try { return Posix.FTruncate(fd, size); }
                finally { Posix.Close(fd); }
            }) == Errno.None)
        {
            CheckRange(path, Math.Min(old, size) - 5000, (int)Math.Abs(old - size) + 10000);
        }
    }

    private void ReadCheck()
    {
        if (ExistingFile() is not { } path) return;
        var size = SizeOf(path);
        var offset = _rng.NextInt64(0, size + 10_000);
        _log.Add($"read-check {path} [{offset}, +..) (size {size})");
        CheckRange(path, offset, Length());
    }

    /// <summary>fsx's check: the same range read from both sides must match byte for byte, and end at the same EOF.</summary>
    private void CheckRange(string path, long offset, int length)
    {
        offset = Math.Max(0, offset);
        var direct = _rng.Next(2) == 0;
        var expected = new byte[length];
        var actual = new byte[length];
        var e1 = ReadRange(R(path), expected, offset, false, out var n1);
        var e2 = ReadRange(A(path), actual, offset, direct, out var n2);
        if (e1 != e2 || n1 != n2)
        {
            throw new FsxMismatchException($"read back {path} [{offset}, +{length}){(direct ? " O_DIRECT" : "")}: reference {e1}/{n1} bytes, argos {e2}/{n2} bytes");
        }
        var at = expected.AsSpan(0, n1).CommonPrefixLength(actual.AsSpan(0, n2));
        if (at < n1)
        {
            throw new FsxMismatchException(
                $"read back {path} [{offset}, +{length}){(direct ? " O_DIRECT" : "")}: first difference at file offset {offset + at} "
                + $"(reference {expected[at]:x2}, argos {actual[at]:x2})");
        }
    }

    private static Errno ReadRange(string path, byte[] buffer, long offset, bool direct, out int read)
    {
        read = 0;
        var e = Posix.Open(path, Posix.O_RDONLY | (direct ? Posix.O_DIRECT : 0), 0, out var fd);
        if (e != Errno.None) return e;
        try { return Posix.PRead(fd, buffer, offset, out read); }
        finally { Posix.Close(fd); }
    }

    private void Mkdir()
    {
        var path = AnyName();
        var mode = _rng.Next(4) == 0 ? 0x1c0u /* 0700 */ : 0x1edu /* 0755 */;
        Both($"mkdir {path} {Convert.ToString(mode, 8)}", side => Posix.Mkdir(side(path), mode));
    }

    private void Rmdir()
    {
        var path = Existing(st => st.IsDirectory) ?? AnyName();
        Both($"rmdir {path}", side => Posix.Rmdir(side(path)));
    }

    private void Unlink()
    {
        var path = Existing(st => !st.IsDirectory) ?? AnyPath();
        Both($"unlink {path}", side => Posix.Unlink(side(path)));
    }

    private void Rename(uint flags)
    {
        var from = AnyPath();
        var to = _rng.Next(3) == 0 ? AnyName() : AnyPath();
        var what = flags switch { Posix.RENAME_NOREPLACE => "rename-noreplace", Posix.RENAME_EXCHANGE => "rename-exchange", _ => "rename" };
        Both($"{what} {from} -> {to}", side => Posix.Rename(side(from), side(to), flags));
    }

    private void Link()
    {
        var from = ExistingFile() ?? AnyPath();
        var to = AnyName();
        Both($"link {from} -> {to}", side => Posix.Link(side(from), side(to)));
    }

    private void Symlink()
    {
        var path = AnyName();
        var target = _rng.Next(3) switch { 0 => AnyPath(), 1 => "../" + AnyName(), _ => "/nonexistent/" + new string('t', _rng.Next(1, 200)) };
        Both($"symlink {path} -> {target}", side => Posix.Symlink(target, side(path)));
    }

    private void Chmod()
    {
        var path = Existing(st => !st.IsSymlink) ?? AnyName();
        var isDirectory = _entries.Any(e => e.Path == path && e.St.IsDirectory);
        var mode = isDirectory ? (_rng.Next(2) == 0 ? 0x1edu /* 0755 */ : 0x5fdu /* 02775 */) : FileMode();
        Both($"chmod {path} {Convert.ToString(mode, 8)}", side => Posix.Chmod(side(path), mode));
    }

    private void SetXattr()
    {
        var path = Existing(st => !st.IsSymlink) ?? AnyName();
        var name = s_xattrNames[_rng.Next(s_xattrNames.Length)];
        var value = Data(name == "user.big" ? _rng.Next(1000, 3000) : _rng.Next(0, 40));
        var flags = _rng.Next(5) switch { 0 => Posix.XATTR_CREATE, 1 => Posix.XATTR_REPLACE, _ => 0 };
        Both($"setxattr {path} {name} ({value.Length} bytes, flags {flags})", side => Posix.SetXattr(side(path), name, value, flags));
    }

    private void RemoveXattr()
    {
        var path = Existing(st => !st.IsSymlink) ?? AnyName();
        var name = s_xattrNames[_rng.Next(s_xattrNames.Length)];
        Both($"removexattr {path} {name}", side => Posix.RemoveXattr(side(path), name));
    }

    private void Fsync()
    {
        var dir = _rng.Next(3) == 0;
        var path = dir ? PickDirectory() : ExistingFile() ?? PickDirectory();
        var dataOnly = _rng.Next(2) == 0;
        Both($"{(dataOnly ? "fdatasync" : "fsync")} {(path.Length == 0 ? "/" : path)}", side =>
        {
            var e = Posix.Open(side(path.Length == 0 ? "." : path), Posix.O_RDONLY, 0, out var fd);
            if (e != Errno.None) return e;
            try { return dataOnly ? Posix.FDataSync(fd) : Posix.FSync(fd); }
            finally { Posix.Close(fd); }
        });
    }

    private void OpenTruncate()
    {
        if (ExistingFile() is not { } path) { Create(); return; }
        var data = Data(_rng.Next(0, 50_000));
        if (Both($"open O_TRUNC {path} and write {data.Length} bytes", side => WriteFile(side(path), Posix.O_WRONLY | Posix.O_TRUNC, data, 0)) == Errno.None)
        {
            CheckRange(path, 0, data.Length + 4096);
        }
    }

    /// <summary>Open, unlink, then write and read through the open descriptor: the data lives until close.</summary>
    private void UnlinkWhileOpen()
    {
        if (ExistingFile() is not { } path) { Create(); return; }
        var data = Data(_rng.Next(1, 100_000));
        var offset = _rng.NextInt64(0, 200_000);
        string? problem = null;
        Both($"open {path}, unlink it, write [{offset}, +{data.Length}) and read it back through the descriptor", side =>
        {
            var e = Posix.Open(side(path), Posix.O_RDWR, 0, out var fd);
            if (e != Errno.None) return e;
            try
            {
                if ((e = Posix.Unlink(side(path))) != Errno.None) return e;
                if ((e = Posix.PWrite(fd, data, offset)) != Errno.None) return e;
                var back = new byte[data.Length];
                if ((e = Posix.PRead(fd, back, offset, out var n)) != Errno.None) return e;
                if (n != data.Length || !back.AsSpan().SequenceEqual(data)) problem ??= $"{side(path)}: read back {n} bytes that differ from what was written";
                return Errno.None;
            }
            finally { Posix.Close(fd); }
        });
        if (problem is not null) throw new FsxMismatchException(problem);
    }
}

internal sealed class FsxMismatchException(string message) : Exception(message);
