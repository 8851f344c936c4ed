using Argos.Storage;

namespace Argos.Cli;

/// <summary>Finds pool members among the machine's block devices (for `--pool NAME` and `scan` without paths).</summary>
public static class BlockDevices
{
    private static readonly string[] s_skipPrefixes = ["ram", "zram", "sr", "fd", "nbd", "dm-"];

    /// <summary>/dev/NAME for every block device and partition in /sys/class/block that has a size.</summary>
    public static IReadOnlyList<string> List()
    {
        const string sys = "/sys/class/block";
        if (!Directory.Exists(sys)) return [];
        var result = new List<string>();
        foreach (var entry in Directory.EnumerateFileSystemEntries(sys).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(entry);
            if (s_skipPrefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal))) continue;
            try
            {
                var sectors = File.ReadAllText(Path.Combine(entry, "size")).Trim();
                if (sectors == "0") continue;
            }
            catch (IOException)
            {
                continue;
            }
            var dev = "/dev/" + name;
            if (File.Exists(dev) || Path.Exists(dev)) result.Add(dev);
        }
        return result;
    }

    /// <summary>The members of the pool named by name or UUID, found by scanning block devices.</summary>
    public static IReadOnlyList<string> FindPool(string pool)
    {
        var matches = MemberScanner.Scan(List())
            .Where(r => r.Valid && (string.Equals(r.PoolName, pool, StringComparison.Ordinal)
                || (Guid.TryParse(pool, out var g) && r.PoolUuid == g)))
            .ToList();
        var uuids = matches.Select(r => r.PoolUuid).Distinct().ToList();
        if (uuids.Count > 1)
        {
            throw new UsageException($"two pools are named '{pool}' ({string.Join(", ", uuids)}); select one by UUID with --pool");
        }
        return matches.Select(r => r.Path).ToList();
    }
}
