using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;
using Entry = Argos.Metadata.Namespace.PosixAcl.Entry;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceXattrTests
{
    private static byte[] Acl(params Entry[] entries) => PosixAcl.Serialize(entries);

    private static readonly uint U = PosixAcl.UndefinedId;

    [Fact]
    public void SetGetListRemove_AllNamespaces_StableOrder()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        byte[] cap = [0x01, 0x00, 0x00, 0x02, 0x00, 0x20, 0x00, 0x00];
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user.z"), N("last"), XattrFlags.None, Root));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("security.capability"), cap, XattrFlags.None, Root));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("security.selinux"), N("system_u:object_r:bin_t:s0\0"), XattrFlags.None, Root));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("trusted.overlay.opaque"), N("y"), XattrFlags.None, Root));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user.a"), [], XattrFlags.None, Root));
        Assert.Equal(cap, h.Ns.GetXattr(f, N("security.capability"), Root).ToArray());
        Assert.Empty(h.Ns.GetXattr(f, N("user.a"), Root).ToArray());
        string[] names = h.Ns.ListXattr(f, Root).Select(n => System.Text.Encoding.UTF8.GetString(n.Span)).ToArray();
        Assert.Equal(["security.capability", "security.selinux", "trusted.overlay.opaque", "user.a", "user.z"], names);
        Assert.DoesNotContain(h.Ns.ListXattr(f, User), n => n.Span.StartsWith("trusted."u8));
        Assert.Equal(Errno.ENODATA, ErrnoOf(() => h.Ns.GetXattr(f, N("trusted.overlay.opaque"), User)));
        Timespec ctime = h.Attr(f).Ctime;
        h.Run(tx => h.Ns.RemoveXattr(tx, f, N("user.z"), Root));
        Assert.True(h.Attr(f).Ctime > ctime);
        Assert.Equal(Errno.ENODATA, ErrnoOf(() => h.Ns.GetXattr(f, N("user.z"), Root)));
        Assert.Equal(Errno.ENODATA, h.Fails(tx => h.Ns.RemoveXattr(tx, f, N("user.z"), Root)));
    }

    [Fact]
    public void CreateReplaceFlags()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        Assert.Equal(Errno.ENODATA, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user.k"), N("v"), XattrFlags.Replace, Root)));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user.k"), N("v1"), XattrFlags.Create, Root));
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user.k"), N("v2"), XattrFlags.Create, Root)));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user.k"), N("v3"), XattrFlags.Replace, Root));
        Assert.Equal("v3", System.Text.Encoding.UTF8.GetString(h.Ns.GetXattr(f, N("user.k"), Root).Span));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user.k"), N("v"), XattrFlags.Create | XattrFlags.Replace, Root)));
    }

    [Fact]
    public void NameAndValueLimits_AndPermissions()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0x1A4);
        InodeAttributes link = h.Run(tx => h.Ns.Symlink(tx, R, N("l"), N("f"), Root));
        Assert.Equal(Errno.EOPNOTSUPP, h.Fails(tx => h.Ns.SetXattr(tx, f, N("foo.bar"), N("v"), XattrFlags.None, Root)));
        Assert.Equal(Errno.EOPNOTSUPP, h.Fails(tx => h.Ns.SetXattr(tx, f, N("system.nfs4_acl"), N("v"), XattrFlags.None, Root)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user."), N("v"), XattrFlags.None, Root)));
        Assert.Equal(Errno.ERANGE, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user." + new string('x', 251)), N("v"), XattrFlags.None, Root)));
        h.Run(tx => h.Ns.SetXattr(tx, f, N("user." + new string('x', 250)), new byte[FsNamespace.XattrValueMaxBytes], XattrFlags.None, Root));
        Assert.Equal(Errno.E2BIG, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user.big"), new byte[FsNamespace.XattrValueMaxBytes + 1], XattrFlags.None, Root)));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetXattr(tx, link.Ino, N("user.a"), N("v"), XattrFlags.None, Root)));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetXattr(tx, f, N("trusted.a"), N("v"), XattrFlags.None, User)));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetXattr(tx, f, N("security.capability"), N("v"), XattrFlags.None, User)));
        Assert.Equal(Errno.EACCES, h.Fails(tx => h.Ns.SetXattr(tx, f, N("user.a"), N("v"), XattrFlags.None, User)));
        // security.* on symlinks and devices (SELinux labels everything).
        h.Run(tx => h.Ns.SetXattr(tx, link.Ino, N("security.selinux"), N("x"), XattrFlags.None, Root));
    }

    [Fact]
    public void AccessAcl_SetsModeBits_EquivalentAclNotStored()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0x1A4);
        byte[] equivalent = Acl(new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagOther, 0, U));
        InodeAttributes a = h.Run(tx => h.Ns.SetXattr(tx, f, PosixAcl.AccessXattrName.ToArray(), equivalent, XattrFlags.None, Root));
        Assert.Equal(0x1E8u, a.Mode & PosixMode.AccessMask); // 0750
        Assert.Equal(Errno.ENODATA, ErrnoOf(() => h.Ns.GetXattr(f, PosixAcl.AccessXattrName, Root)));

        byte[] extended = Acl(new(PosixAcl.TagUserObj, 6, U), new(PosixAcl.TagUser, 7, 1000), new(PosixAcl.TagGroupObj, 4, U),
            new(PosixAcl.TagMask, 6, U), new(PosixAcl.TagOther, 4, U));
        a = h.Run(tx => h.Ns.SetXattr(tx, f, PosixAcl.AccessXattrName.ToArray(), extended, XattrFlags.None, Root));
        Assert.Equal(0x1B4u, a.Mode & PosixMode.AccessMask); // 0664: group bits from MASK
        Assert.Equal(extended, h.Ns.GetXattr(f, PosixAcl.AccessXattrName, Root).ToArray());
        Assert.True(h.Ns.CheckAccess(f, AccessMode.Write, User)); // named user rwx, masked to rw
        Assert.False(h.Ns.CheckAccess(f, AccessMode.Execute, User));
        Assert.False(h.Ns.CheckAccess(f, AccessMode.Write, Other));
    }

    [Fact]
    public void Chmod_RewritesAccessAclMask()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0x1A4);
        byte[] extended = Acl(new(PosixAcl.TagUserObj, 6, U), new(PosixAcl.TagUser, 7, 1000), new(PosixAcl.TagGroupObj, 4, U),
            new(PosixAcl.TagMask, 7, U), new(PosixAcl.TagOther, 4, U));
        h.Run(tx => h.Ns.SetXattr(tx, f, PosixAcl.AccessXattrName.ToArray(), extended, XattrFlags.None, Root));
        h.Run(tx => h.Ns.SetAttr(tx, f, new SetAttrRequest { Mode = 0x1C0 }, Root)); // 0700
        Assert.True(PosixAcl.TryParse(h.Ns.GetXattr(f, PosixAcl.AccessXattrName, Root).Span, out Entry[] e));
        Assert.Equal(new Entry(PosixAcl.TagUserObj, 7, U), e[0]);
        Assert.Equal(new Entry(PosixAcl.TagUser, 7, 1000), e[1]); // named entry unchanged
        Assert.Equal(new Entry(PosixAcl.TagGroupObj, 4, U), e[2]); // GROUP_OBJ unchanged: the mask took the group bits
        Assert.Equal(new Entry(PosixAcl.TagMask, 0, U), e[3]);
        Assert.Equal(new Entry(PosixAcl.TagOther, 0, U), e[4]);
        Assert.False(h.Ns.CheckAccess(f, AccessMode.Read, User)); // masked out
    }

    [Fact]
    public void DefaultAcl_InheritedByFilesAndDirectories_UmaskIgnored()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "d", 0x1FF);
        byte[] def = Acl(new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagGroup, 7, 100), new(PosixAcl.TagGroupObj, 5, U),
            new(PosixAcl.TagMask, 7, U), new(PosixAcl.TagOther, 5, U));
        // Default must be in tag order: USER_OBJ, GROUP_OBJ, GROUP, MASK, OTHER. The one above is not.
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetXattr(tx, d, PosixAcl.DefaultXattrName.ToArray(), def, XattrFlags.None, Root)));
        def = Acl(new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagGroup, 7, 100),
            new(PosixAcl.TagMask, 7, U), new(PosixAcl.TagOther, 5, U));
        h.Run(tx => h.Ns.SetXattr(tx, d, PosixAcl.DefaultXattrName.ToArray(), def, XattrFlags.None, Root));

        InodeAttributes f = h.Run(tx => h.Ns.Create(tx, d, N("f"), 0x1A4, Root, umask: 0x3F)); // 0644, umask 077 ignored
        Assert.Equal(0x1A4u, f.Mode & PosixMode.AccessMask); // user rw, mask r (6&4... = group bits from mask 7&4=4), other r
        Assert.True(PosixAcl.TryParse(h.Ns.GetXattr(f.Ino, PosixAcl.AccessXattrName, Root).Span, out Entry[] fa));
        Assert.Equal([new(PosixAcl.TagUserObj, 6, U), new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagGroup, 7, 100),
            new(PosixAcl.TagMask, 4, U), new(PosixAcl.TagOther, 4, U)], fa);
        Assert.Equal(Errno.ENODATA, ErrnoOf(() => h.Ns.GetXattr(f.Ino, PosixAcl.DefaultXattrName, Root)));
        Assert.True(h.Ns.CheckAccess(f.Ino, AccessMode.Read, new Credentials(5, 5, [100])));
        Assert.False(h.Ns.CheckAccess(f.Ino, AccessMode.Write, new Credentials(5, 5, [100])));

        InodeAttributes sub = h.Run(tx => h.Ns.Mkdir(tx, d, N("sub"), 0x1ED, Root));
        Assert.Equal(def, h.Ns.GetXattr(sub.Ino, PosixAcl.DefaultXattrName, Root).ToArray());
        Assert.True(PosixAcl.TryParse(h.Ns.GetXattr(sub.Ino, PosixAcl.AccessXattrName, Root).Span, out Entry[] sa));
        Assert.Equal(new Entry(PosixAcl.TagMask, 5, U), sa[3]);
        // Grandchildren inherit through the copied default.
        InodeAttributes g = h.Run(tx => h.Ns.Create(tx, sub.Ino, N("g"), 0x1B6, Root));
        Assert.True(h.Ns.GetXattr(g.Ino, PosixAcl.AccessXattrName, Root).Length > 0);
        // Symlinks get no ACL.
        InodeAttributes l = h.Run(tx => h.Ns.Symlink(tx, d, N("l"), N("f"), Root));
        Assert.Empty(h.Ns.ListXattr(l.Ino, Root));
    }

    [Fact]
    public void DefaultAcl_OnlyOnDirectories_RemovalOnFileIsNoop()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        byte[] def = Acl(new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagOther, 5, U));
        Assert.Equal(Errno.EACCES, h.Fails(tx => h.Ns.SetXattr(tx, f, PosixAcl.DefaultXattrName.ToArray(), def, XattrFlags.None, Root)));
        h.Run(tx => h.Ns.RemoveXattr(tx, f, PosixAcl.DefaultXattrName.ToArray(), Root));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.SetXattr(tx, f, PosixAcl.AccessXattrName.ToArray(), [2, 0, 0, 0, 1], XattrFlags.None, Root)));
        Assert.Equal(Errno.EPERM, h.Fails(tx => h.Ns.SetXattr(tx, f, PosixAcl.AccessXattrName.ToArray(), def, XattrFlags.None, User)));
    }

    [Fact]
    public void AclXattr_KillSgidFlag()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0x5ED);
        byte[] acl = Acl(new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagUser, 5, 7), new(PosixAcl.TagGroupObj, 5, U),
            new(PosixAcl.TagMask, 5, U), new(PosixAcl.TagOther, 5, U));
        InodeAttributes a = h.Run(tx => h.Ns.SetXattr(tx, f, PosixAcl.AccessXattrName.ToArray(), acl, XattrFlags.None, Root, killSgid: true));
        Assert.Equal(0x1EDu, a.Mode & PosixMode.PermissionMask);
    }

    [Fact]
    public void PosixAcl_Validation()
    {
        Assert.True(PosixAcl.IsValid([new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagOther, 0, U)]));
        Assert.False(PosixAcl.IsValid([new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagUser, 5, 3), new(PosixAcl.TagGroupObj, 5, U),
            new(PosixAcl.TagOther, 0, U)])); // named entry without MASK
        Assert.False(PosixAcl.IsValid([new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagOther, 0, U)]));
        Assert.False(PosixAcl.IsValid([new(PosixAcl.TagUserObj, 8, U), new(PosixAcl.TagGroupObj, 5, U), new(PosixAcl.TagOther, 0, U)]));
        Assert.False(PosixAcl.IsValid([new(PosixAcl.TagUserObj, 7, U), new(PosixAcl.TagGroupObj, 5, U)]));
        Assert.False(PosixAcl.TryParse([1, 0, 0, 0], out _)); // version 1
        Assert.False(PosixAcl.TryParse([2, 0, 0, 0, 1, 0, 7], out _)); // partial entry
        Assert.True(PosixAcl.TryParse([2, 0, 0, 0], out Entry[] none) && none.Length == 0);
        byte[] bytes = Acl(new(PosixAcl.TagUserObj, 6, U), new(PosixAcl.TagOther, 4, U));
        Assert.Equal("02000000" + "0100" + "0600" + "FFFFFFFF" + "2000" + "0400" + "FFFFFFFF", Convert.ToHexString(bytes));
    }
}
