using Argos.Initramfs.Boot;
using Argos.Initramfs.Cpio;
using Argos.Initramfs.Templates;
using Argos.Initramfs.Tools;

namespace Argos.Initramfs.Initramfs;

/// <summary>
/// The builtin flavour: our own minimal uncompressed newc cpio (no decompression in the guest).
///   /init                          builtin/init (busybox ash)
///   /bin/busybox + applet links    Debian's busybox-static
///   /sbin/argosfs                  the static argosfs binary
///   /lib/argosfs-lib.sh            the shared boot flow (dracut/90argosfs/argosfs-lib.sh)
///   /lib/argos-shutdown            builtin/shutdown, copied to /run/initramfs/shutdown at boot
///   /lib/argos-pivot-shutdown      copied to /run/initramfs/argos-shutdown at boot
///   /lib/modules/VER/...           fuse, virtio_pci, virtio_blk, crc32c_generic (+ ext4 for plain
///                                  block roots) with their dependencies and a matching modules.dep
///   /dev/console, /dev/null        so the kernel has a console before /init mounts devtmpfs
/// </summary>
public sealed class BuiltinInitramfs(TemplateStore store, TemplateModel model)
{
    public required KernelTree Kernel { get; init; }
    /// <summary>null: no argosfs inside (plain block roots only, for comparisons).</summary>
    public required string? ArgosfsPath { get; init; }
    public string BusyboxPath { get; init; } = "/bin/busybox";
    public IReadOnlyList<string> ExtraModules { get; init; } = [];

    public IReadOnlyList<CpioEntry> Entries()
    {
        if (ArgosfsPath is not null)
        {
            ElfInfo.RequireStatic(ArgosfsPath, "argosfs");
        }
        ElfInfo.RequireStatic(BusyboxPath, "busybox");
        var glue = new GlueGenerator(store, model);
        var entries = new List<CpioEntry>();
        foreach (var dir in new[] { "bin", "sbin", "dev", "etc", "lib", "lib/modules", "proc", "sys", "run", "sysroot", "tmp", "usr", "usr/bin", "usr/sbin" })
        {
            entries.Add(CpioEntry.Dir(dir));
        }
        entries.Add(CpioEntry.CharDev("dev/console", 5, 1, 0x180 /* 0600 */));
        entries.Add(CpioEntry.CharDev("dev/null", 1, 3, 0x1B6 /* 0666 */));
        entries.Add(CpioEntry.File("bin/busybox", File.ReadAllBytes(BusyboxPath), 0x1ED));
        foreach (var applet in Applets())
        {
            if (applet != "busybox")
            {
                entries.Add(CpioEntry.Link("bin/" + applet, "busybox"));
            }
        }
        if (ArgosfsPath is not null)
        {
            entries.Add(CpioEntry.File(model.ArgosfsBin.TrimStart('/'), File.ReadAllBytes(ArgosfsPath), 0x1ED));
        }
        entries.Add(Rendered(glue, "builtin/init", "init"));
        entries.Add(Rendered(glue, GlueGenerator.LibKey, "lib/argosfs-lib.sh"));
        entries.Add(Rendered(glue, "builtin/shutdown", "lib/argos-shutdown"));
        entries.Add(Rendered(glue, GlueGenerator.PivotShutdownKey, "lib/argos-pivot-shutdown"));
        entries.Add(CpioEntry.File("etc/initrd-release", "NAME=\"argos builtin initramfs\"\nID=argos-initramfs\n"u8.ToArray(), 0x1A4));
        entries.AddRange(ModuleEntries());
        return entries;
    }

    public void Write(string outFile)
    {
        var entries = Entries();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outFile))!);
        using var stream = File.Create(outFile);
        var writer = new CpioWriter(stream);
        foreach (var e in entries)
        {
            writer.Add(e);
        }
        writer.Finish();
    }

    private static CpioEntry Rendered(GlueGenerator glue, string key, string target)
    {
        var file = glue.RenderAs(key, target);
        return CpioEntry.File(target, System.Text.Encoding.UTF8.GetBytes(file.Text), file.Mode == GlueGenerator.Executable ? 0x1EDu : 0x1A4u);
    }

    private IEnumerable<string> Applets()
    {
        var result = ProcessRunner.Check(BusyboxPath, ["--list"], "use Debian's busybox-static (/bin/busybox)");
        return result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(a => a.All(c => char.IsAsciiLetterOrDigit(c) || c is '[' or '_' or '-' or '.'));
    }

    private IEnumerable<CpioEntry> ModuleEntries()
    {
        var names = KernelModules.Required.Concat(KernelModules.BlockRoot).Concat(ExtraModules).Distinct().ToList();
        var files = Kernel.Resolve(names);
        var prefix = "lib/modules/" + Kernel.Version;
        var dirs = new SortedSet<string>(StringComparer.Ordinal) { prefix };
        foreach (var f in files)
        {
            for (var d = Path.GetDirectoryName(f); !string.IsNullOrEmpty(d); d = Path.GetDirectoryName(d))
            {
                dirs.Add(prefix + "/" + d);
            }
        }
        foreach (var d in dirs)
        {
            yield return CpioEntry.Dir(d);
        }
        foreach (var f in files)
        {
            yield return CpioEntry.File(prefix + "/" + f, File.ReadAllBytes(Path.Combine(Kernel.ModulesDir, f)), 0x1A4);
        }
        // modules.dep restricted to what is inside: busybox modprobe reads it as text
        var included = files.ToHashSet();
        var dep = File.ReadAllLines(Path.Combine(Kernel.ModulesDir, "modules.dep"))
            .Where(l => l.IndexOf(':') > 0 && included.Contains(l[..l.IndexOf(':')]));
        yield return CpioEntry.File(prefix + "/modules.dep", System.Text.Encoding.UTF8.GetBytes(string.Join('\n', dep) + "\n"), 0x1A4);
        foreach (var extra in new[] { "modules.builtin", "modules.order" })
        {
            var path = Path.Combine(Kernel.ModulesDir, extra);
            if (File.Exists(path))
            {
                yield return CpioEntry.File(prefix + "/" + extra, File.ReadAllBytes(path), 0x1A4);
            }
        }
    }
}
