namespace Argos.Volume.Tree;

/// <summary>
/// Device numbers as an inode's rdev holds them: the kernel's new_encode_dev() layout, the one FUSE
/// passes in MKNOD and expects in fuse_attr.rdev (32 bits):
/// <code>
///   bits  0..7   minor bits 0..7
///   bits  8..19  major bits 0..11
///   bits 20..31  minor bits 8..19
/// </code>
/// so majors up to 4095 and minors up to 1048575 (MINORBITS = 20) fit, as on Linux.
/// </summary>
public static class DeviceNumber
{
    public const uint MaxMajor = 0xFFF;
    public const uint MaxMinor = 0xFFFFF;

    public static ulong Encode(uint major, uint minor)
    {
        if (major > MaxMajor || minor > MaxMinor)
        {
            throw new ArgumentOutOfRangeException(nameof(major), $"device {major}:{minor} is out of range (major ≤ {MaxMajor}, minor ≤ {MaxMinor})");
        }
        return (minor & 0xFFu) | (major << 8) | ((minor & ~0xFFu) << 12);
    }

    public static uint Major(ulong rdev) => (uint)((rdev & 0xFFF00) >> 8);

    public static uint Minor(ulong rdev) => (uint)((rdev & 0xFF) | ((rdev >> 12) & 0xFFF00));
}
