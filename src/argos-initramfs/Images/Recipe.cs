using System.Text.Json;
using System.Text.Json.Serialization;

namespace Argos.Initramfs.Images;

/// <summary>An image recipe (images/NAME.json): how to build a root tree and the pool that holds it.</summary>
public sealed record Recipe
{
    public required string Name { get; init; }
    public string Description { get; init; } = "";
    /// <summary>"busybox" (Debian's busybox-static and our files) or "debootstrap".</summary>
    public required string Kind { get; init; }
    public string Busybox { get; init; } = "/bin/busybox";
    public string Suite { get; init; } = "bookworm";
    public string Variant { get; init; } = "minbase";
    public IReadOnlyList<string> Include { get; init; } = [];
    public IReadOnlyList<string> Directories { get; init; } = [];
    public IReadOnlyList<RecipeFile> Files { get; init; } = [];
    public IReadOnlyList<RecipeText> Text { get; init; } = [];
    public IReadOnlyList<RecipeSymlink> Symlinks { get; init; } = [];
    /// <summary>Shell commands run in the tree with chroot (debootstrap recipes).</summary>
    public IReadOnlyList<string> Commands { get; init; } = [];
    /// <summary>Install /usr/sbin/argosfs and the booted system's units (root check, scrub timer,
    /// autopilot), enabled: what a distribution package of Argos would put in the root.</summary>
    public bool InstallArgosfs { get; init; }
    public RecipePool Pool { get; init; } = new();

    /// <summary>The directory the recipe was read from: file sources are relative to it.</summary>
    [JsonIgnore] public string BaseDir { get; init; } = ".";

    private static readonly JsonSerializerOptions s_options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    public static Recipe Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new ToolException($"recipe {path} does not exist", "recipes live in images/ (busybox.json, debian-minbase.json)");
        }
        Recipe? recipe;
        try
        {
            recipe = JsonSerializer.Deserialize<Recipe>(File.ReadAllText(path), s_options);
        }
        catch (JsonException e)
        {
            throw new ToolException($"recipe {path}: {e.Message}", "fix the JSON; see images/busybox.json for the fields");
        }
        if (recipe is null)
        {
            throw new ToolException($"recipe {path} is empty", "see images/busybox.json for the fields");
        }
        recipe = recipe with { BaseDir = Path.GetDirectoryName(Path.GetFullPath(path))! };
        recipe.Validate(path);
        return recipe;
    }

    public void Validate(string path)
    {
        if (Kind is not ("busybox" or "debootstrap"))
        {
            throw new ToolException($"recipe {path}: kind '{Kind}' is not known", "use \"busybox\" or \"debootstrap\"");
        }
        foreach (var target in Files.Select(f => f.Target).Concat(Text.Select(t => t.Target)).Concat(Symlinks.Select(s => s.Target)).Concat(Directories))
        {
            if (!target.StartsWith('/') || target.Split('/').Contains(".."))
            {
                throw new ToolException($"recipe {path}: target '{target}' must be an absolute path without '..'", "write targets as /etc/...");
            }
        }
        Pool.Validate(path);
    }
}

public sealed record RecipeFile(string Source, string Target, string Mode = "0644");
public sealed record RecipeText(string Target, string Content, string Mode = "0644");
public sealed record RecipeSymlink(string Target, string PointsTo);

public sealed record RecipePool
{
    public string Name { get; init; } = "argos-root";
    public int Members { get; init; } = 3;
    public int K { get; init; } = 2;
    public int M { get; init; } = 1;
    public string ImageSize { get; init; } = "256MiB";
    public string Compression { get; init; } = "zstd";

    public void Validate(string path)
    {
        if (K < 1 || M < 0 || K + M != Members)
        {
            throw new ToolException($"recipe {path}: pool k={K} m={M} does not match members={Members}", "members must equal k + m (the default is 3 = 2 + 1)");
        }
    }
}
