using System.CommandLine;
using Argos.Initramfs.Boot;
using Argos.Initramfs.Images;
using Argos.Initramfs.Initramfs;
using Argos.Initramfs.Templates;
using Argos.Initramfs.Tools;

namespace Argos.Initramfs;

/// <summary>argos-initramfs: boot glue generator and image builder for argosfs roots (docs/boot.md).</summary>
public static class Program
{
    public static int Main(string[] args) => BuildCommand().Parse(args).Invoke();

    public static RootCommand BuildCommand()
    {
        var templates = new Option<string?>("--templates")
        {
            Description = "Directory holding dracut/, mkinitcpio/, systemd/ templates (default: the repository the tool runs from, else the embedded copies)",
            Recursive = true,
        };
        var argosfs = new Option<string?>("--argosfs")
        {
            Description = "Host path of the static argosfs binary (default: artifacts/bin/argosfs, else argosfs in PATH)",
            Recursive = true,
        };
        var verbose = new Option<bool>("--verbose") { Description = "Print the commands run", Recursive = true };
        var root = new RootCommand("argos-initramfs: boot an argosfs root pool (dracut module, mkinitcpio hooks, systemd units, images, initramfs)");
        root.Options.Add(templates);
        root.Options.Add(argosfs);
        root.Options.Add(verbose);

        TemplateStore Store(ParseResult r) => TemplateStore.Open(r.GetValue(templates));
        string? RepoRoot() => TemplateStore.FindRepoRoot(AppContext.BaseDirectory) ?? TemplateStore.FindRepoRoot(Environment.CurrentDirectory);
        string ArgosfsPath(ParseResult r) => ArgosfsTool.Locate(r.GetValue(argosfs), RepoRoot());
        TemplateModel Model(ParseResult r) => new() { ArgosfsSource = ArgosfsPath(r) };

        var outDir = new Option<string>("--out") { Description = "Output directory", Required = true };

        var dracut = new Command("dracut-module", "Write the dracut module directory OUT/90argosfs") { outDir };
        dracut.SetAction(r => Guard(r, verbose, () =>
        {
            var files = new GlueGenerator(Store(r), Model(r)).DracutModule();
            GlueGenerator.WriteAll(files, r.GetValue(outDir)!);
            Console.WriteLine($"dracut module: {Path.Combine(r.GetValue(outDir)!, GlueGenerator.DracutModuleDir)} ({files.Count} files); install it in /usr/lib/dracut/modules.d/");
        }));
        root.Subcommands.Add(dracut);

        var mkinitcpio = new Command("mkinitcpio-hooks", "Write mkinitcpio install/argosfs, install/sd-argosfs, hooks/argosfs and their shared files to OUT") { outDir };
        mkinitcpio.SetAction(r => Guard(r, verbose, () =>
        {
            var dir = Path.GetFullPath(r.GetValue(outDir)!);
            var files = new GlueGenerator(Store(r), Model(r) with { LibSource = dir }).MkinitcpioHooks();
            GlueGenerator.WriteAll(files, dir);
            Console.WriteLine($"mkinitcpio hooks: {dir} ({files.Count} files); copy install/ and hooks/ to /etc/initcpio/ and keep the other files where they are (install hooks read them from {dir})");
        }));
        root.Subcommands.Add(mkinitcpio);

        var systemd = new Command("systemd-units", "Write the systemd units (root check, scrub timer, autopilot, initrd keep) to OUT") { outDir };
        systemd.SetAction(r => Guard(r, verbose, () =>
        {
            var files = new GlueGenerator(Store(r), Model(r)).SystemdUnits();
            GlueGenerator.WriteAll(files, r.GetValue(outDir)!);
            Console.WriteLine($"systemd units: {r.GetValue(outDir)} ({files.Count} files); units go to /usr/lib/systemd/system, argosfs-root-check to /usr/lib/argosfs");
        }));
        root.Subcommands.Add(systemd);

        var recipe = new Option<string>("--recipe") { Description = "Recipe file, e.g. images/busybox.json", Required = true };
        var noPool = new Option<bool>("--no-pool") { Description = "Build the tree only (no argosfs members)" };
        var ext4 = new Option<bool>("--ext4") { Description = "Also write OUT/root-ext4.img holding the same tree (the comparison baseline)" };
        var overlay = new Option<string?>("--overlay") { Description = "Directory copied over the tree after the recipe (test hooks, extra files)" };
        var image = new Command("image", "Build a root tree from a recipe, mkfs the member images, import the tree, write pool.json") { recipe, outDir, noPool, ext4, overlay };
        image.SetAction(r => Guard(r, verbose, () =>
        {
            var rec = Recipe.Load(r.GetValue(recipe)!);
            var builder = new ImageBuilder(rec, r.GetValue(outDir)!)
            {
                BuildPool = !r.GetValue(noPool),
                BuildExt4 = r.GetValue(ext4),
                Argosfs = new ArgosfsTool(ArgosfsPath(r)),
                Overlay = r.GetValue(overlay),
                SystemdUnits = rec.InstallArgosfs ? new GlueGenerator(Store(r), Model(r)).SystemdUnits() : null,
            };
            builder.Build();
            Console.WriteLine($"image {rec.Name}: {Path.GetFullPath(r.GetValue(outDir)!)}");
        }));
        root.Subcommands.Add(image);

        var flavor = new Option<string>("--flavor") { Description = "builtin | dracut | mkinitcpio", DefaultValueFactory = _ => "builtin" };
        flavor.AcceptOnlyFromAmong("builtin", "dracut", "mkinitcpio");
        var kernel = new Option<string>("--kernel") { Description = "Kernel version (6.1.0-56-amd64) or path (scripts/kernel.sh's directory, or .../lib/modules/VER)", Required = true };
        var outFile = new Option<string>("--out") { Description = "Output initramfs file", Required = true };
        var withSystemd = new Option<bool>("--systemd") { Description = "dracut/mkinitcpio: systemd as the initramfs init (mounts through mount.fuse.argosfs; needs rootfstype=fuse.argosfs)" };
        var busybox = new Option<string>("--busybox") { Description = "builtin: static busybox to include", DefaultValueFactory = _ => "/bin/busybox" };
        var modules = new Option<string[]>("--add-modules") { Description = "builtin: extra kernel modules, comma-separated", CustomParser = a => a.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries)).ToArray() };
        var withoutArgosfs = new Option<bool>("--without-argosfs") { Description = "builtin: leave argosfs out (boots plain block roots only: the ext4 comparison baseline)" };
        var initramfs = new Command("initramfs", "Build an initramfs that mounts an argosfs root") { flavor, kernel, outFile, withSystemd, busybox, modules, withoutArgosfs };
        initramfs.SetAction(r => Guard(r, verbose, () =>
        {
            var store = Store(r);
            var tree = KernelTree.Locate(r.GetValue(kernel)!, RepoRoot());
            var bin = ArgosfsPath(r);
            var model = Model(r);
            var output = r.GetValue(outFile)!;
            switch (r.GetValue(flavor))
            {
                case "builtin":
                    new BuiltinInitramfs(store, model) { Kernel = tree, ArgosfsPath = r.GetValue(withoutArgosfs) ? null : bin, BusyboxPath = r.GetValue(busybox)!, ExtraModules = r.GetValue(modules) ?? [] }.Write(output);
                    break;
                case "dracut":
                    new DracutInitramfs(store, model) { Kernel = tree, ArgosfsPath = bin, Systemd = r.GetValue(withSystemd) }.Write(output);
                    break;
                case "mkinitcpio":
                    new MkinitcpioInitramfs(store, model) { Kernel = tree, ArgosfsPath = bin, Systemd = r.GetValue(withSystemd) }.Write(output);
                    break;
            }
            Console.WriteLine($"initramfs ({r.GetValue(flavor)}, kernel {tree.Version}): {Path.GetFullPath(output)} ({new FileInfo(output).Length / 1024} KiB)");
        }));
        root.Subcommands.Add(initramfs);

        var line = new Argument<string>("CMDLINE") { Description = "A kernel command line (quote it)" };
        var cmdline = new Command("cmdline", "Check a kernel command line the way the initramfs reads it, and print the settings") { line };
        cmdline.SetAction(r =>
        {
            var settings = KernelCmdline.TryParse(r.GetValue(line)!, out var error);
            if (settings is null)
            {
                Console.Error.WriteLine($"argos-initramfs: {error}");
                return 1;
            }
            foreach (var w in settings.Warnings)
            {
                Console.Error.WriteLine($"argos-initramfs: warning: {w}");
            }
            Console.WriteLine($"claimed={(settings.Claimed ? 1 : 0)} pool_kind={settings.PoolKind.ToString().ToLowerInvariant()} pool={settings.Pool} " +
                $"devices={string.Join(',', settings.Devices)} mode={settings.Mode} fsck={settings.Fsck} timeout={settings.TimeoutSeconds} debug={(settings.Debug ? 1 : 0)}");
            return 0;
        });
        root.Subcommands.Add(cmdline);
        return root;
    }

    private static int Guard(ParseResult r, Option<bool> verbose, Action action)
    {
        ProcessRunner.Verbose = r.GetValue(verbose);
        try
        {
            action();
            return 0;
        }
        catch (ToolException e)
        {
            Console.Error.WriteLine($"argos-initramfs: {e.Message}");
            Console.Error.WriteLine($"argos-initramfs: fix: {e.Hint}");
            return e.ExitCode;
        }
    }
}
