// bench-meta: does a metadata commit cost O(change)? Builds one pool per size (1k, 100k and 1M inodes)
// through the library API (batched transactions, as import-tree does), then times a small durable
// change — one file created and committed to every member, then unlinked — on the pools in turn,
// round-robin: sample i of every size is taken back to back, so load from other jobs on a shared
// machine hits every size alike and the ratio between sizes stays meaningful.
// Writes artifacts/bench/meta.json: [{"inodes": N, "commit_us_median": X, "rss_mib": Y}];
// rss_mib is the process RSS right after that size's pool was built (smaller pools still open).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Volume;

var output = args.Length > 0 ? args[0] : "artifacts/bench/meta.json";
var sizes = args.Length > 1 ? args[1].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [1_000, 100_000, 1_000_000];
var samples = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 200;
var dir = Path.Combine(Path.GetTempPath(), "argos-bench-meta-" + Environment.ProcessId);
Directory.CreateDirectory(dir);
var root = Credentials.Root;
var pools = new List<(int Inodes, ArgosVolume Volume, InodeId Probe, double RssMib, double ManagedMib)>();
try
{
    var buildWatch = Stopwatch.StartNew();
    foreach (var target in sizes)
    {
        var images = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"p{target}-m{i}.img")).ToList();
        // Room for the metadata: ~200 bytes per inode of journal/checkpoint, plus the minimum.
        var imageBytes = Math.Max(256L << 20, (long)target * 6 * 1024);
        ArgosVolume.Create(images, new VolumeCreateOptions { K = 2, M = 1, PoolName = "bench-meta", ImageSizeBytes = imageBytes });
        var volume = ArgosVolume.Open(images);
        var ns = volume.Namespace;
        var probe = volume.Mutate(tx => ns.Mkdir(tx, InodeId.Root, "probe"u8, 0x1ED, root)).Ino;
        var population = 2; // the root and the probe directory
        var directory = 0;
        var currentDir = InodeId.Root;
        // Grow: 1000 entries per directory, 5000 creates per transaction.
        while (population < target)
        {
            var batch = Math.Min(5000, target - population);
            volume.Mutate(tx =>
            {
                for (var i = 0; i < batch; i++)
                {
                    if (population % 1000 == 2)
                    {
                        currentDir = ns.Mkdir(tx, InodeId.Root, Encoding.ASCII.GetBytes($"d{directory++:D6}"), 0x1ED, root).Ino;
                    }
                    else
                    {
                        ns.Create(tx, currentDir, Encoding.ASCII.GetBytes($"f{population:D8}"), 0x1A4, root);
                    }
                    population++;
                }
            });
        }
        volume.Sync();
        GC.Collect();
        var rss = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);
        var managed = GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024.0);
        pools.Add(((int)ns.Stats().Inodes, volume, probe, rss, managed));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench-meta: built {ns.Stats().Inodes,9} inodes in {buildWatch.Elapsed.TotalSeconds:F1} s, rss {rss:F0} MiB, managed {managed:F0} MiB"));
        buildWatch.Restart();
    }

    // Measure, interleaved: one create + durable commit per pool per round, then its unlink.
    var times = pools.Select(_ => new List<double>(samples)).ToArray();
    for (var i = 0; i < samples; i++)
    {
        var name = Encoding.ASCII.GetBytes($"p{i}");
        for (var p = 0; p < pools.Count; p++)
        {
            var (_, volume, probe, _, _) = pools[p];
            var ns = volume.Namespace;
            var sw = Stopwatch.StartNew();
            volume.Mutate(tx => ns.Create(tx, probe, name, 0x1A4, root), durable: true);
            sw.Stop();
            times[p].Add(sw.Elapsed.TotalMicroseconds);
            volume.Mutate(tx => ns.Unlink(tx, probe, name), durable: true);
        }
    }
    var rows = new List<string>();
    for (var p = 0; p < pools.Count; p++)
    {
        var t = times[p];
        t.Sort();
        var median = t[t.Count / 2];
        var (inodes, _, _, rss, managed) = pools[p];
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench-meta: {inodes,9} inodes: commit median {median,8:F1} us (p10 {t[t.Count / 10]:F1}, p90 {t[t.Count * 9 / 10]:F1}), rss {rss:F0} MiB, managed {managed:F0} MiB"));
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"{{\"inodes\": {inodes}, \"commit_us_median\": {median:F1}, \"rss_mib\": {rss:F0}, \"managed_mib\": {managed:F0}, \"samples\": {samples}, \"p10_us\": {t[t.Count / 10]:F1}, \"p90_us\": {t[t.Count * 9 / 10]:F1}}}"));
    }
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    File.WriteAllText(output, "[\n  " + string.Join(",\n  ", rows) + "\n]\n");
    Console.WriteLine($"bench-meta: wrote {output}");
}
finally
{
    foreach (var (_, volume, _, _, _) in pools) volume.Dispose();
    Directory.Delete(dir, recursive: true);
}
