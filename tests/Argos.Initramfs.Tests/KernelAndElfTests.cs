using Argos.Initramfs.Boot;

namespace Argos.Initramfs.Tests;

public class KernelAndElfTests
{
    [Fact]
    public void ModuleDeps_ResolvesDependenciesFirst_AndTreatsDashAsUnderscore()
    {
        var root = Directory.CreateTempSubdirectory("argos-kmod-").FullName;
        try
        {
            var dir = Path.Combine(root, "lib", "modules", "9.9.9-test");
            Directory.CreateDirectory(dir);
            File.WriteAllLines(Path.Combine(dir, "modules.dep"),
            [
                "kernel/fs/fuse/fuse.ko:",
                "kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio.ko",
                "kernel/drivers/virtio/virtio.ko:",
                "kernel/drivers/virtio/virtio_pci_modern_dev.ko: kernel/drivers/virtio/virtio.ko",
            ]);
            File.WriteAllLines(Path.Combine(dir, "modules.builtin"), ["kernel/crypto/crc32c_generic.ko"]);
            var tree = KernelTree.Locate(dir, null);
            Assert.Equal("9.9.9-test", tree.Version);
            var files = tree.Resolve(["fuse", "virtio-pci", "crc32c_generic"]);
            Assert.Equal(["kernel/fs/fuse/fuse.ko", "kernel/drivers/virtio/virtio.ko", "kernel/drivers/virtio/virtio_pci_modern_dev.ko", "kernel/drivers/virtio/virtio_pci.ko"], files);
            var e = Assert.Throws<ToolException>(() => tree.Resolve(["nosuchmod"]));
            Assert.Contains("no module 'nosuchmod'", e.Message);
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }

    [Fact]
    public void KernelTree_UnknownVersion_SaysHowToFetchIt()
    {
        var e = Assert.Throws<ToolException>(() => KernelTree.Locate("0.0.0-none", null));
        Assert.Contains("scripts/kernel.sh", e.Hint);
    }

    [Fact]
    public void Elf_BusyboxStaticIsStatic_ShIsNot()
    {
        if (File.Exists("/bin/busybox"))
        {
            Assert.True(ElfInfo.IsStatic(File.ReadAllBytes("/bin/busybox")));
        }
        var sh = new FileInfo("/bin/bash").LinkTarget is null ? "/bin/bash" : "/usr/bin/bash";
        Assert.False(ElfInfo.IsStatic(File.ReadAllBytes(sh)));
        Assert.Null(ElfInfo.IsStatic("#!/bin/sh\n"u8.ToArray()));
        var e = Assert.Throws<ToolException>(() => ElfInfo.RequireStatic(sh, "argosfs"));
        Assert.Contains("dynamically linked", e.Message);
    }
}
