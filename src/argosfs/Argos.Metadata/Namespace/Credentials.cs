namespace Argos.Metadata.Namespace;

/// <summary>
/// The caller of an operation: fsuid, fsgid and supplementary groups (FUSE passes uid, gid and pid;
/// the adapter reads the groups from the kernel or supplies none). Uid 0 holds every capability
/// (CAP_CHOWN, CAP_FOWNER, CAP_FSETID, CAP_DAC_OVERRIDE, CAP_SYS_ADMIN, CAP_SETFCAP).
/// </summary>
public readonly struct Credentials
{
    private readonly uint[]? _groups;

    public Credentials(uint uid, uint gid, uint[]? supplementaryGroups = null)
    {
        Uid = uid;
        Gid = gid;
        _groups = supplementaryGroups;
    }

    public static Credentials Root => new(0, 0);

    public uint Uid { get; }
    public uint Gid { get; }
    public ReadOnlySpan<uint> SupplementaryGroups => _groups;
    public bool IsRoot => Uid == 0;

    /// <summary>in_group_p(): the fsgid or one of the supplementary groups.</summary>
    public bool InGroup(uint gid)
    {
        if (gid == Gid)
        {
            return true;
        }
        if (_groups is null)
        {
            return false;
        }
        foreach (uint g in _groups)
        {
            if (g == gid)
            {
                return true;
            }
        }
        return false;
    }
}
