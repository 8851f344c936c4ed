using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Records;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

/// <summary>
/// Randomised operation sequences checked against a small reference model (a tree of nodes with
/// hard links), then replayed from their ops and from a checkpoint (EnumerateAll) and compared.
/// </summary>
public class NamespaceModelTests
{
    private sealed class MNode
    {
        public required bool IsDir;
        public required InodeId Ino;
        public MNode? Parent; // directories only
        public readonly SortedDictionary<string, MNode> Children = new(StringComparer.Ordinal);
        public uint Mode;
    }

    private static readonly string[] s_names = ["a", "b", "c", "d", "e"];

    private sealed class Model
    {
        public readonly MNode Root = new() { IsDir = true, Ino = InodeId.Root };

        public List<MNode> Dirs()
        {
            var result = new List<MNode>();
            var stack = new Stack<MNode>();
            stack.Push(Root);
            while (stack.Count > 0)
            {
                MNode d = stack.Pop();
                result.Add(d);
                foreach (MNode c in d.Children.Values)
                {
                    if (c.IsDir)
                    {
                        stack.Push(c);
                    }
                }
            }
            return result;
        }

        public List<MNode> Files() => Dirs().SelectMany(d => d.Children.Values).Where(c => !c.IsDir).Distinct().ToList();

        public int LinkCount(MNode n) => n.IsDir ? 2 + n.Children.Values.Count(c => c.IsDir) : Dirs().Sum(d => d.Children.Values.Count(c => ReferenceEquals(c, n)));

        public static bool IsSelfOrUnder(MNode dir, MNode ancestor)
        {
            for (MNode? d = dir; d is not null; d = d.Parent)
            {
                if (ReferenceEquals(d, ancestor))
                {
                    return true;
                }
            }
            return false;
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void RandomOperations_MatchModel_AndReplayExactly(int seed)
    {
        var rnd = new Random(seed);
        using var h = new Harness();
        var m = new Model();
        for (int step = 0; step < 1500; step++)
        {
            List<MNode> dirs = m.Dirs();
            MNode d1 = dirs[rnd.Next(dirs.Count)];
            MNode d2 = dirs[rnd.Next(dirs.Count)];
            string n1 = s_names[rnd.Next(s_names.Length)];
            string n2 = s_names[rnd.Next(s_names.Length)];
            d1.Children.TryGetValue(n1, out MNode? e1);
            d2.Children.TryGetValue(n2, out MNode? e2);
            int op = rnd.Next(9);
            Errno expected;
            Errno actual;
            switch (op)
            {
                case 0:
                case 1:
                {
                    bool dir = op == 0;
                    expected = e1 is not null ? Errno.EEXIST : Errno.None;
                    InodeAttributes created = default;
                    actual = h.Fails(tx => created = dir ? h.Ns.Mkdir(tx, d1.Ino, N(n1), 0x1ED, Root) : h.Ns.Create(tx, d1.Ino, N(n1), 0x1A4, Root));
                    if (actual == Errno.None)
                    {
                        d1.Children[n1] = new MNode { IsDir = dir, Ino = created.Ino, Parent = dir ? d1 : null };
                    }
                    break;
                }
                case 2:
                {
                    List<MNode> files = m.Files();
                    if (files.Count == 0)
                    {
                        continue;
                    }
                    MNode f = files[rnd.Next(files.Count)];
                    expected = e1 is not null ? Errno.EEXIST : Errno.None;
                    actual = h.Fails(tx => h.Ns.Link(tx, f.Ino, d1.Ino, N(n1)));
                    if (actual == Errno.None)
                    {
                        d1.Children[n1] = f;
                    }
                    break;
                }
                case 3:
                    expected = e1 is null ? Errno.ENOENT : e1.IsDir ? Errno.EISDIR : Errno.None;
                    actual = h.Fails(tx => h.Ns.Unlink(tx, d1.Ino, N(n1)));
                    if (actual == Errno.None)
                    {
                        d1.Children.Remove(n1);
                    }
                    break;
                case 4:
                    expected = e1 is null ? Errno.ENOENT : !e1.IsDir ? Errno.ENOTDIR : e1.Children.Count > 0 ? Errno.ENOTEMPTY : Errno.None;
                    actual = h.Fails(tx => h.Ns.Rmdir(tx, d1.Ino, N(n1)));
                    if (actual == Errno.None)
                    {
                        d1.Children.Remove(n1);
                    }
                    break;
                case 5:
                case 6:
                case 7:
                {
                    RenameFlags flags = op switch { 5 => RenameFlags.None, 6 => RenameFlags.NoReplace, _ => RenameFlags.Exchange };
                    expected = ExpectRename(e1, e2, d1, d2, flags);
                    actual = h.Fails(tx => h.Ns.Rename(tx, d1.Ino, N(n1), d2.Ino, N(n2), flags));
                    if (actual == Errno.None && !ReferenceEquals(e1, e2))
                    {
                        if (flags == RenameFlags.Exchange)
                        {
                            d1.Children[n1] = e2!;
                            d2.Children[n2] = e1!;
                            if (e1!.IsDir)
                            {
                                e1.Parent = d2;
                            }
                            if (e2!.IsDir)
                            {
                                e2.Parent = d1;
                            }
                        }
                        else
                        {
                            d1.Children.Remove(n1);
                            d2.Children[n2] = e1!;
                            if (e1!.IsDir)
                            {
                                e1.Parent = d2;
                            }
                        }
                    }
                    break;
                }
                default:
                {
                    if (e1 is null)
                    {
                        continue;
                    }
                    uint mode = (uint)rnd.Next(0x1000);
                    expected = Errno.None;
                    actual = h.Fails(tx => h.Ns.SetAttr(tx, e1.Ino, new SetAttrRequest { Mode = mode }, Root));
                    e1.Mode = mode;
                    break;
                }
            }
            Assert.True(expected == actual, $"seed {seed} step {step} op {op} {n1}->{n2}: expected {expected}, got {actual}");
            if (step % 100 == 0)
            {
                Compare(h, m);
            }
        }
        Compare(h, m);

        // Replay from the journal ops and from a checkpoint: identical records and listings.
        List<string> state = Dump(h.Ns);
        using FsNamespace fromLog = h.Replay();
        Assert.Equal(state, Dump(fromLog));
        using var fromCheckpoint = new FsNamespace();
        foreach (RecordOp op in h.Ns.EnumerateAll())
        {
            fromCheckpoint.Apply(op);
        }
        Assert.Equal(state, Dump(fromCheckpoint));
        foreach (MNode dir in m.Dirs())
        {
            Assert.Equal(Listing(h.Ns, dir.Ino), Listing(fromCheckpoint, dir.Ino));
            Assert.Equal(Listing(h.Ns, dir.Ino), Listing(fromLog, dir.Ino));
        }
        // The replayed namespace keeps working exactly like the original.
        using (NamespaceTransaction a = h.Ns.Begin())
        using (NamespaceTransaction b = fromLog.Begin())
        {
            h.Ns.Mkdir(a, R, N("after"), 0x1ED, Root);
            fromLog.Mkdir(b, R, N("after"), 0x1ED, Root);
            Assert.Equal(a.Complete().Select(o => Convert.ToHexString(o.Value!.Value.Span)).Count(),
                b.Complete().Select(o => Convert.ToHexString(o.Value!.Value.Span)).Count());
        }
        Assert.Equal(h.Lookup(R, "after").Ino, fromLog.Lookup(R, "after"u8).Ino);
    }

    private static Errno ExpectRename(MNode? src, MNode? dst, MNode sd, MNode dd, RenameFlags flags)
    {
        if (src is null)
        {
            return Errno.ENOENT;
        }
        if (flags == RenameFlags.Exchange && dst is null)
        {
            return Errno.ENOENT;
        }
        if (flags == RenameFlags.NoReplace && dst is not null)
        {
            return Errno.EEXIST;
        }
        if (ReferenceEquals(src, dst))
        {
            return Errno.None;
        }
        if (flags == RenameFlags.Exchange)
        {
            if (!ReferenceEquals(sd, dd))
            {
                if (src.IsDir && Model.IsSelfOrUnder(dd, src))
                {
                    return Errno.EINVAL;
                }
                if (dst!.IsDir && Model.IsSelfOrUnder(sd, dst))
                {
                    return Errno.EINVAL;
                }
            }
            return Errno.None;
        }
        if (src.IsDir)
        {
            if (Model.IsSelfOrUnder(dd, src))
            {
                return Errno.EINVAL;
            }
            if (dst is not null && !dst.IsDir)
            {
                return Errno.ENOTDIR;
            }
            if (dst is not null && dst.Children.Count > 0)
            {
                return Errno.ENOTEMPTY;
            }
            return Errno.None;
        }
        return dst is not null && dst.IsDir ? Errno.EISDIR : Errno.None;
    }

    private static void Compare(Harness h, Model m)
    {
        foreach (MNode dir in m.Dirs())
        {
            List<(string Name, InodeId Ino)> real = Listing(h.Ns, dir.Ino).Skip(2).Select(e => (e.Name, e.Ino)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            Assert.Equal(dir.Children.Select(kv => (kv.Key, kv.Value.Ino)), real);
            InodeAttributes attrs = h.Attr(dir.Ino);
            Assert.Equal((uint)m.LinkCount(dir), attrs.Nlink);
            Assert.Equal(dir.Parent?.Ino ?? R, h.Lookup(dir.Ino, "..").Ino);
            foreach (MNode child in dir.Children.Values)
            {
                InodeAttributes c = h.Attr(child.Ino);
                Assert.Equal(child.IsDir, c.IsDirectory);
                Assert.Equal((uint)m.LinkCount(child), c.Nlink);
                if (child.Mode != 0)
                {
                    Assert.Equal(child.Mode, c.Mode & PosixMode.PermissionMask);
                }
            }
        }
        Assert.Equal((ulong)(m.Dirs().Count + m.Files().Count), h.Ns.Stats().Inodes);
    }

    private static List<(string Name, InodeId Ino, ulong Cookie)> Listing(FsNamespace ns, InodeId dir)
    {
        var entries = new List<DirEntry>();
        ns.ReadDirectory(dir, 0, int.MaxValue, entries);
        return entries.Select(e => (Encoding.UTF8.GetString(e.Name.Span), e.Ino, e.Cookie)).ToList();
    }

    [Fact]
    public void RandomOperations_WithOrphansXattrsAndRollbacks_ReplayExactly()
    {
        var rnd = new Random(7);
        using var h = new Harness();
        var files = new List<InodeId>();
        for (int step = 0; step < 2000; step++)
        {
            string name = $"n{rnd.Next(40)}";
            int op = rnd.Next(10);
            try
            {
                switch (op)
                {
                    case 0:
                        files.Add(h.Create(R, name));
                        break;
                    case 1:
                    {
                        if (files.Count > 0)
                        {
                            InodeId f = files[rnd.Next(files.Count)];
                            if (h.Ns.Exists(f) && h.Ns.GetOpenCount(f) < 2)
                            {
                                h.Ns.PinOpen(f);
                            }
                        }
                        break;
                    }
                    case 2:
                        h.Run(tx => h.Ns.Unlink(tx, R, N(name)));
                        break;
                    case 3:
                    {
                        foreach (InodeId f in files.Where(f => h.Ns.Exists(f) && h.Ns.GetOpenCount(f) > 0).Take(1).ToList())
                        {
                            if (h.Ns.UnpinOpen(f))
                            {
                                h.Run(tx => h.Ns.Reclaim(tx, f));
                            }
                        }
                        break;
                    }
                    case 4:
                        h.Run(tx => h.Ns.SetXattr(tx, h.Lookup(R, name).Ino, N($"user.k{rnd.Next(3)}"), N($"v{step}"), XattrFlags.None, Root));
                        break;
                    case 5:
                        files.Add(h.Run(tx => h.Ns.Tmpfile(tx, R, 0x180, Root)).Ino);
                        break;
                    case 6:
                        h.Run(tx => h.Ns.Rename(tx, R, N(name), R, N($"n{rnd.Next(40)}")));
                        break;
                    case 7:
                    {
                        // A batch that is rolled back must leave nothing behind.
                        List<string> before = Dump(h.Ns);
                        using (NamespaceTransaction tx = h.Ns.Begin())
                        {
                            h.Ns.Mkdir(tx, R, N($"tmp{step}"), 0x1ED, Root);
                            try
                            {
                                h.Ns.Unlink(tx, R, N(name));
                            }
                            catch (NamespaceException)
                            {
                            }
                        }
                        Assert.Equal(before, Dump(h.Ns));
                        break;
                    }
                    case 8:
                        h.Run(tx => h.Ns.PutStripe(tx, h.Lookup(R, name).Ino, new StripeIndex((ulong)rnd.Next(4)), RecordEncodingTests.SampleStripe()));
                        break;
                    default:
                    {
                        InodeId target = files.Count > 0 ? files[rnd.Next(files.Count)] : R;
                        h.Run(tx => h.Ns.Link(tx, target, R, N(name)));
                        break;
                    }
                }
            }
            catch (NamespaceException)
            {
                // Refused operations leave no trace; the final comparison checks it.
            }
        }
        Assert.Equal(Dump(h.Ns), Dump(h.Replay()));
        using var fromCheckpoint = new FsNamespace();
        foreach (RecordOp op in h.Ns.EnumerateAll())
        {
            fromCheckpoint.Apply(op);
        }
        Assert.Equal(Dump(h.Ns), Dump(fromCheckpoint));
        Assert.Equal(h.Ns.Stats(), fromCheckpoint.Stats());
        Assert.True(h.Ns.Stats().Orphans > 0);
    }
}
