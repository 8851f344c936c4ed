using System.Reflection;

namespace Argos.Initramfs.Templates;

/// <summary>
/// Where the boot-glue templates come from. A template is named by a key relative to the templates
/// root, e.g. "dracut/90argosfs/module-setup.sh". The root is, in order: the --templates directory;
/// the repository the tool runs from (found by walking up from the executable until dracut/90argosfs
/// exists); the copies embedded in the assembly at build time. The builtin flavour's files live in
/// src/argos-initramfs/builtin and are named "builtin/...".
/// </summary>
public sealed class TemplateStore
{
    private const string BuiltinRepoDir = "src/argos-initramfs";
    private readonly string? _root;
    private readonly Assembly _assembly = typeof(TemplateStore).Assembly;

    private TemplateStore(string? root) => _root = root;

    /// <summary>Description of where templates are read from, for messages.</summary>
    public string Origin => _root ?? "embedded copies";

    public static TemplateStore Open(string? templatesDir)
    {
        if (templatesDir is not null)
        {
            if (!Directory.Exists(Path.Combine(templatesDir, "dracut")))
            {
                throw new ToolException($"--templates {templatesDir}: no dracut/ directory there",
                    "point --templates at the directory holding dracut/, mkinitcpio/, systemd/ (the repository root)");
            }
            return new TemplateStore(Path.GetFullPath(templatesDir));
        }
        return new TemplateStore(FindRepoRoot(AppContext.BaseDirectory));
    }

    /// <summary>Embedded templates only (what an installed tool without the repository uses).</summary>
    public static TemplateStore Embedded() => new(null);

    public static string? FindRepoRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
        {
            if (Directory.Exists(Path.Combine(dir.FullName, "dracut", "90argosfs")) &&
                Directory.Exists(Path.Combine(dir.FullName, "systemd")))
            {
                return dir.FullName;
            }
        }
        return null;
    }

    /// <summary>The template keys under a folder ("dracut/90argosfs", "systemd", ...), sorted.</summary>
    public IReadOnlyList<string> List(string folder)
    {
        folder = folder.TrimEnd('/');
        if (_root is not null)
        {
            var dir = PathOf(folder);
            if (!Directory.Exists(dir))
            {
                throw new ToolException($"template folder {dir} does not exist", "check --templates or the repository checkout");
            }
            return Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                .Select(f => folder + "/" + Path.GetRelativePath(dir, f).Replace('\\', '/'))
                .Where(k => !k.EndsWith('~'))
                .Order(StringComparer.Ordinal)
                .ToList();
        }
        var prefix = ResourcePrefix + folder + "/";
        return _assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public string Read(string key)
    {
        if (_root is not null)
        {
            var path = PathOf(key);
            if (!File.Exists(path))
            {
                throw new ToolException($"template {path} is missing", "check --templates or the repository checkout");
            }
            return File.ReadAllText(path);
        }
        using var stream = _assembly.GetManifestResourceStream(ResourcePrefix + key)
            ?? throw new ToolException($"embedded template {key} is missing", "rebuild argos-initramfs, or pass --templates DIR");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>Logical names of embedded resources: "tpl/" + key (set in the csproj).</summary>
    public const string ResourcePrefix = "tpl/";

    private string PathOf(string key)
    {
        var relative = key.StartsWith("builtin/", StringComparison.Ordinal) || key == "builtin"
            ? Path.Combine(BuiltinRepoDir, key)
            : key;
        return Path.Combine(_root!, relative);
    }
}
