namespace Argos.Fuse;

/// <summary>statfs(2) answer (struct fuse_kstatfs): block counts are in <see cref="FragmentSize"/> units.</summary>
public struct FuseStatFs
{
    public ulong Blocks;
    public ulong BlocksFree;
    public ulong BlocksAvailable;
    public ulong Files;
    public ulong FilesFree;
    public uint BlockSize;
    public uint NameMax;
    public uint FragmentSize;
}
