using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceAttrTests
{
    [Fact]
    public void Chmod_ByOwner_SetsModeAndCtime_ByOther_Eperm()
    {
        using var h = new Harness();
        InodeId pub = h.Mkdir(R, "pub", 0x1FF);
        InodeId f = h.Create(pub, "f", 0x1A4, User);
        InodeAttributes a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mode = 0xDED }, User)); // 06755
        Assert.Equal(PosixMode.S_IFREG | 0xDEDu, a.Mode);
        Assert.Equal(h.LastTime, a.Ctime);
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mode = 0x1FF }, Other)));
    }

    [Fact]
    public void Chmod_ByNonMemberOfGroup_ClearsSetgid()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 1000, Gid = 50 }, Root));
        InodeAttributes a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mode = 0x5ED }, User)); // 02755, user not in group 50
        Assert.Equal(0u, a.Mode & PosixMode.S_ISGID);
        a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mode = 0x5ED }, Root));
        Assert.Equal(PosixMode.S_ISGID, a.Mode & PosixMode.S_ISGID);
    }

    [Fact]
    public void Chown_ClearsSetuidAndExecutableSetgid_ForNonRootAndRoot()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 1000, Gid = 1000, Mode = 0xDED }, Root)); // mode given: kept
        Assert.Equal(0xDEDu, h.Attr(f).Mode & PosixMode.PermissionMask);
        // Owner changes the group to one of its groups: allowed, clears setuid and (group-exec) setgid.
        InodeAttributes a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Gid = 100 }, User));
        Assert.Equal(0x1EDu, a.Mode & PosixMode.PermissionMask);
        Assert.Equal(100u, a.Gid);
        // Root chown clears setuid too (Linux), but not a setgid without group-exec (mandatory-locking mark).
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mode = 0xDE5 }, Root)); // 06745
        a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 0 }, Root));
        Assert.Equal(0x5E5u, a.Mode & PosixMode.PermissionMask);
        // Directories keep their bits.
        InodeId d = h.Mkdir(R, "d", 0xDED);
        Assert.Equal(0xDEDu, h.Run(tx => h.Ns.SetAttr(tx, d, new SetAttrRequest { Uid = 5 }, Root)).Mode & PosixMode.PermissionMask);
    }

    [Fact]
    public void Chown_Permissions()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 1000, Gid = 1000 }, Root));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 2000 }, User)));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Gid = 7 }, User)));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Gid = 1000 }, Other)));
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 1000, Gid = 100 }, User));
        Assert.Equal((1000u, 100u), (h.Attr(f).Uid, h.Attr(f).Gid));
    }

    [Fact]
    public void Chown_DropsSecurityCapability()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "ping");
        h.Run(tx => h.Ns.SetXattr(tx, f, N("security.capability"), [1, 0, 0, 2], XattrFlags.None, Root));
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 0, Gid = 0 }, Root));
        Assert.Equal(Errno.ENODATA, ErrnoOf(() => h.Ns.GetXattr(f, N("security.capability"), Root)));
    }

    [Fact]
    public void Truncate_Rules_AndTimes()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        InodeId d = h.Mkdir(R, "d");
        InodeAttributes fifo = h.Run(tx => h.Ns.Mknod(tx, R, N("p"), PosixMode.S_IFIFO | 0x1A4, 0, Root));
        Assert.Equal(Errno.EISDIR, h.Fails(tx => h.Ns.SetAttr(tx, d, new SetAttrRequest { Size = 0 }, Root)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetAttr(tx, fifo.Ino, new SetAttrRequest { Size = 0 }, Root)));
        Timespec m0 = h.Attr(f).Mtime;
        InodeAttributes same = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Size = 0 }, Root));
        Assert.Equal(m0, same.Mtime); // size unchanged: mtime kept
        InodeAttributes grown = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Size = 1 << 20 }, Root));
        Assert.Equal(1UL << 20, grown.Size);
        Assert.Equal(h.LastTime, grown.Mtime);
        Assert.Equal(grown.Mtime, grown.Ctime);
    }

    [Fact]
    public void Utimens_NowOmitAndExplicit()
    {
        using var h = new Harness();
        InodeId pub = h.Mkdir(R, "pub", 0x1FF);
        InodeId f = h.Create(pub, "f", 0x1B6, User); // 0666: writable by others
        InodeAttributes before = h.Attr(f);
        var explicitTime = new Timespec(123456789, 987654321);
        InodeAttributes a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Atime = TimeChange.At(explicitTime), Mtime = TimeChange.Omit }, User));
        Assert.Equal(explicitTime, a.Atime);
        Assert.Equal(before.Mtime, a.Mtime);
        Assert.True(a.Ctime > before.Ctime);
        a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mtime = TimeChange.FromUtimensat(0, Timespec.UtimeNow), Atime = TimeChange.FromUtimensat(5, Timespec.UtimeOmit) }, Other));
        Assert.Equal(explicitTime, a.Atime);
        Assert.Equal(h.LastTime, a.Mtime);
        // Both omitted: nothing changes, not even ctime.
        InodeAttributes same = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Atime = TimeChange.Omit, Mtime = TimeChange.Omit }, User));
        Assert.Equal(a.Ctime, same.Ctime);
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mtime = TimeChange.At(explicitTime) }, Other)));
        InodeId priv = h.Create(R, "priv", 0x1A4);
        Assert.Equal(Errno.EACCES, h.Fails(tx => h.Ns.SetAttr(tx, priv, new SetAttrRequest { Mtime = TimeChange.Now }, Other)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mtime = TimeChange.At(new Timespec(1, 1_000_000_000)) }, Root)));
    }

    [Fact]
    public void ExplicitCtime_AndNanosecondsPreserved()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        var ct = new Timespec(-100, 1);
        InodeAttributes a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Ctime = ct, Mtime = TimeChange.At(new Timespec(5, 999_999_999)) }, Root));
        Assert.Equal(ct, a.Ctime);
        Assert.Equal(new Timespec(5, 999_999_999), h.Attr(f).Mtime);
    }

    [Fact]
    public void RecordWrite_SetsSizeTimes_KillsPrivilegesForNonRoot()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0xDFF);
        h.Run(tx => h.Ns.SetXattr(tx, f, N("security.capability"), [1], XattrFlags.None, Root));
        InodeAttributes a = h.Run(tx => h.Ns.RecordWrite(tx, f, 10, Root));
        Assert.Equal(0xDFFu, a.Mode & PosixMode.PermissionMask); // root keeps setuid/setgid
        Assert.Equal(Errno.ENODATA, ErrnoOf(() => h.Ns.GetXattr(f, N("security.capability"), Root))); // but not capabilities
        a = h.Run(tx => h.Ns.RecordWrite(tx, f, 20, User));
        Assert.Equal(0x1FFu, a.Mode & PosixMode.PermissionMask);
        Assert.Equal(20UL, a.Size);
        Assert.Equal(a.Mtime, a.Ctime);
    }

    [Fact]
    public void KillSuidGid_Flag()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0xDF7); // 06767: setgid with group-exec? 0767 has g=rw- → setgid kept
        InodeAttributes a = h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { KillSuidGid = true }, Root));
        Assert.Equal(0x5F7u, a.Mode & PosixMode.PermissionMask);
    }

    [Fact]
    public void InlineData_SetTrimmedByTruncate_LimitEnforced()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.SetInlineData(tx, f, N("hello world")));
        h.Run(tx => h.Ns.RecordWrite(tx, f, 11, Root));
        Assert.Equal("hello world", System.Text.Encoding.UTF8.GetString(h.Ns.GetInlineData(f).Span));
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Size = 5 }, Root));
        Assert.Equal("hello", System.Text.Encoding.UTF8.GetString(h.Ns.GetInlineData(f).Span));
        Assert.Equal(Errno.EFBIG, h.Fails(tx => h.Ns.SetInlineData(tx, f, new byte[FsNamespace.InlineDataMaxBytes + 1])));
        InodeId d = h.Mkdir(R, "d");
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetInlineData(tx, d, N("x"))));
    }

    [Fact]
    public void Relatime()
    {
        var t = new InodeAttributes { Atime = new Timespec(100, 0), Mtime = new Timespec(50, 0), Ctime = new Timespec(50, 0) };
        Assert.False(FsNamespace.ShouldUpdateAtime(t, new Timespec(200, 0)));
        Assert.True(FsNamespace.ShouldUpdateAtime(t with { Mtime = new Timespec(100, 0) }, new Timespec(200, 0)));
        Assert.True(FsNamespace.ShouldUpdateAtime(t with { Ctime = new Timespec(150, 0) }, new Timespec(200, 0)));
        Assert.True(FsNamespace.ShouldUpdateAtime(t, new Timespec(100 + 86400, 0)));
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        InodeAttributes before = h.Attr(f);
        InodeId gone = h.Create(R, "gone");
        Assert.True(h.Ns.SetAtimeUnlogged(f, new Timespec(9, 9)));
        Assert.True(h.Ns.SetAtimeUnlogged(gone, new Timespec(9, 9)));
        Assert.Equal(new Timespec(9, 9), h.Attr(f).Atime); // at once, in memory
        Assert.Equal(before.Ctime, h.Attr(f).Ctime);
        Assert.Equal(before.Atime, h.Replay().GetAttr(f).Atime); // and not logged yet
        h.Run(tx => h.Ns.Unlink(tx, R, Harness.N("gone")));
        Assert.False(h.Ns.SetAtimeUnlogged(gone, new Timespec(10, 0)));
        var logged = h.Log.Count;
        h.Run(tx => h.Ns.LogInodes(tx, [f.Value, gone.Value]));
        Assert.Equal(logged + 1, h.Log.Count); // one put, for f: the removed inode is skipped, not deleted again
        Assert.Equal(new Timespec(9, 9), h.Replay().GetAttr(f).Atime);
        Assert.Equal(Harness.Dump(h.Ns), Harness.Dump(h.Replay()));
    }

    [Fact]
    public void CheckAccess_ModeBits()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0x1A0); // 0640 root:0
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Uid = 1000, Gid = 100 }, Root));
        Assert.True(h.Ns.CheckAccess(f, AccessMode.Read | AccessMode.Write, User));
        Assert.True(h.Ns.CheckAccess(f, AccessMode.Read, new Credentials(3000, 3000, [100])));
        Assert.False(h.Ns.CheckAccess(f, AccessMode.Write, new Credentials(3000, 3000, [100])));
        Assert.False(h.Ns.CheckAccess(f, AccessMode.Read, Other));
        Assert.True(h.Ns.CheckAccess(f, AccessMode.Read | AccessMode.Write, Root));
        Assert.False(h.Ns.CheckAccess(f, AccessMode.Execute, Root));
    }
}
