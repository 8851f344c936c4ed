using System.CommandLine;
using System.Text.Json;

namespace Argos.Cli;

/// <summary>
/// Which members make up the pool a command works on: `--images a,b,c`, `--devices /dev/x,...`,
/// `--pool-config FILE` (JSON: backend, images[], devices[], pool) or `--pool NAME|UUID` alone, which
/// scans the machine's block devices. `--backend loop|raw` is accepted for ArgosFS scripts: the bytes
/// of a member are the same either way, so it only checks that the paths fit.
/// </summary>
public sealed class PoolSelector
{
    public Option<string[]> Images { get; } = new("--images")
    {
        Description = "Member image files, comma-separated (the loop backend)",
        CustomParser = r => SplitList(r.Tokens.Select(t => t.Value)),
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string[]> Devices { get; } = new("--devices")
    {
        Description = "Member block devices or partitions, comma-separated (the raw backend)",
        CustomParser = r => SplitList(r.Tokens.Select(t => t.Value)),
    };

    public Option<string?> PoolConfig { get; } = new("--pool-config")
    {
        Description = "JSON file naming the members: {\"images\": [...]} or {\"devices\": [...]}, optional \"pool\"",
    };

    public Option<string?> Pool { get; } = new("--pool")
    {
        Description = "Pool name or UUID; alone, its members are found by scanning block devices",
    };

    public Option<string?> Backend { get; } = new("--backend")
    {
        Description = "loop|raw (accepted for ArgosFS compatibility; members are identical either way)",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Images);
        command.Options.Add(Devices);
        command.Options.Add(PoolConfig);
        command.Options.Add(Pool);
        command.Options.Add(Backend);
    }

    /// <summary>The member paths and the pool identity they must have (null when any).</summary>
    public sealed record Selection(IReadOnlyList<string> Paths, string? ExpectedPool, bool FromScan);

    /// <param name="scanForPool">Finds the members of a named pool among the machine's block devices.</param>
    public Selection Resolve(ParseResult result, Func<string, IReadOnlyList<string>>? scanForPool = null, bool required = true)
    {
        var images = result.GetValue(Images) ?? [];
        var devices = result.GetValue(Devices) ?? [];
        var config = result.GetValue(PoolConfig);
        var pool = result.GetValue(Pool);
        var backend = result.GetValue(Backend)?.ToLowerInvariant();

        if (backend is not null and not ("loop" or "loop-block" or "loopblock" or "raw" or "raw-block" or "rawblock"))
        {
            throw new UsageException($"--backend '{backend}' is not known; use loop (image files) or raw (block devices)");
        }
        if (images.Length > 0 && devices.Length > 0)
        {
            throw new UsageException("--images and --devices name the members twice; use one of them");
        }

        var paths = images.Length > 0 ? images : devices;
        if (config is not null)
        {
            if (paths.Length > 0)
            {
                throw new UsageException("--pool-config and --images/--devices name the members twice; use one of them");
            }
            (paths, var configPool) = ReadConfig(config);
            pool ??= configPool;
        }

        if (paths.Length == 0 && pool is not null)
        {
            if (scanForPool is null)
            {
                throw new UsageException("this command needs the members named with --images or --devices");
            }
            var found = scanForPool(pool);
            if (found.Count == 0)
            {
                throw new UsageException($"no member of pool '{pool}' was found on this machine's block devices; name them with --devices");
            }
            return new Selection(found, pool, FromScan: true);
        }
        if (paths.Length == 0 && required)
        {
            throw new UsageException("no pool members given; pass --images a.img,b.img,... or --devices /dev/x,... (or --pool-config FILE, or --pool NAME)");
        }
        return new Selection(paths, pool, FromScan: false);
    }

    private static (string[] Paths, string? Pool) ReadConfig(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"--pool-config {file}: {e.Message}");
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new UsageException($"--pool-config {file}: expected a JSON object like {{\"images\": [\"a.img\"]}}");
            }
            var baseDir = Path.GetDirectoryName(Path.GetFullPath(file))!;
            var paths = new List<string>();
            string? pool = null;
            foreach (var prop in root.EnumerateObject())
            {
                switch (prop.Name)
                {
                    case "images" or "devices" or "members":
                        foreach (var item in prop.Value.EnumerateArray())
                        {
                            var p = item.GetString() ?? throw new UsageException($"--pool-config {file}: {prop.Name} holds a non-string");
                            paths.Add(Path.IsPathRooted(p) ? p : Path.GetFullPath(Path.Combine(baseDir, p)));
                        }
                        break;
                    case "pool" or "pool_uuid" or "pool_name":
                        pool ??= prop.Value.GetString();
                        break;
                    case "backend" or "k" or "m" or "compression" or "chunk_size" or "image_size" or "layout":
                        break;
                    default:
                        throw new UsageException($"--pool-config {file}: unknown field '{prop.Name}'; expected images, devices, pool, backend");
                }
            }
            return (paths.ToArray(), pool);
        }
        catch (JsonException e)
        {
            throw new UsageException($"--pool-config {file}: not valid JSON ({e.Message})");
        }
    }

    public static string[] SplitList(IEnumerable<string> tokens) =>
        tokens.SelectMany(t => t.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
}
