using System.Text.Json;

namespace Argos.Initramfs.Tools;

/// <summary>The argosfs CLI as the boot toolkit uses it (mkfs, import-tree, inspect-pool).</summary>
public sealed class ArgosfsTool(string path)
{
    public string Path { get; } = path;

    /// <summary>--argosfs PATH, else artifacts/bin/argosfs of the repository, else argosfs in PATH.</summary>
    public static string Locate(string? explicitPath, string? repoRoot)
    {
        if (explicitPath is not null)
        {
            return System.IO.Path.GetFullPath(explicitPath);
        }
        if (repoRoot is not null)
        {
            var built = System.IO.Path.Combine(repoRoot, "artifacts", "bin", "argosfs");
            if (File.Exists(built))
            {
                return built;
            }
        }
        return ProcessRunner.Which("argosfs") ?? System.IO.Path.Combine(repoRoot ?? ".", "artifacts", "bin", "argosfs");
    }

    public void Require()
    {
        if (!File.Exists(Path))
        {
            throw new ToolException($"argosfs binary {Path} does not exist", "build it first (make argosfs gives artifacts/bin/argosfs) or pass --argosfs PATH");
        }
    }

    public void Mkfs(IReadOnlyList<string> images, string imageSize, int k, int m, string poolName, string compression) =>
        ProcessRunner.Check(Path, ["mkfs", "--images", string.Join(',', images), "--image-size", imageSize, "--k", k.ToString(), "--m", m.ToString(),
            "--pool-name", poolName, "--compression", compression, "--force"], "see the argosfs message above");

    public void ImportTree(IReadOnlyList<string> images, string source) =>
        ProcessRunner.Check(Path, ["import-tree", "--images", string.Join(',', images), source, "/"], "see the argosfs message above");

    public JsonDocument InspectPool(IReadOnlyList<string> images)
    {
        var result = ProcessRunner.Check(Path, ["inspect-pool", "--images", string.Join(',', images), "--json"], "see the argosfs message above");
        try
        {
            return JsonDocument.Parse(result.StdOut);
        }
        catch (JsonException e)
        {
            throw new ToolException($"argosfs inspect-pool printed no JSON ({e.Message})", "check that the argosfs binary matches this toolkit");
        }
    }
}
