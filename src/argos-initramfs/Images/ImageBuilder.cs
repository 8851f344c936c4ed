using System.Text.Json;
using System.Text.Json.Nodes;
using Argos.Initramfs.Tools;

namespace Argos.Initramfs.Images;

/// <summary>
/// Builds an image from a recipe into OUT:
///   OUT/tree/                 the root tree (busybox: Debian's busybox-static + applet links + the
///                             recipe's files; debootstrap: debootstrap --variant=minbase, reused
///                             when OUT/tree/.argos-debootstrap matches the package list)
///   OUT/member-N.img          the pool members (argosfs mkfs, default 3 x 2+1 zstd), tree imported
///   OUT/pool.json             pool uuid, name, k, m, members, the kernel command line to boot it
///   OUT/root-ext4.img         with --ext4: the same tree on ext4 (the comparison baseline)
/// </summary>
public sealed class ImageBuilder(Recipe recipe, string outDir)
{
    public bool BuildPool { get; init; } = true;
    public bool BuildExt4 { get; init; }
    public ArgosfsTool? Argosfs { get; init; }
    /// <summary>A directory copied over the tree after the recipe (test hooks, extra files).</summary>
    public string? Overlay { get; init; }
    /// <summary>The rendered systemd units installed when the recipe says installArgosfs.</summary>
    public IReadOnlyList<Templates.GeneratedFile>? SystemdUnits { get; init; }

    public string TreeDir => Path.Combine(outDir, "tree");

    public void Build()
    {
        Directory.CreateDirectory(outDir);
        Log($"building the {recipe.Name} tree in {TreeDir}");
        switch (recipe.Kind)
        {
            case "busybox":
                BuildBusyboxTree();
                break;
            case "debootstrap":
                BuildDebootstrapTree();
                break;
        }
        ApplyRecipeFiles();
        if (recipe.InstallArgosfs)
        {
            InstallArgosfs();
        }
        if (Overlay is not null)
        {
            if (!Directory.Exists(Overlay))
            {
                throw new ToolException($"--overlay {Overlay} is not a directory", "pass a directory whose contents go over the root tree");
            }
            Log($"overlay {Overlay}");
            ProcessRunner.Check("cp", ["-a", "--no-preserve=ownership", Overlay.TrimEnd('/') + "/.", TreeDir], "could not copy the overlay");
        }
        if (BuildExt4)
        {
            var img = Path.Combine(outDir, "root-ext4.img");
            Log($"ext4 baseline image {img}");
            File.Delete(img);
            ProcessRunner.Check("mkfs.ext4", ["-q", "-F", "-L", "argos-ext4", "-d", TreeDir, img, Ext4Size(recipe.Pool.ImageSize)],
                "apt-get install e2fsprogs (mkfs.ext4 -d needs 1.43 or newer)");
        }
        if (BuildPool)
        {
            WritePool();
        }
    }

    private void BuildBusyboxTree()
    {
        if (Directory.Exists(TreeDir))
        {
            Directory.Delete(TreeDir, recursive: true);
        }
        Directory.CreateDirectory(TreeDir);
        Boot.ElfInfo.RequireStatic(recipe.Busybox, "busybox");
        foreach (var d in new[] { "bin", "sbin", "usr/bin", "usr/sbin", "etc", "dev", "proc", "sys", "run", "tmp" })
        {
            Directory.CreateDirectory(Path.Combine(TreeDir, d));
        }
        File.Copy(recipe.Busybox, Path.Combine(TreeDir, "bin/busybox"));
        File.SetUnixFileMode(Path.Combine(TreeDir, "bin/busybox"), Templates.GlueGenerator.Executable);
        var list = ProcessRunner.Check(recipe.Busybox, ["--list-full"], "use Debian's busybox-static");
        foreach (var applet in list.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (applet is "sbin/init" or "linuxrc" or "bin/busybox" || applet.Contains(".."))
            {
                continue;
            }
            var link = Path.Combine(TreeDir, applet);
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            if (!File.Exists(link))
            {
                File.CreateSymbolicLink(link, "/bin/busybox");
            }
        }
    }

    private void BuildDebootstrapTree()
    {
        var stamp = Path.Combine(TreeDir, ".argos-debootstrap");
        var want = $"{recipe.Suite} {recipe.Variant} {string.Join(',', recipe.Include)}";
        if (File.Exists(stamp) && File.ReadAllText(stamp).Trim() == want)
        {
            Log("debootstrap tree is up to date; reusing it");
            return;
        }
        if (Directory.Exists(TreeDir))
        {
            Directory.Delete(TreeDir, recursive: true);
        }
        var debootstrap = ProcessRunner.Which("debootstrap") ?? throw new ToolException("debootstrap is not installed", "apt-get install debootstrap");
        var mirror = AptMirror() ?? throw new ToolException("no Debian mirror found in /etc/apt/sources.list(.d)",
            "configure apt with a Debian mirror; debootstrap uses the same one");
        Log($"debootstrap {recipe.Suite} ({recipe.Variant}) from the apt mirror; this downloads about 100 MB the first time");
        var args = new List<string> { $"--variant={recipe.Variant}" };
        if (recipe.Include.Count > 0)
        {
            args.Add("--include=" + string.Join(',', recipe.Include));
        }
        args.AddRange([recipe.Suite, TreeDir, mirror]);
        ProcessRunner.Check(debootstrap, args, "see debootstrap's log in OUT/tree/debootstrap/debootstrap.log", passThrough: !Quiet);
        foreach (var command in recipe.Commands)
        {
            ProcessRunner.Check("chroot", [TreeDir, "/bin/sh", "-c", command], $"the recipe command '{command}' failed in the tree");
        }
        File.WriteAllText(stamp, want + "\n");
    }

    /// <summary>The first Debian URI of apt's sources (deb822 .sources or one-line .list).</summary>
    public static string? AptMirror()
    {
        var files = new List<string>();
        if (File.Exists("/etc/apt/sources.list"))
        {
            files.Add("/etc/apt/sources.list");
        }
        if (Directory.Exists("/etc/apt/sources.list.d"))
        {
            files.AddRange(Directory.GetFiles("/etc/apt/sources.list.d").Where(f => f.EndsWith(".sources") || f.EndsWith(".list")).Order());
        }
        foreach (var file in files)
        {
            foreach (var raw in File.ReadLines(file))
            {
                var line = raw.Trim();
                string? uri = null;
                if (line.StartsWith("URIs:", StringComparison.Ordinal))
                {
                    uri = line[5..].Trim().Split(' ')[0];
                }
                else if (line.StartsWith("deb ", StringComparison.Ordinal))
                {
                    uri = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(p => p.Contains("://"));
                }
                if (uri is not null && uri.TrimEnd('/').EndsWith("/debian", StringComparison.Ordinal))
                {
                    return uri;
                }
            }
        }
        return null;
    }

    private void ApplyRecipeFiles()
    {
        foreach (var d in recipe.Directories)
        {
            Directory.CreateDirectory(Path.Combine(TreeDir, d.TrimStart('/')));
        }
        foreach (var f in recipe.Files)
        {
            var source = Path.Combine(recipe.BaseDir, f.Source);
            if (!File.Exists(source))
            {
                throw new ToolException($"recipe {recipe.Name}: file {source} does not exist", "recipe sources are relative to the recipe file");
            }
            var target = Path.Combine(TreeDir, f.Target.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Delete(target);
            File.Copy(source, target);
            File.SetUnixFileMode(target, ParseMode(f.Mode));
        }
        foreach (var t in recipe.Text)
        {
            var target = Path.Combine(TreeDir, t.Target.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Delete(target);
            File.WriteAllText(target, t.Content);
            File.SetUnixFileMode(target, ParseMode(t.Mode));
        }
        foreach (var s in recipe.Symlinks)
        {
            var target = Path.Combine(TreeDir, s.Target.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            if (File.Exists(target) || new FileInfo(target).LinkTarget is not null)
            {
                File.Delete(target);
            }
            File.CreateSymbolicLink(target, s.PointsTo);
        }
    }

    /// <summary>
    /// The static argosfs at /usr/sbin/argosfs and the booted system's units under
    /// /etc/systemd/system (argosfs-root-check and argosfs-autopilot wanted by multi-user.target,
    /// argosfs-scrub.timer by timers.target; the root-check helper in /usr/lib/argosfs). The initrd
    /// unit (argosfs-initrd-keep) belongs in the initramfs, not here.
    /// </summary>
    private void InstallArgosfs()
    {
        var argosfs = Argosfs ?? throw new InvalidOperationException("Argosfs tool not set");
        var units = SystemdUnits ?? throw new InvalidOperationException("SystemdUnits not set");
        Log($"installing {argosfs.Path} as /usr/sbin/argosfs and the argosfs systemd units");
        var bin = Path.Combine(TreeDir, "usr/sbin/argosfs");
        Directory.CreateDirectory(Path.GetDirectoryName(bin)!);
        File.Copy(argosfs.Path, bin, overwrite: true);
        File.SetUnixFileMode(bin, ParseMode("0755"));
        var wants = new Dictionary<string, string>
        {
            ["argosfs-root-check.service"] = "multi-user.target.wants",
            ["argosfs-autopilot.service"] = "multi-user.target.wants",
            ["argosfs-scrub.timer"] = "timers.target.wants",
        };
        foreach (var unit in units)
        {
            var name = Path.GetFileName(unit.RelativePath);
            if (name == "argosfs-initrd-keep.service")
            {
                continue;
            }
            var target = name.EndsWith(".service", StringComparison.Ordinal) || name.EndsWith(".timer", StringComparison.Ordinal)
                ? Path.Combine(TreeDir, "etc/systemd/system", name)
                : Path.Combine(TreeDir, "usr/lib/argosfs", name);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, unit.Text);
            File.SetUnixFileMode(target, unit.Mode);
            if (wants.TryGetValue(name, out var wantsDir))
            {
                var link = Path.Combine(TreeDir, "etc/systemd/system", wantsDir, name);
                Directory.CreateDirectory(Path.GetDirectoryName(link)!);
                File.Delete(link);
                File.CreateSymbolicLink(link, "/etc/systemd/system/" + name);
            }
        }
    }

    private void WritePool()
    {
        var argosfs = Argosfs ?? throw new InvalidOperationException("Argosfs tool not set");
        argosfs.Require();
        var pool = recipe.Pool;
        var members = Enumerable.Range(0, pool.Members).Select(i => Path.Combine(Path.GetFullPath(outDir), $"member-{i}.img")).ToList();
        Log($"argosfs mkfs: {pool.Members} members {pool.K}+{pool.M}, {pool.ImageSize} each, {pool.Compression}, pool '{pool.Name}'");
        argosfs.Mkfs(members, pool.ImageSize, pool.K, pool.M, pool.Name, pool.Compression);
        Log("argosfs import-tree");
        argosfs.ImportTree(members, TreeDir);
        using var inspect = argosfs.InspectPool(members);
        var root = inspect.RootElement;
        var uuid = root.TryGetProperty("pool_uuid", out var u) ? u.GetString() : null;
        if (string.IsNullOrEmpty(uuid))
        {
            throw new ToolException("argosfs inspect-pool gave no pool_uuid", "check that the argosfs binary matches this toolkit");
        }
        var json = new JsonObject
        {
            ["recipe"] = recipe.Name,
            ["pool_uuid"] = uuid,
            ["pool_name"] = pool.Name,
            ["k"] = pool.K,
            ["m"] = pool.M,
            ["members"] = new JsonArray(members.Select(m => (JsonNode)m).ToArray()),
            ["image_size"] = pool.ImageSize,
            ["compression"] = pool.Compression,
            ["kernel_cmdline"] = $"root=argosfs:UUID={uuid}",
            ["inspect"] = JsonNode.Parse(root.GetRawText()),
        };
        File.WriteAllText(Path.Combine(outDir, "pool.json"), json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Log($"pool {pool.Name} {uuid}: {Path.Combine(outDir, "pool.json")}");
    }

    public static UnixFileMode ParseMode(string mode)
    {
        try
        {
            var value = Convert.ToInt32(mode, 8);
            if (value is < 0 or > 0xFFF)
            {
                throw new FormatException();
            }
            return (UnixFileMode)value;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or OverflowException)
        {
            throw new ToolException($"file mode '{mode}' is not an octal mode", "write modes as \"0644\" or \"0755\"");
        }
    }

    /// <summary>"256MiB" -> "256M", "1GiB" -> "1G" (mkfs.ext4's size units).</summary>
    public static string Ext4Size(string size) => size.Replace("iB", "", StringComparison.Ordinal);

    public static bool Quiet { get; set; }

    private static void Log(string message)
    {
        if (!Quiet)
        {
            Console.Error.WriteLine("image: " + message);
        }
    }
}
