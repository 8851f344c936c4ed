using System.Globalization;

namespace Argos.Fuse;

/// <summary>
/// Who is asking: the caller's fsuid, fsgid and thread-group id from fuse_in_header, and the request's unique id.
/// The filesystem applies ownership rules with these (new inodes take <see cref="Uid"/>/<see cref="Gid"/>).
/// </summary>
public readonly struct FuseContext
{
    private static readonly Action s_nothing = static () => { };

    private readonly FuseWorker? _worker;
    private readonly bool _procLookupsAllowed;

    internal FuseContext(in fuse_in_header header, FuseWorker? worker, bool procLookupsAllowed)
    {
        Unique = header.unique;
        Opcode = (fuse_opcode)header.opcode;
        Uid = header.uid;
        Gid = header.gid;
        Pid = header.pid;
        _worker = worker;
        _procLookupsAllowed = procLookupsAllowed;
    }

    public FuseContext(ulong unique, uint uid, uint gid, uint pid)
    {
        Unique = unique;
        Opcode = 0;
        Uid = uid;
        Gid = gid;
        Pid = pid;
        _worker = null;
        _procLookupsAllowed = false;
    }

    public ulong Unique { get; }
    public fuse_opcode Opcode { get; }
    public uint Uid { get; }
    public uint Gid { get; }
    /// <summary>The caller's thread-group id in the daemon's pid namespace; 0 for kernel-internal requests (writeback, FORGET).</summary>
    public uint Pid { get; }

    /// <summary>True once the kernel sent FUSE_INTERRUPT for this request: a long operation may stop and return EINTR.</summary>
    public bool IsInterrupted => _worker is not null && _worker.IsInterrupted(Unique);

    /// <summary>
    /// Says the request is about to wait on the members (a cold read, a store, a commit). The worker
    /// serving it then passes on its turn at reading /dev/fuse, so the requests queued behind this one are
    /// not held up; a request that never calls this is answered by the reading worker without a hand-off
    /// (no thread wake-up). Cheap and idempotent; a no-op outside a session.
    /// </summary>
    public void WillBlock() => _worker?.WillBlock();

    /// <summary><see cref="WillBlock"/> as a delegate for code below the filesystem (no allocation per request).</summary>
    public Action WillBlockCallback => _worker?.WillBlockCallback ?? s_nothing;

    /// <summary>
    /// Reads the caller's supplementary groups from /proc/&lt;pid&gt;/status ("Groups:" line). Only when the
    /// session was created with <see cref="FuseSessionOptions.AllowProcLookups"/>: a daemon serving a root
    /// after switch_root must not open paths under /proc (boot-notes rule 2), so this returns false there.
    /// </summary>
    public bool TryGetSupplementaryGroups(out uint[] groups)
    {
        groups = [];
        if (!_procLookupsAllowed || Pid == 0)
        {
            return false;
        }

        return TryReadSupplementaryGroups(Pid, out groups);
    }

    /// <summary>Parses the "Groups:" line of /proc/&lt;pid&gt;/status.</summary>
    public static bool TryReadSupplementaryGroups(uint pid, out uint[] groups)
    {
        groups = [];
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status");
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        return TryParseGroupsLine(text, out groups);
    }

    internal static bool TryParseGroupsLine(string statusText, out uint[] groups)
    {
        groups = [];
        foreach (var line in statusText.Split('\n'))
        {
            if (!line.StartsWith("Groups:", StringComparison.Ordinal))
            {
                continue;
            }

            var parts = line["Groups:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var result = new uint[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!uint.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out result[i]))
                {
                    return false;
                }
            }

            groups = result;
            return true;
        }

        return false;
    }
}
