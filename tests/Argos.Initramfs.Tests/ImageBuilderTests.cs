using Argos.Initramfs.Images;
using Argos.Initramfs.Tools;

namespace Argos.Initramfs.Tests;

public sealed class ImageBuilderTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "argos-image-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public void InstallArgosfs_PutsTheBinaryAndTheBootedSystemsUnitsInTheTree_Enabled()
    {
        Directory.CreateDirectory(_out);
        var fakeArgosfs = Path.Combine(_out, "argosfs-binary");
        File.WriteAllText(fakeArgosfs, "#!/bin/sh\necho fake argosfs\n");
        var recipe = new Recipe { Name = "units", Kind = "none", InstallArgosfs = true };
        new ImageBuilder(recipe, _out)
        {
            BuildPool = false,
            Argosfs = new ArgosfsTool(fakeArgosfs),
            SystemdUnits = TestRepo.Generator().SystemdUnits(),
        }.Build();
        var tree = Path.Combine(_out, "tree");
        Assert.Equal("#!/bin/sh\necho fake argosfs\n", File.ReadAllText(Path.Combine(tree, "usr/sbin/argosfs")));
        Assert.True(File.GetUnixFileMode(Path.Combine(tree, "usr/sbin/argosfs")).HasFlag(UnixFileMode.UserExecute));
        Assert.Contains("scrub --pool", File.ReadAllText(Path.Combine(tree, "etc/systemd/system/argosfs-scrub.service")));
        Assert.True(File.Exists(Path.Combine(tree, "usr/lib/argosfs/argosfs-root-check")));
        Assert.Equal("/etc/systemd/system/argosfs-autopilot.service",
            new FileInfo(Path.Combine(tree, "etc/systemd/system/multi-user.target.wants/argosfs-autopilot.service")).LinkTarget);
        Assert.Equal("/etc/systemd/system/argosfs-root-check.service",
            new FileInfo(Path.Combine(tree, "etc/systemd/system/multi-user.target.wants/argosfs-root-check.service")).LinkTarget);
        Assert.Equal("/etc/systemd/system/argosfs-scrub.timer",
            new FileInfo(Path.Combine(tree, "etc/systemd/system/timers.target.wants/argosfs-scrub.timer")).LinkTarget);
        Assert.False(File.Exists(Path.Combine(tree, "etc/systemd/system/argosfs-initrd-keep.service")), "the initrd unit belongs in the initramfs");
    }
}
