using System.CommandLine;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Platform.Interop;
using Argos.Volume;
using Argos.Volume.Tree;

namespace Argos.Cli.Commands;

/// <summary>
/// setfattr / getfattr with attr(1)'s value encodings: "0x…" hex, "0s…" base64, "\"…\"" quoted
/// text with backslash escapes (\\, \", \ooo octal), anything else literal text. getfattr prints a
/// value as quoted text when it is printable and as base64 otherwise (or as -e asks).
/// </summary>
public static partial class FileCommands
{
    public static Command Setfattr()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool entry");
        var name = new Option<string?>("--name", "-n") { Description = "Attribute to set (user.*, trusted.*, security.*, system.posix_acl_access/default)" };
        var value = new Option<string?>("--value", "-v") { Description = "Value: text, \"quoted text\", 0xHEX or 0sBASE64 (default empty)" };
        var remove = new Option<string?>("--remove", "-x") { Description = "Attribute to remove" };
        var noDeref = new Option<bool>("--no-dereference") { Description = "Act on a symlink itself" };
        var cmd = Changing("setfattr", "Set or remove an extended attribute in the pool", sel, (r, v) =>
        {
            var p = r.GetValue(path)!;
            var (n, val, rm) = ParseSetfattr(r.GetValue(name), r.GetValue(value), r.GetValue(remove));
            return Guard(p, () =>
            {
                var ino = PoolPath.Resolve(v, p, followLast: !r.GetValue(noDeref));
                try
                {
                    if (rm)
                    {
                        v.Mutate(tx => v.Namespace.RemoveXattr(tx, ino, n, Credentials.Root));
                    }
                    else
                    {
                        v.Mutate(tx => v.Namespace.SetXattr(tx, ino, n, val, XattrFlags.None, Credentials.Root));
                    }
                }
                catch (NamespaceException e)
                {
                    throw new VolumeException(e.Errno, $"{p}: {XattrHint(e, Encoding.UTF8.GetString(n), p)}");
                }
                return ExitCodes.Success;
            });
        }, r =>
        {
            RequireAbsolute(r.GetValue(path)!, "PATH");
            ParseSetfattr(r.GetValue(name), r.GetValue(value), r.GetValue(remove));
        });
        cmd.Arguments.Add(path); cmd.Options.Add(name); cmd.Options.Add(value); cmd.Options.Add(remove); cmd.Options.Add(noDeref);
        return cmd;
    }

    private static string XattrHint(NamespaceException e, string name, string path) => e.Errno switch
    {
        Errno.ENODATA => $"no attribute '{name}'; list them with 'argosfs getfattr {path}'",
        Errno.EOPNOTSUPP => $"'{name}' is not a supported attribute name; use the user., trusted., security. prefix or system.posix_acl_access/default",
        Errno.EINVAL => $"{e.Message}; a POSIX ACL value must be the kernel's binary form (copy it with getfattr -e hex)",
        _ => e.Message,
    };

    internal static (byte[] Name, byte[] Value, bool Remove) ParseSetfattr(string? name, string? value, string? remove)
    {
        if (name is null == remove is null)
        {
            throw new UsageException("give either -n NAME [-v VALUE] to set an attribute or -x NAME to remove one");
        }
        if (remove is not null)
        {
            if (value is not null)
            {
                throw new UsageException("-v has no meaning with -x; -x NAME removes the attribute");
            }
            return (CheckXattrName(remove), [], true);
        }
        return (CheckXattrName(name!), value is null ? [] : DecodeValue(value), false);
    }

    private static byte[] CheckXattrName(string name)
    {
        if (name.Length == 0 || !name.Contains('.', StringComparison.Ordinal) || name.EndsWith('.'))
        {
            throw new UsageException($"attribute name '{name}' needs a namespace prefix and a name, e.g. user.comment or security.capability");
        }
        var bytes = Encoding.UTF8.GetBytes(name);
        if (bytes.Length > FsNamespace.XattrNameMaxBytes)
        {
            throw new UsageException($"attribute name '{name}' is longer than {FsNamespace.XattrNameMaxBytes} bytes");
        }
        return bytes;
    }

    /// <summary>attr(1) value syntax → bytes.</summary>
    internal static byte[] DecodeValue(string value)
    {
        if (value.Length >= 2 && value[0] == '0' && (value[1] is 'x' or 'X'))
        {
            var hex = value[2..];
            if (hex.Length % 2 != 0 || !hex.All(char.IsAsciiHexDigit))
            {
                throw new UsageException($"value '{value}' is not valid hex; write an even number of hex digits after 0x");
            }
            return Convert.FromHexString(hex);
        }
        if (value.Length >= 2 && value[0] == '0' && (value[1] is 's' or 'S'))
        {
            try
            {
                return Convert.FromBase64String(value[2..]);
            }
            catch (FormatException)
            {
                throw new UsageException($"value '{value}' is not valid base64 after 0s");
            }
        }
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"')
        {
            var bytes = new List<byte>();
            var text = Encoding.UTF8.GetBytes(value[1..^1]);
            for (var i = 0; i < text.Length; i++)
            {
                if (text[i] != (byte)'\\')
                {
                    bytes.Add(text[i]);
                    continue;
                }
                if (i + 3 < text.Length && IsOctal(text[i + 1]) && IsOctal(text[i + 2]) && IsOctal(text[i + 3]))
                {
                    bytes.Add((byte)(((text[i + 1] - '0') << 6) | ((text[i + 2] - '0') << 3) | (text[i + 3] - '0')));
                    i += 3;
                }
                else if (i + 1 < text.Length)
                {
                    bytes.Add(text[++i]);
                }
                else
                {
                    throw new UsageException($"value '{value}' ends in a lone backslash; escape it as \\\\");
                }
            }
            return bytes.ToArray();
        }
        return Encoding.UTF8.GetBytes(value);

        static bool IsOctal(byte b) => b is >= (byte)'0' and <= (byte)'7';
    }

    /// <summary>A value as getfattr prints it: "text" (escaped), 0x hex or 0s base64.</summary>
    internal static string EncodeValue(ReadOnlySpan<byte> value, string encoding)
    {
        switch (encoding)
        {
            case "hex":
                return "0x" + Convert.ToHexString(value).ToLowerInvariant();
            case "base64":
                return "0s" + Convert.ToBase64String(value);
            case "text":
                return QuoteText(value);
            default:
                var printable = true;
                for (var i = 0; i < value.Length; i++)
                {
                    var b = value[i];
                    if ((b < 0x20 && b is not (byte)'\n' and not (byte)'\t') || b == 0x7F || (b == 0 && i != value.Length - 1))
                    {
                        printable = false;
                        break;
                    }
                }
                return printable && IsUtf8(value) ? QuoteText(value) : "0s" + Convert.ToBase64String(value);
        }
    }

    private static bool IsUtf8(ReadOnlySpan<byte> value)
    {
        try
        {
            new UTF8Encoding(false, true).GetString(value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string QuoteText(ReadOnlySpan<byte> value)
    {
        var sb = new StringBuilder("\"");
        var text = Encoding.UTF8.GetString(value);
        foreach (var c in text)
        {
            if (c is '\\' or '"') sb.Append('\\').Append(c);
            else if (c < 0x20 || c == 0x7F) sb.Append('\\').Append(Convert.ToString(c, 8).PadLeft(3, '0'));
            else sb.Append(c);
        }
        return sb.Append('"').ToString();
    }

    public static Command Getfattr()
    {
        var sel = new PoolSelector();
        var path = PoolPathArgument("PATH", "Pool entry");
        var name = new Option<string?>("--name", "-n") { Description = "Print only this attribute" };
        var dump = new Option<bool>("--dump", "-d") { Description = "Print every attribute with its value (default: names only)" };
        var encoding = new Option<string?>("--encoding", "-e") { Description = "text | hex | base64 (default: text when printable, else base64)" };
        var noDeref = new Option<bool>("--no-dereference") { Description = "Act on a symlink itself" };
        var cmd = new Command("getfattr", "Print extended attributes of a pool entry (all namespaces; opens read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(path); cmd.Options.Add(name); cmd.Options.Add(dump); cmd.Options.Add(encoding); cmd.Options.Add(noDeref);
        cmd.SetAction(r =>
        {
            var p = r.GetValue(path)!;
            RequireAbsolute(p, "PATH");
            var enc = r.GetValue(encoding) ?? "auto";
            if (enc is not ("auto" or "text" or "hex" or "base64"))
            {
                throw new UsageException($"--encoding '{enc}' is not known; use text, hex or base64");
            }
            var only = r.GetValue(name) is { } n ? CheckXattrName(n) : null;
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            return Guard(p, () =>
            {
                var ns = volume.Namespace;
                var ino = PoolPath.Resolve(volume, p, followLast: !r.GetValue(noDeref));
                var names = only is not null ? [only] : ns.ListXattr(ino, Credentials.Root).Select(x => x.ToArray()).ToList();
                var withValues = only is not null || r.GetValue(dump);
                var rows = new List<(string Name, byte[]? Value)>();
                foreach (var x in names)
                {
                    byte[]? v = null;
                    if (withValues)
                    {
                        try
                        {
                            v = ns.GetXattr(ino, x, Credentials.Root).ToArray();
                        }
                        catch (NamespaceException e)
                        {
                            throw new VolumeException(e.Errno, $"{p}: {XattrHint(e, Encoding.UTF8.GetString(x), p)}");
                        }
                    }
                    rows.Add((LibC.Display(x), v));
                }
                if (r.GetValue(Program.JsonOption))
                {
                    Output.Json(new JsonObject
                    {
                        ["path"] = p,
                        ["xattrs"] = new JsonArray(rows.Select(x => (JsonNode)new JsonObject
                        {
                            ["name"] = x.Name,
                            ["value"] = x.Value is null ? null : EncodeValue(x.Value, enc),
                            ["base64"] = x.Value is null ? null : Convert.ToBase64String(x.Value),
                        }).ToArray()),
                    });
                    return ExitCodes.Success;
                }
                if (rows.Count == 0) return ExitCodes.Success;
                Output.Line("# file: " + p);
                foreach (var (xn, xv) in rows)
                {
                    Output.Line(xv is null ? xn : xn + "=" + EncodeValue(xv, enc));
                }
                Output.Line("");
                return ExitCodes.Success;
            });
        });
        return cmd;
    }
}
