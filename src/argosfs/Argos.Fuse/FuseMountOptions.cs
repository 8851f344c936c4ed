namespace Argos.Fuse;

/// <summary>How the mount is made: mount(2) needs CAP_SYS_ADMIN; fusermount3 (setuid root) works for anyone.</summary>
public enum FuseMountMethod
{
    /// <summary>mount(2) when the effective uid is 0, fusermount3 otherwise.</summary>
    Auto,
    Syscall,
    Fusermount3,
}

/// <summary>atime policy of the mount (MS_RELATIME is the kernel default).</summary>
public enum FuseAtimeMode
{
    Relatime,
    NoAtime,
    StrictAtime,
}

/// <summary>
/// Options of a FUSE mount. The defaults suit a root filesystem: allow_other, default_permissions, and
/// suid + dev allowed (a root must never be nosuid,nodev — boot-notes rule 4).
/// </summary>
public sealed record FuseMountOptions
{
    /// <summary>The source column of /proc/mounts (the pool name, or "argosfs").</summary>
    public string FsName { get; init; } = "argosfs";

    /// <summary>/proc/mounts shows the type as "fuse.&lt;Subtype&gt;".</summary>
    public string Subtype { get; init; } = "argosfs";

    /// <summary>MS_RDONLY: the mount is "ro" in /proc/mounts and the kernel refuses writes before they reach the daemon.</summary>
    public bool ReadOnly { get; init; }

    public bool AllowOther { get; init; } = true;

    /// <summary>The kernel checks mode bits (and POSIX ACLs when negotiated) itself before asking the daemon.</summary>
    public bool DefaultPermissions { get; init; } = true;

    /// <summary>Honour setuid/setgid bits (false = nosuid). Must stay true for a root filesystem.</summary>
    public bool Suid { get; init; } = true;

    /// <summary>Allow device nodes (false = nodev). Must stay true for a root filesystem.</summary>
    public bool Dev { get; init; } = true;

    public bool Exec { get; init; } = true;

    public FuseAtimeMode Atime { get; init; } = FuseAtimeMode.Relatime;

    /// <summary>max_read=: an upper bound for READ sizes; null leaves max_pages in charge.</summary>
    public uint? MaxRead { get; init; }

    public FuseMountMethod Method { get; init; } = FuseMountMethod.Auto;

    public string DevicePath { get; init; } = FuseDevice.DefaultPath;

    /// <summary>The fusermount3 program (PATH is searched when it has no '/').</summary>
    public string FusermountPath { get; init; } = "fusermount3";

    public TimeSpan FusermountTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>"fuse.&lt;Subtype&gt;".</summary>
    public string FilesystemType => "fuse." + Subtype;

    internal void Validate()
    {
        if (string.IsNullOrEmpty(FsName) || FsName.AsSpan().IndexOfAny(",\n\t \\") >= 0)
        {
            throw new ArgumentException($"FuseMountOptions.FsName '{FsName}' must be non-empty without commas, spaces or backslashes (it is the source column of /proc/mounts)");
        }

        foreach (char c in Subtype)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            {
                throw new ArgumentException($"FuseMountOptions.Subtype '{Subtype}' may use only letters, digits, '.', '_' and '-' (the type becomes fuse.{Subtype})");
            }
        }

        if (Subtype.Length == 0)
        {
            throw new ArgumentException("FuseMountOptions.Subtype must not be empty (the type becomes fuse.<subtype>)");
        }
    }
}
