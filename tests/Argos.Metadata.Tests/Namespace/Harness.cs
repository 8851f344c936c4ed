using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Metadata.Tests.Namespace;

/// <summary>A namespace with a fake clock, a root, and a log of every committed op.</summary>
internal sealed class Harness : IDisposable
{
    private long _ticks;

    public Harness(ulong maxInodes = FsNamespace.DefaultMaxInodes, bool initialize = true)
    {
        Ns = new FsNamespace(NextTime, maxInodes);
        if (initialize)
        {
            Run(tx => Ns.InitializeRoot(tx, 0x1ED, 0, 0));
        }
    }

    public FsNamespace Ns { get; }
    public List<RecordOp> Log { get; } = [];
    public List<FreedInode> Freed { get; } = [];
    public Timespec LastTime { get; private set; }

    public static readonly Credentials Root = Credentials.Root;
    public static readonly Credentials User = new(1000, 1000, [1000, 100]);
    public static readonly Credentials Other = new(2000, 2000);

    public static byte[] N(string s) => Encoding.UTF8.GetBytes(s);

    public static InodeId R => InodeId.Root;

    private Timespec NextTime()
    {
        _ticks++;
        LastTime = new Timespec(1_700_000_000 + _ticks, (uint)(_ticks * 7 % 1_000_000_000));
        return LastTime;
    }

    public T Run<T>(Func<NamespaceTransaction, T> action)
    {
        using NamespaceTransaction tx = Ns.Begin();
        T result = action(tx);
        Log.AddRange(tx.Complete());
        Freed.AddRange(tx.FreedInodes);
        return result;
    }

    public void Run(Action<NamespaceTransaction> action) => Run(tx =>
    {
        action(tx);
        return 0;
    });

    public InodeId Mkdir(InodeId parent, string name, uint mode = 0x1ED, Credentials? cred = null)
        => Run(tx => Ns.Mkdir(tx, parent, N(name), mode, cred ?? Root)).Ino;

    public InodeId Create(InodeId parent, string name, uint mode = 0x1A4, Credentials? cred = null)
        => Run(tx => Ns.Create(tx, parent, N(name), mode, cred ?? Root)).Ino;

    public InodeAttributes Attr(InodeId ino) => Ns.GetAttr(ino);

    public InodeAttributes Lookup(InodeId parent, string name) => Ns.Lookup(parent, N(name));

    public static Errno ErrnoOf(Action action)
    {
        try
        {
            action();
        }
        catch (NamespaceException e)
        {
            return e.Errno;
        }
        return Errno.None;
    }

    public Errno Fails(Action<NamespaceTransaction> action) => ErrnoOf(() => Run(action));

    public List<string> Names(InodeId dir)
    {
        var entries = new List<DirEntry>();
        Ns.ReadDirectory(dir, 0, int.MaxValue, entries);
        return entries.Select(e => Encoding.UTF8.GetString(e.Name.Span)).ToList();
    }

    /// <summary>Canonical state: every record, sorted, as text.</summary>
    public static List<string> Dump(FsNamespace ns)
        => ns.EnumerateAll()
            .Select(op => $"{op.Kind} {Convert.ToHexString(op.Key.Span)} {Convert.ToHexString(op.Value!.Value.Span)}")
            .Order(StringComparer.Ordinal)
            .ToList();

    public FsNamespace Replay()
    {
        var fresh = new FsNamespace();
        foreach (RecordOp op in Log)
        {
            fresh.Apply(op);
        }
        return fresh;
    }

    public void Dispose() => Ns.Dispose();
}
