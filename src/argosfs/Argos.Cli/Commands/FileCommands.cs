using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Platform.Interop;
using Argos.Volume;
using Argos.Volume.Tree;

namespace Argos.Cli.Commands;

/// <summary>
/// Per-file verbs on any pool (image files or block devices), paths absolute inside the pool.
/// Reading verbs (cat, get, ls, stat, getfattr) open read-only; changing verbs open read-write and
/// close cleanly. Arguments are checked before the pool is opened, so bad input changes nothing.
/// This file: put, get, cat, ls, stat; FileCommands.Namespace.cs: mkdir … truncate;
/// FileCommands.Xattr.cs: setfattr, getfattr.
/// </summary>
public static partial class FileCommands
{
    private static Argument<string> PoolPathArgument(string name, string description) => new(name) { Description = description };

    /// <summary>Runs a command body; namespace failures are reworded for <paramref name="path"/>.</summary>
    private static int Guard(string path, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (NamespaceException e)
        {
            throw PoolPath.Explain(path, e);
        }
    }

    private static void RequireAbsolute(string path, string what)
    {
        if (!path.StartsWith('/'))
        {
            throw new UsageException($"{what} '{path}' is not absolute; paths inside the pool start at its root, e.g. /etc/passwd");
        }
    }

    public static Command Put()
    {
        var sel = new PoolSelector();
        var local = new Argument<string>("LOCAL") { Description = "Host file to copy ('-' reads standard input)" };
        var path = PoolPathArgument("PATH", "Pool path of the new (or replaced) file, or an existing pool directory");
        var mode = new Option<string?>("--mode") { Description = "Permission bits (default: those of LOCAL, 0644 for stdin)" };
        var cmd = new Command("put", "Copy a host file into the pool (holes stay holes)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(local); cmd.Arguments.Add(path); cmd.Options.Add(mode);
        cmd.SetAction(r =>
        {
            var src = r.GetValue(local)!;
            var dst = r.GetValue(path)!;
            RequireAbsolute(dst, "PATH");
            uint? perm = r.GetValue(mode) is { } m ? ParsePermissions(m) : null;
            FileDescriptorHandle? fd = null;
            HostStat st = default;
            if (src != "-")
            {
                var bytes = Encoding.UTF8.GetBytes(src);
                if (!LibC.TryLStat(bytes, out st, out var errno))
                {
                    throw new UsageException($"LOCAL '{src}': {errno}; give an existing file on this machine");
                }
                if (!st.IsRegular)
                {
                    throw new UsageException($"LOCAL '{src}' is not a regular file; use 'argosfs import-tree' for directories");
                }
                fd = LibC.OpenPath(bytes, LibC.O_RDONLY);
            }
            using (fd)
            using (var volume = VolumeFactory.Open(r, sel, readOnly: false))
            {
                return Guard(dst, () =>
                {
                    var (parent, name) = PoolPath.ResolveParent(volume, dst);
                    if (PoolPath.TryLookup(volume, parent, name, out var existing) && existing.IsDirectory)
                    {
                        parent = existing.Ino;
                        name = Encoding.UTF8.GetBytes(src == "-" ? "stdin" : Path.GetFileName(src));
                        PoolPath.TryLookup(volume, parent, name, out existing);
                    }
                    InodeId ino;
                    if (existing.Ino.Value != 0)
                    {
                        if (!PosixMode.IsRegular(existing.Mode))
                        {
                            throw new VolumeException(Errno.EEXIST, $"'{dst}' exists and is not a regular file; remove it first (argosfs rm)");
                        }
                        ino = existing.Ino;
                        volume.Truncate(ino, 0, Credentials.Root, perm is uint p ? new SetAttrRequest { Mode = p } : null);
                    }
                    else
                    {
                        var bits = perm ?? (fd is null ? 0x1A4u : st.Mode & PosixMode.PermissionMask);
                        var n = name;
                        var dir = parent;
                        ino = volume.Mutate(tx => volume.Namespace.Create(tx, dir, n, bits, Credentials.Root)).Ino;
                    }
                    var buffer = new byte[volume.StripeDataBytes];
                    if (fd is not null)
                    {
                        FileData.CopyIn(volume, fd, src, ino, st.SizeBytes, buffer);
                    }
                    else
                    {
                        using var stdin = Console.OpenStandardInput();
                        ulong pos = 0;
                        int got;
                        while ((got = ReadFull(stdin, buffer)) > 0)
                        {
                            volume.Write(ino, pos, buffer.AsSpan(0, got), Credentials.Root);
                            pos += (ulong)got;
                        }
                    }
                    volume.Flush(ino, durable: true);
                    return ExitCodes.Success;
                });
            }
        });
        return cmd;
    }

    private static int ReadFull(Stream s, byte[] buffer)
    {
        var done = 0;
        int n;
        while (done < buffer.Length && (n = s.Read(buffer, done, buffer.Length - done)) > 0) done += n;
        return done;
    }

    public static Command Get()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool file to copy out");
        var local = new Argument<string>("LOCAL") { Description = "Host file to write (replaced if it exists), an existing directory, or '-' for standard output" };
        var cmd = new Command("get", "Copy a pool file to the host (holes stay holes; opens read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(path); cmd.Arguments.Add(local);
        cmd.SetAction(r =>
        {
            var src = r.GetValue(path)!;
            var dst = r.GetValue(local)!;
            RequireAbsolute(src, "PATH");
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            return Guard(src, () =>
            {
                var ino = PoolPath.Resolve(volume, src, followLast: true);
                var attr = volume.GetAttr(ino);
                if (!PosixMode.IsRegular(attr.Mode))
                {
                    throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.EINVAL,
                        $"'{src}' is not a regular file; use 'argosfs export-tree --from {src}' for directories");
                }
                var buffer = new byte[volume.StripeDataBytes];
                if (dst == "-")
                {
                    using var stdout = Console.OpenStandardOutput();
                    FileData.CopyToStream(volume, ino, stdout, buffer);
                    return ExitCodes.Success;
                }
                if (Directory.Exists(dst))
                {
                    dst = Path.Combine(dst, Path.GetFileName(src.TrimEnd('/')));
                }
                using var fd = LibC.OpenPath(Encoding.UTF8.GetBytes(dst), LibC.O_WRONLY | LibC.O_CREAT | LibC.O_TRUNC,
                    (int)(attr.Mode & PosixMode.AccessMask));
                FileData.CopyOut(volume, ino, fd, dst, buffer);
                return ExitCodes.Success;
            });
        });
        return cmd;
    }

    public static Command Cat()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool file to print");
        var snapshot = SnapshotCommands.SnapshotOption();
        var cmd = new Command("cat", "Write a pool file's bytes to standard output (binary-safe; opens read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(path); cmd.Options.Add(snapshot);
        cmd.SetAction(r =>
        {
            var src = r.GetValue(path)!;
            RequireAbsolute(src, "PATH");
            if (r.GetValue(snapshot) is { } snap) SnapshotCommands.RequireValidName(snap);
            using var pool = VolumeFactory.Open(r, sel, readOnly: true);
            using var view = r.GetValue(snapshot) is { } name ? pool.OpenSnapshot(name) : null;
            IFileTree volume = view is null ? pool : view;
            return Guard(src, () =>
            {
                var ino = PoolPath.Resolve(volume, src, followLast: true);
                var attr = volume.GetAttr(ino);
                if (!PosixMode.IsRegular(attr.Mode))
                {
                    throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.EINVAL, $"'{src}' is not a regular file; cat prints file contents only");
                }
                using var stdout = Console.OpenStandardOutput();
                FileData.CopyToStream(volume, ino, stdout, new byte[volume.StripeDataBytes]);
                return ExitCodes.Success;
            });
        });
        return cmd;
    }

    public static Command Ls()
    {
        var sel = new PoolSelector();
        var path = new Argument<string>("PATH") { Description = "Pool directory (or file) to list", DefaultValueFactory = _ => "/" };
        var longFormat = new Option<bool>("--long", "-l") { Description = "Type, mode, links, owner, size, mtime and symlink targets" };
        var all = new Option<bool>("--all", "-a") { Description = "Also list '.' and '..'" };
        var snapshot = SnapshotCommands.SnapshotOption();
        var cmd = new Command("ls", "List a pool directory (opens read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(path); cmd.Options.Add(longFormat); cmd.Options.Add(all); cmd.Options.Add(snapshot);
        cmd.SetAction(r =>
        {
            var dir = r.GetValue(path)!;
            RequireAbsolute(dir, "PATH");
            if (r.GetValue(snapshot) is { } snap) SnapshotCommands.RequireValidName(snap);
            using var pool = VolumeFactory.Open(r, sel, readOnly: true);
            using var view = r.GetValue(snapshot) is { } name ? pool.OpenSnapshot(name) : null;
            IFileTree volume = view is null ? pool : view;
            return Guard(dir, () =>
            {
                var ns = volume.Namespace;
                var ino = PoolPath.Resolve(volume, dir, followLast: true);
                var rows = new List<(string Name, InodeAttributes Attr)>();
                if (volume.GetAttr(ino).IsDirectory)
                {
                    var entries = new List<DirEntryPlus>();
                    ulong cookie = r.GetValue(all) ? 0 : FsNamespace.DotDotCookie;
                    while (ns.ReadDirectoryPlus(ino, cookie, 1024, entries) > 0)
                    {
                        cookie = entries[^1].Entry.Cookie;
                    }
                    rows.AddRange(entries.Select(e => (LibC.Display(e.Entry.Name.Span), e.Attributes)));
                    rows.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
                }
                else
                {
                    rows.Add((dir, volume.GetAttr(PoolPath.Resolve(volume, dir, followLast: false))));
                }
                if (r.GetValue(Program.JsonOption))
                {
                    Output.Json(new JsonArray(rows.Select(x =>
                    {
                        var o = new JsonObject
                        {
                            ["name"] = x.Name,
                            ["ino"] = x.Attr.Ino.Value,
                            ["type"] = TypeName(x.Attr.Mode),
                            ["mode"] = Octal(x.Attr.Mode & PosixMode.PermissionMask),
                            ["size"] = x.Attr.Size,
                            ["nlink"] = x.Attr.Nlink,
                            ["uid"] = x.Attr.Uid,
                            ["gid"] = x.Attr.Gid,
                            ["mtime"] = Iso(x.Attr.Mtime),
                        };
                        if (PosixMode.IsSymlink(x.Attr.Mode)) o["target"] = LibC.Display(ns.Readlink(x.Attr.Ino).Span);
                        return (JsonNode)o;
                    }).ToArray()));
                    return ExitCodes.Success;
                }
                foreach (var (name, a) in rows)
                {
                    if (!r.GetValue(longFormat))
                    {
                        Output.Line(name);
                        continue;
                    }
                    var size = a.Type is FileType.CharDevice or FileType.BlockDevice
                        ? $"{DeviceNumber.Major(a.Rdev)}, {DeviceNumber.Minor(a.Rdev)}"
                        : a.Size.ToString(CultureInfo.InvariantCulture);
                    var target = PosixMode.IsSymlink(a.Mode) ? " -> " + LibC.Display(ns.Readlink(a.Ino).Span) : "";
                    Output.Line(string.Create(CultureInfo.InvariantCulture,
                        $"{ModeString(a.Mode)} {a.Nlink,3} {a.Uid,5} {a.Gid,5} {size,12} {DateTimeOffset.FromUnixTimeSeconds(a.Mtime.Seconds):yyyy-MM-dd HH:mm} {name}{target}"));
                }
                return ExitCodes.Success;
            });
        });
        return cmd;
    }

    public static Command Stat()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool path to describe (a final symlink is not followed)");
        var deref = new Option<bool>("--dereference", "-L") { Description = "Follow a final symlink" };
        var cmd = new Command("stat", "Print an inode's attributes as JSON: ino, type, mode, owner, links, size, rdev, ns times, xattr names (opens read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(path); cmd.Options.Add(deref);
        cmd.SetAction(r =>
        {
            var p = r.GetValue(path)!;
            RequireAbsolute(p, "PATH");
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            return Guard(p, () =>
            {
                var ino = PoolPath.Resolve(volume, p, followLast: r.GetValue(deref));
                var a = volume.GetAttr(ino);
                var o = new JsonObject
                {
                    ["path"] = p,
                    ["ino"] = a.Ino.Value,
                    ["generation"] = a.Generation,
                    ["type"] = TypeName(a.Mode),
                    ["mode"] = Octal(a.Mode & PosixMode.PermissionMask),
                    ["st_mode"] = Octal(a.Mode),
                    ["uid"] = a.Uid,
                    ["gid"] = a.Gid,
                    ["nlink"] = a.Nlink,
                    ["size"] = a.Size,
                    ["rdev"] = a.Rdev,
                    ["rdev_major"] = DeviceNumber.Major(a.Rdev),
                    ["rdev_minor"] = DeviceNumber.Minor(a.Rdev),
                    ["flags"] = a.Flags,
                };
                foreach (var (key, t) in (ReadOnlySpan<(string, Timespec)>)[("atime", a.Atime), ("mtime", a.Mtime), ("ctime", a.Ctime), ("btime", a.Btime)])
                {
                    o[key] = Iso(t);
                    o[key + "_sec"] = t.Seconds;
                    o[key + "_nsec"] = t.Nanoseconds;
                }
                if (PosixMode.IsSymlink(a.Mode)) o["target"] = LibC.Display(volume.Namespace.Readlink(ino).Span);
                o["xattrs"] = new JsonArray(volume.Namespace.ListXattr(ino, Credentials.Root)
                    .Select(n => (JsonNode)JsonValue.Create(LibC.Display(n.Span))!).ToArray());
                Output.Json(o);
                return ExitCodes.Success;
            });
        });
        return cmd;
    }

    // ---- formatting ------------------------------------------------------------------------

    internal static string Octal(uint value) => "0" + Convert.ToString(value, 8);

    internal static string Iso(Timespec t) =>
        DateTimeOffset.FromUnixTimeSeconds(t.Seconds).UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)
        + "." + t.Nanoseconds.ToString("D9", CultureInfo.InvariantCulture) + "Z";

    internal static string TypeName(uint mode) => PosixMode.TypeOf(mode) switch
    {
        FileType.Regular => "regular",
        FileType.Directory => "directory",
        FileType.Symlink => "symlink",
        FileType.CharDevice => "char",
        FileType.BlockDevice => "block",
        FileType.Fifo => "fifo",
        FileType.Socket => "socket",
        _ => "unknown",
    };

    /// <summary>ls -l's "drwxr-sr-t" string.</summary>
    internal static string ModeString(uint mode)
    {
        var c = new char[10];
        c[0] = PosixMode.TypeOf(mode) switch
        {
            FileType.Directory => 'd',
            FileType.Symlink => 'l',
            FileType.CharDevice => 'c',
            FileType.BlockDevice => 'b',
            FileType.Fifo => 'p',
            FileType.Socket => 's',
            _ => '-',
        };
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            c[i + 1] = (mode & (1u << (8 - i))) != 0 ? rwx[i] : '-';
        }
        if ((mode & PosixMode.S_ISUID) != 0) c[3] = c[3] == 'x' ? 's' : 'S';
        if ((mode & PosixMode.S_ISGID) != 0) c[6] = c[6] == 'x' ? 's' : 'S';
        if ((mode & PosixMode.S_ISVTX) != 0) c[9] = c[9] == 'x' ? 't' : 'T';
        return new string(c);
    }
}
