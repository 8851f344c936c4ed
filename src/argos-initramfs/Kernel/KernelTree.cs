namespace Argos.Initramfs;

/// <summary>
/// A kernel's modules: ModRoot/lib/modules/Version with a modules.dep (depmod output). --kernel takes
/// a version ("6.1.0-56-amd64": artifacts/kernel/VER from scripts/kernel.sh, then /lib/modules/VER)
/// or a path: a scripts/kernel.sh cache directory (holding modroot/ and version) or a modules
/// directory (.../lib/modules/VER).
/// </summary>
public sealed class KernelTree
{
    public required string Version { get; init; }
    /// <summary>The directory that holds lib/modules/Version (what depmod -b and dracut --kmoddir want the parent of).</summary>
    public required string ModRoot { get; init; }
    public string ModulesDir => Path.Combine(ModRoot, "lib", "modules", Version);

    public static KernelTree Locate(string kernel, string? repoRoot)
    {
        if (kernel.Contains('/') || Directory.Exists(kernel))
        {
            var path = Path.GetFullPath(kernel);
            if (File.Exists(Path.Combine(path, "version")) && Directory.Exists(Path.Combine(path, "modroot")))
            {
                var ver = File.ReadAllText(Path.Combine(path, "version")).Trim();
                return Checked(new KernelTree { Version = ver, ModRoot = Path.Combine(path, "modroot") }, kernel);
            }
            var name = Path.GetFileName(path.TrimEnd('/'));
            var parent = Path.GetDirectoryName(path.TrimEnd('/'));
            if (parent is not null && Path.GetFileName(parent) == "modules" && Path.GetFileName(Path.GetDirectoryName(parent)) == "lib")
            {
                return Checked(new KernelTree { Version = name, ModRoot = Path.GetDirectoryName(Path.GetDirectoryName(parent))! }, kernel);
            }
            throw new ToolException($"--kernel {kernel}: not a kernel cache directory (with modroot/ and version) nor a lib/modules/VERSION directory",
                "run scripts/kernel.sh and pass the directory it prints, or a version such as 6.1.0-56-amd64");
        }
        if (repoRoot is not null)
        {
            var cache = Path.Combine(repoRoot, "artifacts", "kernel", kernel);
            if (Directory.Exists(Path.Combine(cache, "modroot")))
            {
                return Checked(new KernelTree { Version = kernel, ModRoot = Path.Combine(cache, "modroot") }, kernel);
            }
        }
        if (Directory.Exists(Path.Combine("/lib/modules", kernel)))
        {
            return Checked(new KernelTree { Version = kernel, ModRoot = "/" }, kernel);
        }
        throw new ToolException($"--kernel {kernel}: no modules for that version in artifacts/kernel/ or /lib/modules/",
            $"fetch it with scripts/kernel.sh {kernel}");
    }

    private static KernelTree Checked(KernelTree tree, string asked)
    {
        if (!File.Exists(Path.Combine(tree.ModulesDir, "modules.dep")))
        {
            throw new ToolException($"--kernel {asked}: {tree.ModulesDir}/modules.dep is missing",
                $"index the modules first: depmod -b {tree.ModRoot} {tree.Version}");
        }
        return tree;
    }

    /// <summary>Module files (paths relative to ModulesDir) needed for the named modules, dependencies
    /// first. Names compare with '-' and '_' as equal, as modprobe does.</summary>
    public IReadOnlyList<string> Resolve(IEnumerable<string> names)
    {
        var dep = ModuleDeps.Parse(File.ReadAllLines(Path.Combine(ModulesDir, "modules.dep")));
        var builtin = File.Exists(Path.Combine(ModulesDir, "modules.builtin"))
            ? File.ReadAllLines(Path.Combine(ModulesDir, "modules.builtin")).Select(ModuleDeps.NameOf).ToHashSet()
            : [];
        var result = new List<string>();
        foreach (var name in names)
        {
            var key = ModuleDeps.Normalize(name);
            if (builtin.Contains(key))
            {
                continue;
            }
            if (!dep.TryGetValue(key, out var entry))
            {
                throw new ToolException($"kernel {Version} has no module '{name}' (neither in modules.dep nor built in)",
                    "check the module name (modinfo -b MODROOT -k VERSION NAME) or drop it from the list");
            }
            foreach (var file in entry.Dependencies.Reverse().Append(entry.File))
            {
                if (!result.Contains(file))
                {
                    result.Add(file);
                }
            }
        }
        return result;
    }
}

/// <summary>modules.dep: "kernel/fs/fuse/fuse.ko: dep1.ko dep2.ko" per line.</summary>
public static class ModuleDeps
{
    public sealed record Entry(string File, IReadOnlyList<string> Dependencies);

    public static string Normalize(string name) => name.Replace('-', '_');

    /// <summary>"kernel/fs/fuse/fuse.ko.xz" -> "fuse"</summary>
    public static string NameOf(string file)
    {
        var name = Path.GetFileName(file.Trim());
        var ko = name.IndexOf(".ko", StringComparison.Ordinal);
        return Normalize(ko >= 0 ? name[..ko] : name);
    }

    public static Dictionary<string, Entry> Parse(IEnumerable<string> lines)
    {
        var map = new Dictionary<string, Entry>();
        foreach (var line in lines)
        {
            var colon = line.IndexOf(':');
            if (colon <= 0)
            {
                continue;
            }
            var file = line[..colon].Trim();
            var deps = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            map[NameOf(file)] = new Entry(file, deps);
        }
        return map;
    }
}
