using Argos.Initramfs.Templates;
using Argos.Initramfs.Tools;

namespace Argos.Initramfs.Initramfs;

/// <summary>
/// The dracut flavour: Debian's dracut with our 90argosfs module. dracut reads modules only from
/// $dracutbasedir/modules.d, so the host's /usr/lib/dracut is copied to a scratch directory, the
/// rendered module added to it, and dracut run with dracutbasedir pointing there:
///   dracut --no-hostonly --kver VER --kmoddir DIR -m "base argosfs" [--add "systemd systemd-initrd
///   dracut-systemd"] --no-compress --conf /dev/null --confdir EMPTY --force OUT
/// The host's dracut.conf is ignored so that the image is the same on every machine.
/// </summary>
public sealed class DracutInitramfs(TemplateStore store, TemplateModel model)
{
    public required KernelTree Kernel { get; init; }
    public required string ArgosfsPath { get; init; }
    /// <summary>systemd as the initramfs init (the boot-systemd scenario) instead of dracut's shell init.</summary>
    public bool Systemd { get; init; }

    public void Write(string outFile)
    {
        var dracut = ProcessRunner.Which("dracut") ?? throw new ToolException("dracut is not installed",
            "apt-get install dracut-core (scripts/deps.sh does), or use --flavor builtin");
        Boot.ElfInfo.RequireStatic(ArgosfsPath, "argosfs");
        var scratch = Directory.CreateTempSubdirectory("argos-dracut-");
        try
        {
            var basedir = Path.Combine(scratch.FullName, "dracut");
            ProcessRunner.Check("cp", ["-a", "/usr/lib/dracut", basedir], "is dracut installed in /usr/lib/dracut?");
            var modulesD = Path.Combine(basedir, "modules.d");
            GlueGenerator.WriteAll(new GlueGenerator(store, model).DracutModule(), modulesD);
            var confdir = Directory.CreateDirectory(Path.Combine(scratch.FullName, "conf.d")).FullName;
            var modules = Systemd ? "base argosfs systemd systemd-initrd dracut-systemd" : "base argosfs";
            var args = new List<string>
            {
                "--no-hostonly", "--kver", Kernel.Version, "--kmoddir", Kernel.ModulesDir,
                "-m", modules, "--no-compress", "--no-early-microcode", "--conf", "/dev/null", "--confdir", confdir,
                "--force", Path.GetFullPath(outFile),
            };
            var env = new Dictionary<string, string> { ["dracutbasedir"] = basedir, ["ARGOSFS_BINARY"] = Path.GetFullPath(ArgosfsPath) };
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
            var result = ProcessRunner.Run(dracut, args, env: env);
            if (result.ExitCode != 0 || !File.Exists(outFile))
            {
                var err = (result.StdErr + result.StdOut).Trim();
                throw new ToolException($"dracut failed (exit {result.ExitCode}):\n{(err.Length > 3000 ? err[^3000..] : err)}",
                    "the messages above name the missing piece; run with --verbose to see the dracut command");
            }
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
