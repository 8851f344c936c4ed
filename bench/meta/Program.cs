// bench-meta: does a metadata commit cost O(change)? Grows one pool to 1k, 100k and 1M inodes through
// the library API (batched transactions, as import-tree does), and at each size times a small durable
// change — one file created and committed to every member — many times. Writes
// artifacts/bench/meta.json: [{"inodes": N, "commit_us_median": X, "rss_mib": Y}].
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
var images = Enumerable.Range(0, 3).Select(i => Path.Combine(dir, $"m{i}.img")).ToList();
var rows = new List<string>();
try
{
    ArgosVolume.Create(images, new VolumeCreateOptions { K = 2, M = 1, PoolName = "bench-meta", ImageSizeBytes = 6L << 30 });
    using var volume = ArgosVolume.Open(images);
    var ns = volume.Namespace;
    var root = Credentials.Root;
    var population = 1; // the root
    var directory = 0;
    InodeId currentDir = InodeId.Root;
    var probe = volume.Mutate(tx => ns.Mkdir(tx, InodeId.Root, "probe"u8, 0x1ED, root)).Ino;
    var buildWatch = Stopwatch.StartNew();
    foreach (var target in sizes)
    {
        // Grow: 1000 entries per directory, 5000 creates per transaction.
        while (population < target)
        {
            var batch = Math.Min(5000, target - population);
            volume.Mutate(tx =>
            {
                for (var i = 0; i < batch; i++)
                {
                    if (population % 1000 == 1)
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
        // Measure: one create + durable commit, then its unlink (keeps the size steady).
        var times = new List<double>(samples);
        for (var i = 0; i < samples; i++)
        {
            var name = Encoding.ASCII.GetBytes($"p{i}");
            var sw = Stopwatch.StartNew();
            volume.Mutate(tx => ns.Create(tx, probe, name, 0x1A4, root), durable: true);
            sw.Stop();
            times.Add(sw.Elapsed.TotalMicroseconds);
            volume.Mutate(tx => ns.Unlink(tx, probe, name), durable: true);
        }
        times.Sort();
        var median = times[times.Count / 2];
        GC.Collect();
        var rss = Process.GetCurrentProcess().WorkingSet64 / (1024.0 * 1024.0);
        var managed = GC.GetTotalMemory(forceFullCollection: true) / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"bench-meta: {population,9} inodes: commit median {median,8:F1} us (p10 {times[times.Count / 10]:F1}, p90 {times[times.Count * 9 / 10]:F1}), rss {rss:F0} MiB, managed {managed:F0} MiB, built in {buildWatch.Elapsed.TotalSeconds:F1} s"));
        rows.Add(string.Create(CultureInfo.InvariantCulture,
            $"{{\"inodes\": {population}, \"commit_us_median\": {median:F1}, \"rss_mib\": {rss:F0}, \"managed_mib\": {managed:F0}, \"samples\": {samples}}}"));
    }
}
finally
{
    Directory.Delete(dir, recursive: true);
}
Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
File.WriteAllText(output, "[\n  " + string.Join(",\n  ", rows) + "\n]\n");
Console.WriteLine($"bench-meta: wrote {output}");
