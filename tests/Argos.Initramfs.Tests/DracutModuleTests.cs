namespace Argos.Initramfs.Tests;

/// <summary>module-setup.sh's check() under bash with dracut's helpers stubbed:
/// 0 include, 1 cannot be included, 255 only when asked for.</summary>
public class DracutModuleTests
{
    private static int Check(string argosfsBinary, bool hostonly, string hostFsTypes)
    {
        var setup = TestRepo.Generator().DracutModule().Single(f => f.RelativePath == "90argosfs/module-setup.sh").Text;
        var path = Path.Combine(Path.GetTempPath(), "argos-ms-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, setup);
        try
        {
            var script = $$"""
                derror() { echo "derror: $*" >&2; }
                require_binaries() { return 0; }
                export ARGOSFS_BINARY='{{argosfsBinary}}'
                hostonly='{{(hostonly ? "yes" : "")}}'
                host_fs_types=({{hostFsTypes}})
                . "$1"
                check
                """;
            return TestRepo.Run("bash", "-c", script, "x", path).ExitCode;
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Check_BinaryMissing_Returns1() => Assert.Equal(1, Check("/nonexistent/argosfs", false, ""));

    [Fact]
    public void Check_NotHostonly_Returns255_OnlyWhenAskedFor() => Assert.Equal(255, Check("/bin/sh", false, ""));

    [Fact]
    public void Check_HostonlyWithArgosfsRoot_Returns0() => Assert.Equal(0, Check("/bin/sh", true, "ext4 fuse.argosfs"));

    [Fact]
    public void Check_HostonlyWithoutArgosfsRoot_Returns255() => Assert.Equal(255, Check("/bin/sh", true, "ext4"));
}
