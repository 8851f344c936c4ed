namespace Argos.Fuse;

/// <summary>
/// A name's answer (struct fuse_entry_out): the node it resolves to, the node's attributes, and how long the
/// kernel may cache the name and the attributes. A reply carrying an entry takes one lookup reference on
/// <see cref="Node"/> that a later FORGET returns.
/// </summary>
/// <remarks>
/// <see cref="Node"/> = <see cref="NodeId.None"/> in a successful LOOKUP is a negative entry: the kernel
/// caches "no such name" for <see cref="EntryTimeout"/> and takes no reference (see <see cref="Negative"/>).
/// </remarks>
public struct FuseEntry
{
    public NodeId Node;
    /// <summary>Node:generation must be unique for the filesystem's lifetime (NFS export); 0 is fine when node ids are never reused.</summary>
    public ulong Generation;
    public FuseAttr Attr;
    public TimeSpan EntryTimeout;
    public TimeSpan AttrTimeout;

    public static FuseEntry Negative(TimeSpan timeout) => new() { Node = NodeId.None, EntryTimeout = timeout };

    internal readonly void WriteTo(ref fuse_entry_out entry)
    {
        entry.nodeid = Node.Value;
        entry.generation = Generation;
        FuseTimeouts.Split(EntryTimeout, out entry.entry_valid, out entry.entry_valid_nsec);
        FuseTimeouts.Split(AttrTimeout, out entry.attr_valid, out entry.attr_valid_nsec);
        Attr.WriteTo(ref entry.attr);
    }
}

/// <summary>GETATTR/SETATTR answer: the attributes and how long the kernel may cache them (struct fuse_attr_out).</summary>
public struct FuseAttrResult
{
    public FuseAttr Attr;
    public TimeSpan Timeout;

    public FuseAttrResult(in FuseAttr attr, TimeSpan timeout)
    {
        Attr = attr;
        Timeout = timeout;
    }
}

internal static class FuseTimeouts
{
    /// <summary>TimeSpan → (seconds, nanoseconds); negative spans become 0 (no caching).</summary>
    public static void Split(TimeSpan timeout, out ulong seconds, out uint nanoseconds)
    {
        if (timeout <= TimeSpan.Zero)
        {
            seconds = 0;
            nanoseconds = 0;
            return;
        }

        seconds = (ulong)(timeout.Ticks / TimeSpan.TicksPerSecond);
        nanoseconds = (uint)(timeout.Ticks % TimeSpan.TicksPerSecond * 100);
    }

    public static TimeSpan Max(TimeSpan a, TimeSpan b) => a >= b ? a : b;
}
