using System.CommandLine;
using System.Globalization;
using System.Text;
using Argos.Cli.Parsing;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Volume;
using Argos.Volume.Tree;

namespace Argos.Cli.Commands;

/// <summary>Namespace changes: mkdir, mknod, symlink, link, rename, rm, chmod, chown, truncate.</summary>
public static partial class FileCommands
{
    /// <summary>Runs a change on a read-write pool; the pool is closed cleanly whatever happens.</summary>
    private static Command Changing(string name, string description, PoolSelector sel, Func<ParseResult, ArgosVolume, int> body, Action<ParseResult>? validate = null)
    {
        var cmd = new Command(name, description);
        sel.AddTo(cmd);
        cmd.SetAction(r =>
        {
            validate?.Invoke(r);
            using var volume = VolumeFactory.Open(r, sel, readOnly: false);
            var rc = body(r, volume);
            volume.Close();
            return rc;
        });
        return cmd;
    }

    internal static uint ParsePermissions(string text)
    {
        var mode = FileModeText.Parse(text);
        if (mode > PosixMode.PermissionMask)
        {
            throw new UsageException($"mode '{text}' has bits beyond 07777; give permission bits only, e.g. 755 or 4755");
        }
        return mode;
    }

    public static Command Mkdir()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool directory to create");
        var mode = new Option<string>("--mode", "-m") { Description = "Permission bits", DefaultValueFactory = _ => "755" };
        var parents = new Option<bool>("--parents", "-p") { Description = "Create missing parents; an existing directory is not an error" };
        var cmd = Changing("mkdir", "Create a directory in the pool", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            var bits = ParsePermissions(r.GetValue(mode)!);
            return Guard(p, () =>
            {
                if (!r.GetValue(parents))
                {
                    var (parent, name) = PoolPath.ResolveParent(v, p);
                    v.Mutate(tx => v.Namespace.Mkdir(tx, parent, name, bits, Credentials.Root));
                    return ExitCodes.Success;
                }
                var current = InodeId.Root;
                var parts = p.Split('/', StringSplitOptions.RemoveEmptyEntries);
                for (var i = 0; i < parts.Length; i++)
                {
                    var name = Encoding.UTF8.GetBytes(parts[i]);
                    var shown = "/" + string.Join('/', parts[..(i + 1)]);
                    if (PoolPath.TryLookup(v, current, name, out var existing))
                    {
                        if (PosixMode.IsSymlink(existing.Mode))
                        {
                            existing = v.GetAttr(PoolPath.Resolve(v, shown, followLast: true));
                        }
                        if (!existing.IsDirectory)
                        {
                            throw new VolumeException(Errno.ENOTDIR, $"'{shown}' exists in the pool and is not a directory");
                        }
                        current = existing.Ino;
                        continue;
                    }
                    var dir = current;
                    var last = i == parts.Length - 1;
                    current = v.Mutate(tx => v.Namespace.Mkdir(tx, dir, name, last ? bits : 0x1EDu, Credentials.Root)).Ino;
                }
                return ExitCodes.Success;
            });
        }, r => RequireAbsolute(r.GetValue(path)!, "PATH"));
        cmd.Arguments.Add(path); cmd.Options.Add(mode); cmd.Options.Add(parents);
        return cmd;
    }

    public static Command Mknod()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool path of the new node");
        var mode = new Option<string?>("--mode", "-m") { Description = "Mode with the type bits (020644 = char device rw-r--r--), or permission bits with --type" };
        var type = new Option<string?>("--type", "-t") { Description = "c (char device), b (block device), p (FIFO), s (socket)" };
        var rdev = new Option<string?>("--rdev") { Description = "Device number: MAJOR:MINOR, or the encoded number" };
        var cmd = Changing("mknod", "Create a device node, FIFO or socket in the pool", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            var (fullMode, dev) = ParseMknod(r.GetValue(mode), r.GetValue(type), r.GetValue(rdev));
            return Guard(p, () =>
            {
                var (parent, name) = PoolPath.ResolveParent(v, p);
                v.Mutate(tx => v.Namespace.Mknod(tx, parent, name, fullMode, dev, Credentials.Root));
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(path)!, "PATH");
            ParseMknod(r.GetValue(mode), r.GetValue(type), r.GetValue(rdev));
        });
        cmd.Arguments.Add(path); cmd.Options.Add(mode); cmd.Options.Add(type); cmd.Options.Add(rdev);
        return cmd;
    }

    internal static (uint Mode, ulong Rdev) ParseMknod(string? modeText, string? typeText, string? rdevText)
    {
        uint mode = modeText is null ? 0x1A4 : FileModeText.Parse(modeText);
        uint typeBits = mode & PosixMode.S_IFMT;
        if (typeText is not null)
        {
            var t = typeText switch
            {
                "c" or "u" => PosixMode.S_IFCHR,
                "b" => PosixMode.S_IFBLK,
                "p" => PosixMode.S_IFIFO,
                "s" => PosixMode.S_IFSOCK,
                _ => throw new UsageException($"--type '{typeText}' is not known; use c (char device), b (block device), p (FIFO) or s (socket)"),
            };
            if (typeBits != 0 && typeBits != t)
            {
                throw new UsageException($"--mode {modeText} and --type {typeText} name different file types; give the type once");
            }
            typeBits = t;
        }
        if (typeBits is not (PosixMode.S_IFCHR or PosixMode.S_IFBLK or PosixMode.S_IFIFO or PosixMode.S_IFSOCK))
        {
            throw new UsageException("mknod needs a node type: --type c|b|p|s, or a --mode with type bits such as 020644 (char) or 060660 (block); use mkdir, symlink or put for the others");
        }
        var isDevice = typeBits is PosixMode.S_IFCHR or PosixMode.S_IFBLK;
        if (isDevice && rdevText is null)
        {
            throw new UsageException("a device node needs --rdev MAJOR:MINOR (e.g. --rdev 1:3 for /dev/null)");
        }
        if (!isDevice && rdevText is not null)
        {
            throw new UsageException("--rdev is only for character and block devices; leave it out for FIFOs and sockets");
        }
        ulong dev = 0;
        if (rdevText is not null)
        {
            var parts = rdevText.Split(':');
            if (parts.Length == 2
                && uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var major)
                && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
                && major <= DeviceNumber.MaxMajor && minor <= DeviceNumber.MaxMinor)
            {
                dev = DeviceNumber.Encode(major, minor);
            }
            else if (parts.Length == 1 && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var encoded) && encoded <= uint.MaxValue)
            {
                dev = encoded;
            }
            else
            {
                throw new UsageException($"--rdev '{rdevText}' is not a device number; write MAJOR:MINOR (major ≤ {DeviceNumber.MaxMajor}, minor ≤ {DeviceNumber.MaxMinor}) or the encoded number");
            }
        }
        return (typeBits | (mode & PosixMode.PermissionMask), dev);
    }

    public static Command Symlink()
    {
        var sel = new PoolSelector();
        var target = new Argument<string>("TARGET") { Description = "What the link points to (stored as given; need not exist)" };
        var link = PoolPathArgument("LINK", "Pool path of the new symbolic link");
        var cmd = Changing("symlink", "Create a symbolic link in the pool", sel, (r, v) =>
        {
            var p = r.GetValue(link)!;
            var t = Encoding.UTF8.GetBytes(r.GetValue(target)!);
            return Guard(p, () =>
            {
                var (parent, name) = PoolPath.ResolveParent(v, p);
                v.Mutate(tx => v.Namespace.Symlink(tx, parent, name, t, Credentials.Root));
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(link)!, "LINK");
            if (string.IsNullOrEmpty(r.GetValue(target)))
            {
                throw new UsageException("TARGET is empty; a symbolic link needs something to point to");
            }
        });
        cmd.Arguments.Add(target); cmd.Arguments.Add(link);
        return cmd;
    }

    public static Command Link()
    {
        var sel = new PoolSelector();
        var old = PoolPathArgument("OLD", "Existing pool file (not a directory)");
        var @new = PoolPathArgument("NEW", "New name for it");
        var cmd = Changing("link", "Create a hard link in the pool", sel, (r, v) =>
        {
            var o = r.GetValue(old)!;
            var n = r.GetValue(@new)!;
            var target = Guard2(o, () => PoolPath.Resolve(v, o, followLast: false));
            if (v.GetAttr(target).IsDirectory)
            {
                throw new VolumeException(Errno.EPERM, $"'{o}' is a directory; directories cannot be hard-linked (use symlink)");
            }
            return Guard(n, () =>
            {
                var (parent, name) = PoolPath.ResolveParent(v, n);
                v.Mutate(tx => v.Namespace.Link(tx, target, parent, name));
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(old)!, "OLD");
            RequireAbsolute(r.GetValue(@new)!, "NEW");
        });
        cmd.Arguments.Add(old); cmd.Arguments.Add(@new);
        return cmd;
    }

    public static Command Rename()
    {
        var sel = new PoolSelector();
        var old = PoolPathArgument("OLD", "Existing pool path");
        var @new = PoolPathArgument("NEW", "New pool path (an existing file, or empty directory, is replaced as rename(2) does)");
        var noReplace = new Option<bool>("--no-replace") { Description = "Fail if NEW exists (RENAME_NOREPLACE)" };
        var exchange = new Option<bool>("--exchange") { Description = "Swap OLD and NEW, which must both exist (RENAME_EXCHANGE)" };
        var cmd = Changing("rename", "Rename or move an entry within the pool", sel, (r, v) =>
        {
            var o = r.GetValue(old)!;
            var n = r.GetValue(@new)!;
            var flags = r.GetValue(noReplace) ? RenameFlags.NoReplace : r.GetValue(exchange) ? RenameFlags.Exchange : RenameFlags.None;
            var (op, on) = Guard2(o, () => PoolPath.ResolveParent(v, o));
            if (!PoolPath.TryLookup(v, op, on, out _))
            {
                throw new VolumeException(Errno.ENOENT, $"'{o}' does not exist in the pool; check it with 'argosfs ls'");
            }
            var (np, nn) = Guard2(n, () => PoolPath.ResolveParent(v, n));
            return Guard(n, () =>
            {
                v.Mutate(tx => v.Namespace.Rename(tx, op, on, np, nn, flags));
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(old)!, "OLD");
            RequireAbsolute(r.GetValue(@new)!, "NEW");
            if (r.GetValue(noReplace) && r.GetValue(exchange))
            {
                throw new UsageException("--no-replace and --exchange cannot be combined; pick one");
            }
        });
        cmd.Arguments.Add(old); cmd.Arguments.Add(@new); cmd.Options.Add(noReplace); cmd.Options.Add(exchange);
        return cmd;
    }

    private static T Guard2<T>(string path, Func<T> body)
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

    public static Command Rm()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool entry to remove (a directory must be empty unless -r)");
        var recursive = new Option<bool>("--recursive", "-r", "-R") { Description = "Remove a directory and everything below it" };
        var cmd = Changing("rm", "Remove a file, symlink, node or directory from the pool", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            return Guard(p, () =>
            {
                var (parent, name) = PoolPath.ResolveParent(v, p);
                var attr = v.Namespace.Lookup(parent, name);
                if (attr.IsDirectory && r.GetValue(recursive))
                {
                    RemoveTree(v, parent, name, attr);
                }
                else if (attr.IsDirectory)
                {
                    v.Mutate(tx => v.Namespace.Rmdir(tx, parent, name));
                }
                else
                {
                    v.Mutate(tx => v.Namespace.Unlink(tx, parent, name));
                }
                return ExitCodes.Success;
            });
        }, r =>
        {
            var p = r.GetValue(path)!;
            RequireAbsolute(p, "PATH");
            if (p.Trim('/').Length == 0)
            {
                throw new UsageException("the pool root cannot be removed; remove its entries instead (argosfs rm -r /NAME)");
            }
        });
        cmd.Arguments.Add(path); cmd.Options.Add(recursive);
        return cmd;
    }

    private static void RemoveTree(ArgosVolume v, InodeId parent, byte[] name, InodeAttributes attr)
    {
        var entries = new List<DirEntryPlus>();
        ulong cookie = FsNamespace.DotDotCookie;
        while (v.Namespace.ReadDirectoryPlus(attr.Ino, cookie, 1024, entries) > 0)
        {
            cookie = entries[^1].Entry.Cookie;
        }
        foreach (var e in entries)
        {
            var childName = e.Entry.Name.ToArray();
            if (e.Attributes.IsDirectory)
            {
                RemoveTree(v, attr.Ino, childName, e.Attributes);
            }
            else
            {
                v.Mutate(tx => v.Namespace.Unlink(tx, attr.Ino, childName));
            }
        }
        v.Mutate(tx => v.Namespace.Rmdir(tx, parent, name));
    }

    public static Command Chmod()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool entry (a final symlink is followed)");
        var mode = new Argument<string>("MODE") { Description = "Octal permission bits incl. setuid/setgid/sticky, e.g. 755 or 4755" };
        var cmd = Changing("chmod", "Change permission bits in the pool", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            var bits = ParsePermissions(r.GetValue(mode)!);
            return Guard(p, () =>
            {
                var ino = PoolPath.Resolve(v, p, followLast: true);
                v.Mutate(tx => v.Namespace.SetAttr(tx, ino, new SetAttrRequest { Mode = bits }, Credentials.Root));
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(path)!, "PATH");
            ParsePermissions(r.GetValue(mode)!);
        });
        cmd.Arguments.Add(path); cmd.Arguments.Add(mode);
        return cmd;
    }

    public static Command Chown()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool entry (a final symlink is followed unless --no-dereference)");
        var owner = new Argument<string>("OWNER") { Description = "UID:GID, UID or :GID (numeric ids: the pool has no user database)" };
        var noDeref = new Option<bool>("--no-dereference") { Description = "Change a symlink itself" };
        var cmd = Changing("chown", "Change owner and group in the pool", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            var (uid, gid) = ParseOwner(r.GetValue(owner)!);
            return Guard(p, () =>
            {
                var ino = PoolPath.Resolve(v, p, followLast: !r.GetValue(noDeref));
                v.Mutate(tx => v.Namespace.SetAttr(tx, ino, new SetAttrRequest { Uid = uid, Gid = gid }, Credentials.Root));
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(path)!, "PATH");
            ParseOwner(r.GetValue(owner)!);
        });
        cmd.Arguments.Add(path); cmd.Arguments.Add(owner); cmd.Options.Add(noDeref);
        return cmd;
    }

    internal static (uint? Uid, uint? Gid) ParseOwner(string text)
    {
        var parts = text.Split(':');
        static uint? Id(string s, string text, string what)
        {
            if (s.Length == 0) return null;
            if (uint.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != uint.MaxValue) return id;
            throw new UsageException($"owner '{text}': {what} '{s}' is not a numeric id; write UID:GID with numbers (e.g. 0:0 or 1000:1000)");
        }
        if (parts.Length > 2 || text.Length == 0 || text == ":")
        {
            throw new UsageException($"owner '{text}' is not UID:GID; write e.g. 1000:1000, 1000 or :100");
        }
        var uid = Id(parts[0], text, "uid");
        var gid = parts.Length == 2 ? Id(parts[1], text, "gid") : null;
        return (uid, gid);
    }

    public static Command Truncate()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool regular file");
        var size = new Argument<string>("SIZE") { Description = "New size (4096, 1G, 10MiB…); growing makes a hole" };
        var cmd = Changing("truncate", "Set a pool file's size", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            var bytes = ByteSize.Parse(r.GetValue(size)!);
            return Guard(p, () =>
            {
                var ino = PoolPath.Resolve(v, p, followLast: true);
                var attr = v.GetAttr(ino);
                if (!PosixMode.IsRegular(attr.Mode))
                {
                    throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.EINVAL, $"'{p}' is not a regular file; only regular files have a size to set");
                }
                v.Truncate(ino, bytes, Credentials.Root);
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(path)!, "PATH");
            if (ByteSize.Parse(r.GetValue(size)!) > long.MaxValue)
            {
                throw new UsageException($"size {r.GetValue(size)} exceeds the largest file size");
            }
        });
        cmd.Arguments.Add(path); cmd.Arguments.Add(size);
        return cmd;
    }
}
