using Argos.Initramfs.Templates;

namespace Argos.Initramfs.Tests;

public class SystemdUnitTests
{
    [Fact]
    public void Units_CarryDocumentation_AndEarlyOnesDropDefaultDependencies()
    {
        foreach (var f in TestRepo.Generator().SystemdUnits().Where(f => f.RelativePath.EndsWith(".service") || f.RelativePath.EndsWith(".timer")))
        {
            Assert.Contains("Documentation=", f.Text);
            if (f.Text.Contains("initrd"))
            {
                Assert.Contains("DefaultDependencies=no", f.Text);
            }
        }
    }

    /// <summary>systemd-analyze verify on the generated units. The ExecStart= programs must exist for
    /// verify, so the units are rendered with argosfs and the helper pointing into a scratch dir.</summary>
    [Fact]
    [Trait("Requires", "systemd-analyze")]
    public void Units_PassSystemdAnalyzeVerify()
    {
        if (!TestRepo.Has("systemd-analyze"))
        {
            // scripts/deps.sh installs systemd; this machine cannot run the check
            return;
        }
        var dir = Directory.CreateTempSubdirectory("argos-units-").FullName;
        try
        {
            var fake = Path.Combine(dir, "argosfs");
            File.WriteAllText(fake, "#!/bin/sh\nexit 0\n");
            File.SetUnixFileMode(fake, GlueGenerator.Executable);
            var model = TestRepo.Model with { SystemArgosfs = fake, LibexecDir = dir };
            var files = new GlueGenerator(TemplateStore.Open(TestRepo.Root), model).SystemdUnits();
            GlueGenerator.WriteAll(files, dir);
            var units = files.Where(f => f.RelativePath.EndsWith(".service") || f.RelativePath.EndsWith(".timer")).Select(f => Path.Combine(dir, f.RelativePath)).ToArray();
            Assert.NotEmpty(units);
            var (code, stdout, stderr) = TestRepo.Run("systemd-analyze", ["verify", .. units]);
            Assert.True(code == 0 && stderr.Trim().Length == 0, $"systemd-analyze verify: exit {code}\n{stdout}\n{stderr}");
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
