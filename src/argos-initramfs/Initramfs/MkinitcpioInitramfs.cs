using Argos.Initramfs.Templates;
using Argos.Initramfs.Tools;

namespace Argos.Initramfs.Initramfs;

/// <summary>
/// The mkinitcpio flavour: runs mkinitcpio, when it is installed, with our hooks in an extra hook
/// directory (-D) and a generated config: HOOKS=(base udev block argosfs) or, with --systemd,
/// (base systemd block sd-argosfs); COMPRESSION=cat. mkinitcpio is not packaged in Debian.
/// </summary>
public sealed class MkinitcpioInitramfs(TemplateStore store, TemplateModel model)
{
    public required KernelTree Kernel { get; init; }
    public required string ArgosfsPath { get; init; }
    public bool Systemd { get; init; }

    public static string? Find() => ProcessRunner.Which("mkinitcpio");

    public void Write(string outFile)
    {
        var mkinitcpio = Find() ?? throw new ToolException("mkinitcpio is not installed on this machine (Debian does not package it)",
            "install it from its source tree (make install), or use --flavor builtin or --flavor dracut");
        Boot.ElfInfo.RequireStatic(ArgosfsPath, "argosfs");
        var scratch = Directory.CreateTempSubdirectory("argos-mkinitcpio-");
        try
        {
            var hooksDir = scratch.FullName;
            GlueGenerator.WriteAll(new GlueGenerator(store, model with { LibSource = hooksDir, ArgosfsSource = Path.GetFullPath(ArgosfsPath) }).MkinitcpioHooks(), hooksDir);
            var config = Path.Combine(scratch.FullName, "mkinitcpio.conf");
            File.WriteAllText(config,
                $"MODULES=({string.Join(' ', KernelModules.Required)})\nBINARIES=()\nFILES=()\n" +
                (Systemd ? "HOOKS=(base systemd block sd-argosfs)\n" : "HOOKS=(base udev block argosfs)\n") +
                "COMPRESSION=cat\n");
            ProcessRunner.Check(mkinitcpio, ["-c", config, "-D", hooksDir + ":/etc/initcpio:/usr/lib/initcpio", "-r", Kernel.ModRoot, "-k", Kernel.Version, "-g", Path.GetFullPath(outFile)],
                "the messages above name the missing piece");
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }
}
