using System.Text;
using Argos.Platform.Interop;

namespace Argos.Cli.Mount;

/// <summary>
/// The kernel's readahead window for the mount. FUSE_INIT can only lower it (the kernel offers its
/// default, 128 KiB), and 128 KiB is a quarter of a 2+1 stripe: a sequential reader then costs eight
/// READ round trips per MiB. After INIT the mount's backing device info takes a larger value through
/// sysfs, as for any block device (`/sys/class/bdi/MAJOR:MINOR/read_ahead_kb`); argosfs sets two stripes.
/// Best effort: without sysfs or the right to write it, the kernel default stays and a line is logged.
/// Runs once at mount time (in an initramfs, before switch_root: a root daemon opens no such path later).
/// </summary>
internal static class MountReadahead
{
    public static void TrySet(string mountPoint, int kibibytes, Action<string> log)
    {
        if (kibibytes <= 0) return;
        try
        {
            var stat = LibC.LStat(Encoding.UTF8.GetBytes(mountPoint));
            var path = $"/sys/class/bdi/{stat.DevMajor}:{stat.DevMinor}/read_ahead_kb";
            File.WriteAllText(path, kibibytes.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            log($"argosfs: readahead of {mountPoint} left at the kernel's default ({e.Message})");
        }
    }
}
