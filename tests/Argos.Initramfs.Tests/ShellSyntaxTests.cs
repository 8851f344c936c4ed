namespace Argos.Initramfs.Tests;

/// <summary>sh -n / bash -n of every generated shell file, with the shell it runs under.</summary>
public class ShellSyntaxTests
{
    public static TheoryData<string, string> Scripts()
    {
        var data = new TheoryData<string, string>();
        var gen = TestRepo.Generator();
        foreach (var f in gen.DracutModule().Concat(gen.MkinitcpioHooks()).Concat(gen.SystemdUnits()).Where(f => f.Text.StartsWith("#!")))
        {
            var shebang = f.Text[..f.Text.IndexOf('\n')];
            data.Add(f.RelativePath, shebang.Contains("bash") ? "bash" : "sh");
        }
        foreach (var key in new[] { "builtin/init", "builtin/shutdown" })
        {
            data.Add(key, "sh");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Script_ParsesUnderItsShell(string relativePath, string shell)
    {
        var gen = TestRepo.Generator();
        var text = relativePath.StartsWith("builtin/")
            ? gen.RenderAs(relativePath, relativePath).Text
            : gen.DracutModule().Concat(gen.MkinitcpioHooks()).Concat(gen.SystemdUnits()).First(f => f.RelativePath == relativePath).Text;
        var path = Path.Combine(Path.GetTempPath(), "argos-syntax-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(path, text);
        try
        {
            var (code, _, err) = TestRepo.Run(shell, "-n", path);
            Assert.True(code == 0, $"{shell} -n {relativePath}: {err}");
            if (shell == "sh" && File.Exists("/bin/busybox"))
            {
                // the builtin initramfs and mkinitcpio run these under busybox ash
                var (bcode, _, berr) = TestRepo.Run("/bin/busybox", "ash", "-n", path);
                Assert.True(bcode == 0, $"busybox ash -n {relativePath}: {berr}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DracutHooks_ReturnRatherThanExit()
    {
        // hooks are sourced by dracut's init: `exit` would end init itself
        foreach (var f in TestRepo.Generator().DracutModule().Where(f => f.RelativePath.Contains("/argosfs-") && f.RelativePath.EndsWith(".sh") && !f.RelativePath.EndsWith("argosfs-lib.sh")))
        {
            foreach (var line in f.Text.Split('\n').Where(l => !l.TrimStart().StartsWith('#')))
            {
                Assert.DoesNotMatch(@"(^|;|&&|\|\||\{)\s*exit\b", line);
            }
        }
    }

    [Fact]
    public void MkinitcpioInstallHooks_HaveHelp()
    {
        foreach (var f in TestRepo.Generator().MkinitcpioHooks().Where(f => f.RelativePath.StartsWith("install/")))
        {
            Assert.Contains("help()", f.Text);
            Assert.Contains("build()", f.Text);
        }
    }
}
