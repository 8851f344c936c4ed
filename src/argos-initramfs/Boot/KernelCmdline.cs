namespace Argos.Initramfs.Boot;

public enum PoolSelectorKind { None, Uuid, Label }

/// <summary>What the boot flow does, as read from the kernel command line.</summary>
public sealed record BootSettings
{
    /// <summary>The root is an argosfs pool (root=argosfs:... or rd.argosfs.pool=).</summary>
    public bool Claimed { get; init; }
    public PoolSelectorKind PoolKind { get; init; }
    /// <summary>Lower-case uuid or pool name; empty when members are listed instead.</summary>
    public string Pool { get; init; } = "";
    public IReadOnlyList<string> Devices { get; init; } = [];
    public string Mode { get; init; } = "auto";
    public string Fsck { get; init; } = "auto";
    public int TimeoutSeconds { get; init; } = 10;
    public bool Debug { get; init; }
    public IReadOnlyList<string> Warnings { get; init; } = [];
}

/// <summary>
/// The kernel command line grammar of the argosfs root, the same as argosfs_parse_cmdline in
/// dracut/90argosfs/argosfs-lib.sh (tests run both on the same inputs):
///   root=argosfs:UUID=&lt;8-4-4-4-12 hex&gt; | root=argosfs:LABEL=&lt;[A-Za-z0-9._-]{1,64}&gt; | root=argosfs
///   rd.argosfs.pool=NAME|UUID   rd.argosfs.devices=/dev/a,/dev/b   rd.argosfs.images= (alias)
///   rd.argosfs.mode=rw|ro|degraded-ro|degraded-rw|recovery|auto (default auto)
///   rd.argosfs.fsck=auto|skip|force (default auto)   rd.argosfs.timeout=SECONDS (default 10, &lt;= 9999)
///   rd.argosfs.debug[=0|1]   rd.argosfs.autoscan=0|1 and rd.argosfs.replay=auto|none (accepted)
/// Every name is also accepted as argosfs.NAME. Later parameters override earlier ones. An unknown
/// rd.argosfs./argosfs. parameter or a malformed value is an error, never a silent default.
/// </summary>
public static class KernelCmdline
{
    public static readonly IReadOnlyList<string> Modes = ["rw", "ro", "degraded-ro", "degraded-rw", "recovery", "auto"];
    public static readonly IReadOnlyList<string> FsckPolicies = ["auto", "skip", "force"];

    /// <summary>Parses; on error returns null and the message the initramfs prints.</summary>
    public static BootSettings? TryParse(string cmdline, out string? error)
    {
        error = null;
        var s = new BootSettings();
        var poolParam = false;
        var warnings = new List<string>();
        foreach (var tok in cmdline.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = tok.IndexOf('=');
            var key = eq < 0 ? tok : tok[..eq];
            var hasValue = eq >= 0;
            var val = eq < 0 ? "" : tok[(eq + 1)..];
            if (key == "root")
            {
                if (val.StartsWith("argosfs:UUID=", StringComparison.Ordinal))
                {
                    var u = val["argosfs:UUID=".Length..];
                    if (!IsUuid(u))
                    {
                        error = IsLabel(u)
                            ? $"{tok}: UUID= must be a uuid (8-4-4-4-12 hex digits)"
                            : $"{tok}: '{u}' is neither a pool uuid (8-4-4-4-12 hex) nor a pool name (letters, digits, '.', '_', '-') - fix the kernel command line, e.g. root=argosfs:UUID=<uuid> or root=argosfs:LABEL=<name>";
                        return null;
                    }
                    s = s with { PoolKind = PoolSelectorKind.Uuid, Pool = u.ToLowerInvariant(), Claimed = true };
                }
                else if (val.StartsWith("argosfs:LABEL=", StringComparison.Ordinal))
                {
                    var l = val["argosfs:LABEL=".Length..];
                    if (!IsLabel(l))
                    {
                        error = $"{tok}: LABEL= must be a pool name (letters, digits, '.', '_', '-', at most 64)";
                        return null;
                    }
                    s = s with { PoolKind = PoolSelectorKind.Label, Pool = l, Claimed = true };
                }
                else if (val is "argosfs" or "argosfs:")
                {
                    s = s with { Claimed = true };
                }
                else if (val.StartsWith("argosfs:", StringComparison.Ordinal))
                {
                    error = $"{tok}: expected root=argosfs:UUID=<pool-uuid> or root=argosfs:LABEL=<pool-name>";
                    return null;
                }
                else
                {
                    s = s with { Claimed = false };
                }
                continue;
            }
            string name;
            if (key.StartsWith("rd.argosfs.", StringComparison.Ordinal))
            {
                name = key["rd.argosfs.".Length..];
            }
            else if (key.StartsWith("argosfs.", StringComparison.Ordinal))
            {
                name = key["argosfs.".Length..];
            }
            else
            {
                continue;
            }
            if (name == "debug")
            {
                switch (val)
                {
                    case "" or "1" or "yes" or "true": s = s with { Debug = true }; break;
                    case "0" or "no" or "false": s = s with { Debug = false }; break;
                    default: error = $"{tok}: debug takes no value, or 0/1"; return null;
                }
                continue;
            }
            if (!hasValue || val.Length == 0)
            {
                error = $"{tok}: a value is required ({key}=...)";
                return null;
            }
            switch (name)
            {
                case "pool":
                    if (IsUuid(val))
                    {
                        s = s with { PoolKind = PoolSelectorKind.Uuid, Pool = val.ToLowerInvariant() };
                    }
                    else if (IsLabel(val))
                    {
                        s = s with { PoolKind = PoolSelectorKind.Label, Pool = val };
                    }
                    else
                    {
                        error = $"{tok}: '{val}' is neither a pool uuid (8-4-4-4-12 hex) nor a pool name (letters, digits, '.', '_', '-') - fix the kernel command line, e.g. root=argosfs:UUID=<uuid> or root=argosfs:LABEL=<name>";
                        return null;
                    }
                    poolParam = true;
                    break;
                case "devices" or "images":
                    // as sh splits with IFS=",": an empty field between commas counts, a trailing comma does not
                    var devices = val.EndsWith(',') ? val[..^1].Split(',') : val.Split(',');
                    foreach (var d in devices)
                    {
                        if (!d.StartsWith("/dev/", StringComparison.Ordinal) || d.Length == "/dev/".Length)
                        {
                            error = $"{tok}: '{d}' is not a device path; list members as /dev/vda,/dev/vdb,...";
                            return null;
                        }
                    }
                    s = s with { Devices = devices };
                    break;
                case "mode":
                    if (!Modes.Contains(val))
                    {
                        error = $"{tok}: unknown mode '{val}'; use rw, ro, degraded-ro, degraded-rw, recovery or auto";
                        return null;
                    }
                    s = s with { Mode = val };
                    break;
                case "fsck":
                    if (!FsckPolicies.Contains(val))
                    {
                        error = $"{tok}: unknown fsck policy '{val}'; use auto, skip or force";
                        return null;
                    }
                    s = s with { Fsck = val };
                    break;
                case "timeout":
                    if (!val.All(char.IsAsciiDigit))
                    {
                        error = $"{tok}: timeout is a whole number of seconds";
                        return null;
                    }
                    if (val.Length > 4)
                    {
                        error = $"{tok}: timeout is at most 9999 seconds";
                        return null;
                    }
                    s = s with { TimeoutSeconds = int.Parse(val, System.Globalization.CultureInfo.InvariantCulture) };
                    break;
                case "autoscan":
                    if (val is not ("0" or "1"))
                    {
                        error = $"{tok}: autoscan takes 0 or 1";
                        return null;
                    }
                    break;
                case "replay":
                    if (val == "none")
                    {
                        warnings.Add($"{tok}: the journal is always replayed when the pool is opened; 'none' has no effect");
                    }
                    else if (val != "auto")
                    {
                        error = $"{tok}: replay takes auto or none";
                        return null;
                    }
                    break;
                default:
                    error = $"{tok}: unknown parameter; known: root=argosfs:UUID=|LABEL=, rd.argosfs.pool=, .devices=, .mode=, .fsck=, .timeout=, .debug (or argosfs.*)";
                    return null;
            }
        }
        if (poolParam)
        {
            s = s with { Claimed = true };
        }
        if (s.Claimed && s.Pool.Length == 0 && s.Devices.Count == 0)
        {
            error = "root=argosfs names no pool: use root=argosfs:UUID=<uuid>, root=argosfs:LABEL=<name> or rd.argosfs.devices=/dev/vda,...";
            return null;
        }
        return s with { Warnings = warnings };
    }

    public static bool IsUuid(string s)
    {
        if (s.Length != 36)
        {
            return false;
        }
        for (var i = 0; i < s.Length; i++)
        {
            var dash = i is 8 or 13 or 18 or 23;
            if (dash ? s[i] != '-' : !char.IsAsciiHexDigit(s[i]))
            {
                return false;
            }
        }
        return true;
    }

    public static bool IsLabel(string s) =>
        s.Length is > 0 and <= 64 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
