using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceCreateTests
{
    [Fact]
    public void InitializeRoot_CreatesRootDirectory_AndOnlyOnce()
    {
        using var h = new Harness();
        InodeAttributes root = h.Attr(R);
        Assert.Equal(PosixMode.S_IFDIR | 0x1EDu, root.Mode);
        Assert.Equal(2u, root.Nlink);
        Assert.Equal(R, h.Lookup(R, "..").Ino);
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.InitializeRoot(tx, 0x1ED, 0, 0)));
    }

    [Fact]
    public void Operations_BeforeInitialize_FailWithEio()
    {
        using var h = new Harness(initialize: false);
        Assert.Equal(Errno.EIO, h.Fails(tx => h.Ns.Mkdir(tx, R, N("a"), 0x1ED, Root)));
    }

    [Fact]
    public void AllInodeTypes_CreatedWithTypeRdevAndParentTimes()
    {
        using var h = new Harness();
        Timespec before = h.Attr(R).Mtime;
        InodeId dir = h.Mkdir(R, "d");
        InodeId file = h.Create(dir, "f");
        InodeAttributes chr = h.Run(tx => h.Ns.Mknod(tx, dir, N("tty"), PosixMode.S_IFCHR | 0x1B6, 0x0501, Root));
        InodeAttributes blk = h.Run(tx => h.Ns.Mknod(tx, dir, N("sda"), PosixMode.S_IFBLK | 0x1B0, 0x0800, Root));
        InodeAttributes fifo = h.Run(tx => h.Ns.Mknod(tx, dir, N("p"), PosixMode.S_IFIFO | 0x1A4, 99, Root));
        InodeAttributes sock = h.Run(tx => h.Ns.Mknod(tx, dir, N("s"), PosixMode.S_IFSOCK | 0x1ED, 0, Root));
        InodeAttributes reg = h.Run(tx => h.Ns.Mknod(tx, dir, N("r"), 0x1A4, 0, Root));
        InodeAttributes link = h.Run(tx => h.Ns.Symlink(tx, dir, N("l"), N("../target"), Root));

        Assert.Equal(FileType.Regular, h.Attr(file).Type);
        Assert.Equal((FileType.CharDevice, 0x0501UL), (chr.Type, chr.Rdev));
        Assert.Equal((FileType.BlockDevice, 0x0800UL), (blk.Type, blk.Rdev));
        Assert.Equal((FileType.Fifo, 0UL), (fifo.Type, fifo.Rdev));
        Assert.Equal(FileType.Socket, sock.Type);
        Assert.Equal(FileType.Regular, reg.Type);
        Assert.Equal(FileType.Symlink, link.Type);
        Assert.Equal(PosixMode.S_IFLNK | 0x1FFu, link.Mode);
        Assert.Equal(9UL, link.Size);
        Assert.Equal("../target", System.Text.Encoding.UTF8.GetString(h.Ns.Readlink(link.Ino).Span));
        Assert.Equal(Errno.EINVAL, ErrnoOf(() => h.Ns.Readlink(file)));

        InodeAttributes d = h.Attr(dir);
        Assert.Equal(2u, d.Nlink);
        Assert.Equal(3u, h.Attr(R).Nlink);
        Assert.True(h.Attr(R).Mtime > before);
        Assert.Equal(d.Mtime, d.Ctime);
        Assert.Equal(link.Btime, link.Mtime);
        Assert.Equal([".", "..", "f", "tty", "sda", "p", "s", "r", "l"], h.Names(dir));
    }

    [Fact]
    public void Mknod_Directory_IsEperm_BadType_IsEinval()
    {
        using var h = new Harness();
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.Mknod(tx, R, N("d"), PosixMode.S_IFDIR | 0x1ED, 0, Root)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Mknod(tx, R, N("x"), 0xF000 | 0x1ED, 0, Root)));
    }

    [Fact]
    public void Names_255BytesOk_256BytesEnametoolong_SlashAndNulEinval_NonUtf8Ok()
    {
        using var h = new Harness();
        byte[] n255 = Enumerable.Repeat((byte)'a', 255).ToArray();
        byte[] n256 = Enumerable.Repeat((byte)'a', 256).ToArray();
        h.Run(tx => h.Ns.Create(tx, R, n255, 0x1A4, Root));
        Assert.Equal(Errno.ENAMETOOLONG, h.Fails(tx => h.Ns.Create(tx, R, n256, 0x1A4, Root)));
        Assert.Equal(Errno.ENAMETOOLONG, ErrnoOf(() => h.Ns.Lookup(R, n256)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Create(tx, R, N("a/b"), 0x1A4, Root)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Create(tx, R, [(byte)'a', 0], 0x1A4, Root)));
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Create(tx, R, [], 0x1A4, Root)));
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.Mkdir(tx, R, N("."), 0x1ED, Root)));
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.Mkdir(tx, R, N(".."), 0x1ED, Root)));
        byte[] latin1 = [0xE9, 0x74, 0xE9, 0xFF];
        InodeAttributes f = h.Run(tx => h.Ns.Create(tx, R, latin1, 0x1A4, Root));
        Assert.Equal(f.Ino, h.Ns.Lookup(R, latin1).Ino);
    }

    [Fact]
    public void Create_Existing_Eexist_MissingParent_Enoent_FileParent_Enotdir()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.Create(tx, R, N("f"), 0x1A4, Root)));
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.Mkdir(tx, R, N("f"), 0x1ED, Root)));
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Create(tx, new InodeId(999), N("x"), 0x1A4, Root)));
        Assert.Equal(Errno.ENOTDIR, h.Fails(tx => h.Ns.Create(tx, f, N("x"), 0x1A4, Root)));
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => h.Lookup(R, "missing")));
        Assert.Equal(Errno.ENOTDIR, ErrnoOf(() => h.Ns.Lookup(f, N("x"))));
    }

    [Fact]
    public void Symlink_TargetLimits()
    {
        using var h = new Harness();
        h.Run(tx => h.Ns.Symlink(tx, R, N("ok"), Enumerable.Repeat((byte)'x', 4095).ToArray(), Root));
        Assert.Equal(Errno.ENAMETOOLONG, h.Fails(tx => h.Ns.Symlink(tx, R, N("long"), new byte[4096], Root)));
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Symlink(tx, R, N("empty"), [], Root)));
    }

    [Fact]
    public void NewInode_TakesCallerUidGid()
    {
        using var h = new Harness();
        InodeId pub = h.Mkdir(R, "pub", 0x3FF);
        InodeAttributes f = h.Run(tx => h.Ns.Create(tx, pub, N("f"), 0x1A4, User));
        Assert.Equal((1000u, 1000u), (f.Uid, f.Gid));
    }

    [Fact]
    public void SetgidDirectory_ChildTakesDirGroup_SubdirInheritsSetgid()
    {
        using var h = new Harness();
        InodeId shared = h.Run(tx => h.Ns.Mkdir(tx, R, N("shared"), 0x5FF, new Credentials(0, 50))).Ino; // 02777, gid 50
        Assert.Equal(PosixMode.S_ISGID, h.Attr(shared).Mode & PosixMode.S_ISGID);
        InodeAttributes f = h.Run(tx => h.Ns.Create(tx, shared, N("f"), 0x1A4, User));
        Assert.Equal(50u, f.Gid);
        Assert.Equal(0u, f.Mode & PosixMode.S_ISGID);
        InodeAttributes sub = h.Run(tx => h.Ns.Mkdir(tx, shared, N("sub"), 0x1ED, User));
        Assert.Equal(50u, sub.Gid);
        Assert.Equal(PosixMode.S_ISGID, sub.Mode & PosixMode.S_ISGID);
        // A setgid+group-exec file created by a non-member loses setgid (inode_init_owner).
        InodeAttributes sg = h.Run(tx => h.Ns.Create(tx, shared, N("sg"), 0x5ED, User));
        Assert.Equal(0u, sg.Mode & PosixMode.S_ISGID);
        InodeAttributes sgRoot = h.Run(tx => h.Ns.Create(tx, shared, N("sgroot"), 0x5ED, Root));
        Assert.Equal(PosixMode.S_ISGID, sgRoot.Mode & PosixMode.S_ISGID);
        // Without a setgid directory the caller's gid is used.
        InodeAttributes plain = h.Run(tx => h.Ns.Create(tx, R, N("plain"), 0x1A4, new Credentials(0, 7)));
        Assert.Equal(7u, plain.Gid);
    }

    [Fact]
    public void Umask_AppliedWithoutDefaultAcl()
    {
        using var h = new Harness();
        InodeAttributes f = h.Run(tx => h.Ns.Create(tx, R, N("f"), 0x1B6, Root, umask: 0x12)); // 0666 & ~022
        Assert.Equal(0x1A4u, f.Mode & PosixMode.PermissionMask);
    }

    [Fact]
    public void InodeNumbers_Monotonic_NeverReused_GenerationStamped()
    {
        using var h = new Harness();
        InodeId a = h.Create(R, "a");
        h.Run(tx => h.Ns.Unlink(tx, R, N("a")));
        InodeId b = h.Create(R, "b");
        Assert.True(b.Value > a.Value);
        Assert.Equal(1UL, h.Attr(b).Generation);
        h.Run(tx => h.Ns.BumpGeneration(tx));
        Assert.Equal(2UL, h.Attr(h.Create(R, "c")).Generation);
    }

    [Fact]
    public void MaxInodes_Enospc()
    {
        using var h = new Harness(maxInodes: 3);
        h.Create(R, "a");
        h.Create(R, "b");
        Assert.Equal(Errno.ENOSPC, h.Fails(tx => h.Ns.Create(tx, R, N("c"), 0x1A4, Root)));
        NamespaceStats s = h.Ns.Stats();
        Assert.Equal((3UL, 1UL, 0UL), (s.Inodes, s.Directories, s.FreeInodes));
    }

    [Fact]
    public void Lookup_DotAndDotDot()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId b = h.Mkdir(a, "b");
        Assert.Equal(b, h.Lookup(b, ".").Ino);
        Assert.Equal(a, h.Lookup(b, "..").Ino);
    }

    [Fact]
    public void Resolve_FollowsSymlinks_DetectsLoops()
    {
        using var h = new Harness();
        InodeId usr = h.Mkdir(R, "usr");
        InodeId bin = h.Mkdir(usr, "bin");
        InodeId sh = h.Create(bin, "sh");
        h.Run(tx => h.Ns.Symlink(tx, R, N("bin"), N("usr/bin"), Root));
        h.Run(tx => h.Ns.Symlink(tx, bin, N("rel"), N("../bin/./sh"), Root));
        Assert.Equal(sh, h.Ns.Resolve(N("/bin/sh")));
        Assert.Equal(sh, h.Ns.Resolve(N("/usr/bin/rel")));
        Assert.NotEqual(sh, h.Ns.Resolve(N("/usr/bin/rel"), followLast: false));
        h.Run(tx => h.Ns.Symlink(tx, R, N("loop1"), N("/loop2"), Root));
        h.Run(tx => h.Ns.Symlink(tx, R, N("loop2"), N("/loop1"), Root));
        Assert.Equal(Errno.ELOOP, ErrnoOf(() => h.Ns.Resolve(N("/loop1/x"))));
        Assert.Equal(Errno.ENOTDIR, ErrnoOf(() => h.Ns.Resolve(N("/usr/bin/sh/x"))));
        Assert.Equal(Errno.ENOENT, ErrnoOf(() => h.Ns.Resolve(N("/nope"))));
    }
}
