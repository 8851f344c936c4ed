using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceRenameTests
{
    [Fact]
    public void Rename_File_WithinAndAcrossDirectories()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId b = h.Mkdir(R, "b");
        InodeId f = h.Create(a, "f");
        Timespec ctime = h.Attr(f).Ctime;
        h.Run(tx => h.Ns.Rename(tx, a, N("f"), a, N("g")));
        Assert.Equal(f, h.Lookup(a, "g").Ino);
        h.Run(tx => h.Ns.Rename(tx, a, N("g"), b, N("h")));
        Assert.Equal(f, h.Lookup(b, "h").Ino);
        Assert.Equal([".", ".."], h.Names(a));
        Assert.True(h.Attr(f).Ctime > ctime);
        Assert.Equal(h.Attr(a).Mtime, h.Attr(b).Mtime);
    }

    [Fact]
    public void Rename_OverExistingFile_ReplacesAndFreesIt()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        InodeId g = h.Create(R, "g");
        h.Run(tx => h.Ns.Rename(tx, R, N("f"), R, N("g")));
        Assert.Equal(f, h.Lookup(R, "g").Ino);
        Assert.False(h.Ns.Exists(g));
        Assert.Equal([".", "..", "g"], h.Names(R));
    }

    [Fact]
    public void Rename_OverHardLinkOfSameInode_DoesNothing()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f");
        h.Run(tx => h.Ns.Link(tx, f, R, N("g")));
        h.Run(tx => h.Ns.Rename(tx, R, N("f"), R, N("g")));
        Assert.Equal([".", "..", "f", "g"], h.Names(R));
        Assert.Equal(2u, h.Attr(f).Nlink);
    }

    [Fact]
    public void Rename_DirectoryAcrossParents_FixesLinkCountsAndDotDot()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId b = h.Mkdir(R, "b");
        InodeId d = h.Mkdir(a, "d");
        Assert.Equal(3u, h.Attr(a).Nlink);
        h.Run(tx => h.Ns.Rename(tx, a, N("d"), b, N("d")));
        Assert.Equal(2u, h.Attr(a).Nlink);
        Assert.Equal(3u, h.Attr(b).Nlink);
        Assert.Equal(b, h.Lookup(d, "..").Ino);
    }

    [Fact]
    public void Rename_DirectoryOverEmptyDirectory_Ok_OverNonEmpty_Enotempty()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId empty = h.Mkdir(R, "empty");
        InodeId full = h.Mkdir(R, "full");
        h.Create(full, "x");
        Assert.Equal(Errno.ENOTEMPTY, h.Fails(tx => h.Ns.Rename(tx, R, N("a"), R, N("full"))));
        h.Run(tx => h.Ns.Rename(tx, R, N("a"), R, N("empty")));
        Assert.False(h.Ns.Exists(empty));
        Assert.Equal(a, h.Lookup(R, "empty").Ino);
        Assert.Equal(4u, h.Attr(R).Nlink); // root: 2 + empty(=a) + full
    }

    [Fact]
    public void Rename_TypeMismatch_EisdirEnotdir()
    {
        using var h = new Harness();
        h.Mkdir(R, "d");
        h.Create(R, "f");
        Assert.Equal(Errno.EISDIR, h.Fails(tx => h.Ns.Rename(tx, R, N("f"), R, N("d"))));
        Assert.Equal(Errno.ENOTDIR, h.Fails(tx => h.Ns.Rename(tx, R, N("d"), R, N("f"))));
    }

    [Fact]
    public void Rename_IntoOwnSubtree_Einval()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId b = h.Mkdir(a, "b");
        InodeId c = h.Mkdir(b, "c");
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rename(tx, R, N("a"), c, N("a"))));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rename(tx, R, N("a"), a, N("self"))));
        // Moving a deeper directory up is fine.
        h.Run(tx => h.Ns.Rename(tx, b, N("c"), R, N("c")));
        Assert.Equal(R, h.Lookup(c, "..").Ino);
    }

    [Fact]
    public void Rename_NoReplace()
    {
        using var h = new Harness();
        h.Create(R, "f");
        h.Create(R, "g");
        Assert.Equal(Errno.EEXIST, h.Fails(tx => h.Ns.Rename(tx, R, N("f"), R, N("g"), RenameFlags.NoReplace)));
        h.Run(tx => h.Ns.Rename(tx, R, N("f"), R, N("h"), RenameFlags.NoReplace));
        Assert.Equal([".", "..", "g", "h"], h.Names(R));
    }

    [Fact]
    public void Rename_Exchange_FileAndDirectoryAcrossParents()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId b = h.Mkdir(R, "b");
        InodeId f = h.Create(a, "x");
        InodeId d = h.Mkdir(b, "y");
        h.Run(tx => h.Ns.Rename(tx, a, N("x"), b, N("y"), RenameFlags.Exchange));
        Assert.Equal(d, h.Lookup(a, "x").Ino);
        Assert.Equal(f, h.Lookup(b, "y").Ino);
        Assert.Equal(FileType.Directory, PosixMode.TypeOf(h.Lookup(a, "x").Mode));
        Assert.Equal(a, h.Lookup(d, "..").Ino);
        Assert.Equal(3u, h.Attr(a).Nlink);
        Assert.Equal(2u, h.Attr(b).Nlink);
        var entries = new List<DirEntry>();
        h.Ns.ReadDirectory(a, 2, 10, entries);
        Assert.Equal(FileType.Directory, Assert.Single(entries).Type);
    }

    [Fact]
    public void Rename_Exchange_Errors()
    {
        using var h = new Harness();
        InodeId a = h.Mkdir(R, "a");
        InodeId sub = h.Mkdir(a, "sub");
        h.Create(R, "f");
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Rename(tx, R, N("f"), R, N("none"), RenameFlags.Exchange)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rename(tx, R, N("f"), R, N("a"), RenameFlags.Exchange | RenameFlags.NoReplace)));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rename(tx, R, N("a"), sub, N("x"), RenameFlags.Whiteout)));
        // Exchanging a directory with something inside itself would move it below itself.
        h.Create(sub, "inner");
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rename(tx, R, N("a"), sub, N("inner"), RenameFlags.Exchange)));
    }

    [Fact]
    public void Rename_MissingSource_Enoent_DotNames_Einval()
    {
        using var h = new Harness();
        h.Mkdir(R, "d");
        Assert.Equal(Errno.ENOENT, h.Fails(tx => h.Ns.Rename(tx, R, N("nope"), R, N("x"))));
        Assert.Equal(Errno.EINVAL, h.Fails(tx => h.Ns.Rename(tx, R, N("d"), R, N(".."))));
    }

    [Fact]
    public void Rename_ReplaceKeepsCookie_SoConcurrentReaddirSeesNameOnce()
    {
        using var h = new Harness();
        h.Create(R, "a");
        h.Create(R, "b");
        h.Create(R, "c");
        var first = new List<DirEntry>();
        h.Ns.ReadDirectory(R, 0, 3, first); // ".", "..", "a"
        h.Run(tx => h.Ns.Rename(tx, R, N("c"), R, N("a")));
        var rest = new List<DirEntry>();
        h.Ns.ReadDirectory(R, first[^1].Cookie, 100, rest);
        Assert.Equal(["b"], rest.Select(e => System.Text.Encoding.UTF8.GetString(e.Name.Span)));
    }
}
