using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceRemoveTests
{
    [Fact]
    public void HardLinks_ShareInode_CountLinks()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "d");
        InodeId f = h.Create(R, "f");
        InodeAttributes linked = h.Run(tx => h.Ns.Link(tx, f, d, N("g")));
        Assert.Equal(2u, linked.Nlink);
        Assert.Equal(f, h.Lookup(d, "g").Ino);
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.Link(tx, f, d, N("g"))));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.Link(tx, d, R, N("dlink"))));
        h.Run(tx => h.Ns.Unlink(tx, R, N("f")));
        Assert.Equal(1u, h.Attr(f).Nlink);
        h.Run(tx => h.Ns.Unlink(tx, d, N("g")));
        Assert.False(h.Ns.Exists(f));
        Assert.Contains(h.Freed, x => x.Ino == f);
    }

    [Fact]
    public void Link_UpdatesCtime_AndParentMtime()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        InodeAttributes before = h.Attr(f);
        h.Run(tx => h.Ns.Link(tx, f, R, N("g")));
        Assert.True(h.Attr(f).Ctime > before.Ctime);
        Assert.Equal(before.Mtime, h.Attr(f).Mtime);
        Assert.Equal(h.Attr(R).Mtime, h.Attr(f).Ctime);
    }

    [Fact]
    public void Link_Emlink_AtMaximum()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        // Drive nlink to the ceiling through replayed records rather than 65000 links.
        InodeAttributes a = h.Attr(f);
        var rec = new InodeRecord { Attributes = a with { Nlink = FsNamespace.MaxFileLinks } };
        h.Ns.Apply(Argos.Metadata.Records.RecordOp.Put(Argos.Metadata.Records.RecordKind.Inode,
            Argos.Metadata.Namespace.Encoding.InodeRecordCodec.EncodeKey(f), Argos.Metadata.Namespace.Encoding.InodeRecordCodec.EncodeValue(rec)));
        Assert.Equal(Errno.EMLINK, h.Fails(tx => h.Ns.Link(tx, f, R, N("g"))));
    }

    [Fact]
    public void Unlink_Directory_Eisdir_Missing_Enoent()
    {
        using var h = new Harness();
        h.Mkdir(R, "d");
        Assert.Equal(Errno.EISDIR, h.Fails(tx => h.Ns.Unlink(tx, R, N("d"))));
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Unlink(tx, R, N("x"))));
    }

    [Fact]
    public void Rmdir_Rules()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "d");
        h.Create(d, "f");
        h.Create(R, "file");
        Assert.Equal(Errno.ENOTEMPTY, h.Fails(tx => h.Ns.Rmdir(tx, R, N("d"))));
        Assert.Equal(Errno.ENOTDIR, h.Fails(tx => h.Ns.Rmdir(tx, R, N("file"))));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rmdir(tx, d, N("."))));
        Assert.Equal(Errno.ENOTEMPTY, h.Fails(tx => h.Ns.Rmdir(tx, d, N(".."))));
        Assert.Equal(3u, h.Attr(R).Nlink);
        h.Run(tx => h.Ns.Unlink(tx, d, N("f")));
        h.Run(tx => h.Ns.Rmdir(tx, R, N("d")));
        Assert.False(h.Ns.Exists(d));
        Assert.Equal(2u, h.Attr(R).Nlink);
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Create(tx, d, N("x"), 0x1A4, Root)));
    }

    [Fact]
    public void OpenUnlinkedFile_StaysAsOrphanWithNlinkZero_UntilLastClose()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Ns.PinOpen(f);
        h.Ns.PinOpen(f);
        h.Run(tx => h.Ns.Unlink(tx, R, N("f")));
        Assert.True(h.Ns.Exists(f));
        Assert.Equal(0u, h.Attr(f).Nlink);
        Assert.True(h.Ns.IsOrphan(f));
        Assert.Contains(h.Log, op => op.Kind == Argos.Metadata.Records.RecordKind.Orphan && !op.IsDelete);
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Link(tx, f, R, N("again"))));
        Assert.False(h.Ns.UnpinOpen(f));
        Assert.True(h.Ns.UnpinOpen(f));
        Assert.True(h.Run(tx => h.Ns.Reclaim(tx, f)));
        Assert.False(h.Ns.Exists(f));
        Assert.False(h.Ns.IsOrphan(f));
        Assert.Contains(h.Freed, x => x.Ino == f);
        Assert.Throws<InvalidOperationException>(() => h.Ns.UnpinOpen(f));
    }

    [Fact]
    public void ReclaimOrphans_AfterRestart_FreesThem()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Ns.PinOpen(f);
        h.Run(tx => h.Ns.Unlink(tx, R, N("f")));
        using FsNamespace restarted = h.Replay();
        Assert.True(restarted.IsOrphan(f));
        using (NamespaceTransaction tx = restarted.Begin())
        {
            Assert.Equal(1, restarted.ReclaimOrphans(tx));
            Assert.Single(tx.FreedInodes);
            tx.Complete();
        }
        Assert.False(restarted.Exists(f));
        Assert.Equal(0UL, restarted.Stats().Orphans);
    }

    [Fact]
    public void Tmpfile_IsNamelessOrphan_LinkableLater()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "d");
        InodeAttributes t = h.Run(tx => h.Ns.Tmpfile(tx, d, 0x180, User));
        Assert.Equal(0u, t.Nlink);
        Assert.True(h.Ns.IsOrphan(t.Ino));
        Assert.Equal(1, h.Ns.GetOpenCount(t.Ino));
        Assert.Equal(2, h.Names(d).Count);
        InodeAttributes linked = h.Run(tx => h.Ns.Link(tx, t.Ino, d, N("named")));
        Assert.Equal(1u, linked.Nlink);
        Assert.False(h.Ns.IsOrphan(t.Ino));
        Assert.Equal(0u, linked.Flags & InodeFlags.Tmpfile);
        Assert.False(h.Ns.UnpinOpen(t.Ino));
        Assert.True(h.Ns.Exists(t.Ino));
    }

    [Fact]
    public void Tmpfile_NeverLinked_FreedAtClose()
    {
        using var h = new Harness();
        InodeAttributes t = h.Run(tx => h.Ns.Tmpfile(tx, R, 0x180, Root));
        Assert.True(h.Ns.UnpinOpen(t.Ino));
        h.Run(tx => h.Ns.Reclaim(tx, t.Ino));
        Assert.False(h.Ns.Exists(t.Ino));
    }

    [Fact]
    public void FreeingFile_DeletesItsStripesAndXattrs_InSameTransaction()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(0), RecordEncodingTests.SampleStripe()));
        h.Run(tx => h.Ns.PutStripe(tx, f, new StripeIndex(1), RecordEncodingTests.SampleStripe()));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user.a"), N("1"), XattrFlags.None, Root));
        using NamespaceTransaction tx = h.Ns.Begin();
        h.Ns.Unlink(tx, R, N("f"));
        IReadOnlyList<Argos.Metadata.Records.RecordOp> ops = tx.Complete();
        Assert.Equal(2, ops.Count(o => o.Kind == Argos.Metadata.Records.RecordKind.Stripe && o.IsDelete));
        Assert.Single(ops, o => o.Kind == Argos.Metadata.Records.RecordKind.Xattr && o.IsDelete);
        Assert.Single(ops, o => o.Kind == Argos.Metadata.Records.RecordKind.Inode && o.IsDelete);
        FreedInode freed = Assert.Single(tx.FreedInodes);
        Assert.Equal(2, freed.Stripes.Count);
    }
}
