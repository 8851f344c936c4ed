namespace Argos.Initramfs.Templates;

/// <summary>One generated file: where it goes (relative to the output directory), its text, its mode.</summary>
public sealed record GeneratedFile(string RelativePath, string Text, UnixFileMode Mode);

/// <summary>
/// Renders the template sets into installable directories:
///   dracut-module    OUT/90argosfs/            (module-setup.sh, hooks, lib, mount helper)
///   mkinitcpio-hooks OUT/install/argosfs, OUT/install/sd-argosfs, OUT/hooks/argosfs, plus the shared
///                    files the install hooks add (argosfs-lib.sh, argos-pivot-shutdown,
///                    mount.fuse.argosfs, argosfs-initrd-keep.service)
///   systemd-units    OUT/*.service, *.timer and their helper scripts
/// A file starting with "#!" is executable (0755), anything else 0644.
/// </summary>
public sealed class GlueGenerator(TemplateStore store, TemplateModel model)
{
    private readonly TemplateRenderer _renderer = new(model);

    public const string DracutModuleDir = "90argosfs";
    public const string LibKey = "dracut/90argosfs/argosfs-lib.sh";
    public const string PivotShutdownKey = "dracut/90argosfs/argos-pivot-shutdown";
    public const string MountHelperKey = "dracut/90argosfs/mount.fuse.argosfs";
    public const string InitrdKeepUnitKey = "systemd/argosfs-initrd-keep.service";

    public IReadOnlyList<GeneratedFile> DracutModule() =>
        store.List("dracut/" + DracutModuleDir).Select(k => RenderAs(k, DracutModuleDir + "/" + Path.GetFileName(k))).ToList();

    public IReadOnlyList<GeneratedFile> MkinitcpioHooks()
    {
        var files = store.List("mkinitcpio").Select(k => RenderAs(k, k["mkinitcpio/".Length..])).ToList();
        foreach (var shared in new[] { LibKey, PivotShutdownKey, MountHelperKey, InitrdKeepUnitKey })
        {
            files.Add(RenderAs(shared, Path.GetFileName(shared)));
        }
        return files;
    }

    public IReadOnlyList<GeneratedFile> SystemdUnits() =>
        store.List("systemd").Select(k => RenderAs(k, Path.GetFileName(k))).ToList();

    public GeneratedFile RenderAs(string key, string relativePath)
    {
        var text = _renderer.Render(key, store.Read(key));
        var mode = text.StartsWith("#!", StringComparison.Ordinal) ? Executable : Regular;
        return new GeneratedFile(relativePath, text, mode);
    }

    public const UnixFileMode Regular = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    public const UnixFileMode Executable = Regular | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute;

    public static void WriteAll(IEnumerable<GeneratedFile> files, string outDir)
    {
        foreach (var file in files)
        {
            var path = Path.Combine(outDir, file.RelativePath);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, file.Text);
            File.SetUnixFileMode(path, file.Mode);
        }
    }
}
