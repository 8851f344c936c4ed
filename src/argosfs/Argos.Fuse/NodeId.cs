namespace Argos.Fuse;

/// <summary>fuse_in_header.nodeid: the kernel's name for an inode. 1 is the root (FUSE_ROOT_ID), 0 means "none".</summary>
public readonly record struct NodeId(ulong Value)
{
    public static readonly NodeId Root = new(FuseAbi.FUSE_ROOT_ID);
    public static readonly NodeId None = new(0);

    public bool IsRoot => Value == FuseAbi.FUSE_ROOT_ID;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
