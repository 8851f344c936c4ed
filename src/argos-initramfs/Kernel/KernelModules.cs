namespace Argos.Initramfs;

/// <summary>The kernel modules every argosfs root needs in the initramfs.</summary>
public static class KernelModules
{
    /// <summary>fuse for the daemon; virtio_pci + virtio_blk for QEMU's disks; crc32c_generic
    /// because the qemu64 CPU under TCG has no SSE4.2 and crc32c-intel cannot load.</summary>
    public static readonly IReadOnlyList<string> Required = ["fuse", "virtio_pci", "virtio_blk", "crc32c_generic"];

    /// <summary>What the builtin /init loads for a plain ext4 root (the comparison baseline).</summary>
    public static readonly IReadOnlyList<string> BlockRoot = ["ext4"];
}
