using System.Xml.Linq;
using Xunit;

namespace Argos.Architecture.Tests;

/// <summary>
/// STYLE.md "The shape of the house": layers point down only, and Fuse never meets Volume except in the Cli.
/// Checks every project's references, and that no source file of a layer names a namespace it cannot see.
/// </summary>
public sealed class LayeringTests
{
    // What each layer may reference, directly or transitively.
    private static readonly Dictionary<string, string[]> s_allowed = new()
    {
        ["Platform"] = [],
        ["Format"] = ["Platform"],
        ["Storage"] = ["Format", "Platform"],
        ["Erasure"] = [],
        ["DataPath"] = ["Erasure", "Storage", "Format", "Platform"],
        ["Metadata"] = ["DataPath", "Erasure", "Storage", "Format", "Platform"],
        ["Volume"] = ["Metadata", "DataPath", "Erasure", "Storage", "Format", "Platform"],
        ["Health"] = ["Volume", "Metadata", "DataPath", "Erasure", "Storage", "Format", "Platform"],
        ["Fuse"] = ["Platform"],
        ["Cli"] = ["Health", "Volume", "Metadata", "DataPath", "Erasure", "Storage", "Format", "Platform", "Fuse"],
    };

    public static TheoryData<string> Layers() => new(s_allowed.Keys);

    [Theory]
    [MemberData(nameof(Layers))]
    public void ProjectReferences_PointDownOnly(string layer)
    {
        var closure = ReferenceClosure(layer);
        var forbidden = closure.Except(s_allowed[layer]).ToList();
        Assert.True(forbidden.Count == 0, $"Argos.{layer} references {string.Join(", ", forbidden)}, which sit above it or beside it");
    }

    [Theory]
    [MemberData(nameof(Layers))]
    public void SourceFiles_NameOnlyVisibleNamespaces(string layer)
    {
        var dir = Path.Combine(RepoRoot(), "src", "argosfs", $"Argos.{layer}");
        var invisible = s_allowed.Keys.Where(l => l != layer && !s_allowed[layer].Contains(l)).ToList();
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories))
        {
            if (file.Contains("/obj/") || file.Contains("/bin/")) continue;
            var text = File.ReadAllText(file);
            foreach (var other in invisible)
            {
                if (text.Contains($"Argos.{other}.", StringComparison.Ordinal) || text.Contains($"Argos.{other};", StringComparison.Ordinal))
                {
                    offenders.Add($"{Path.GetRelativePath(RepoRoot(), file)} names Argos.{other}");
                }
            }
        }
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
    }

    [Fact]
    public void Fuse_NeverReferencesVolume() =>
        Assert.DoesNotContain("Volume", ReferenceClosure("Fuse"));

    private static HashSet<string> ReferenceClosure(string layer)
    {
        var seen = new HashSet<string>();
        var stack = new Stack<string>(DirectReferences(layer));
        while (stack.Count > 0)
        {
            var next = stack.Pop();
            if (seen.Add(next))
            {
                foreach (var r in DirectReferences(next)) stack.Push(r);
            }
        }
        return seen;
    }

    private static IEnumerable<string> DirectReferences(string layer)
    {
        var csproj = Path.Combine(RepoRoot(), "src", "argosfs", $"Argos.{layer}", $"Argos.{layer}.csproj");
        var doc = XDocument.Load(csproj);
        return doc.Descendants("ProjectReference")
            .Select(e => Path.GetFileNameWithoutExtension(e.Attribute("Include")!.Value))
            .Select(n => n.StartsWith("Argos.", StringComparison.Ordinal) ? n["Argos.".Length..] : n)
            .ToList();
    }

    internal static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Argos.sln")))
        {
            dir = Path.GetDirectoryName(dir);
        }
        return dir ?? throw new InvalidOperationException("Argos.sln not found above " + AppContext.BaseDirectory);
    }
}

/// <summary>STYLE.md: after switch_root nothing may be loaded lazily — no OpenSSL (System.Security.Cryptography
/// goes through it on Linux and crashes a static binary), no ICU.</summary>
public sealed class StaticBinaryTests
{
    [Fact]
    public void ShippedCode_NeverUsesSystemSecurityCryptography()
    {
        var root = Path.Combine(LayeringTests.RepoRoot(), "src", "argosfs");
        var offenders = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/") && !f.Contains("/bin/"))
            .Where(f => File.ReadAllText(f).Contains("System.Security.Cryptography", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(root, f))
            .ToList();
        Assert.True(offenders.Count == 0, "use libsodium (Argos.Platform.Native.Sodium) instead of System.Security.Cryptography in: " + string.Join(", ", offenders));
    }
}
