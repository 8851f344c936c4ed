using System.Diagnostics;
using Xunit;
using Xunit.Abstractions;

namespace Argos.Fsx.Tests;

/// <summary>
/// The randomized operation-sequence test of issue 5: a seeded generator drives a real `argosfs mount` of a
/// 2+1 zstd pool and a reference directory on the host filesystem with the same operations, the trees are
/// compared after every batch, the pool is remounted halfway (what the daemon held must have persisted),
/// and at the end it is unmounted and `argosfs fsck --full` must find it clean. A failure names the seed,
/// the operation and the tail of the operation log; ARGOS_FSX_SEED=N ARGOS_FSX_OPS=M replays one seed.
/// </summary>
[Trait("Requires", "root")]
[Collection(ArgosMountCollection.Name)]
public sealed class FsxTests(ITestOutputHelper output)
{
    private const int Batch = 25;

    public static TheoryData<int, int> Seeds()
    {
        var data = new TheoryData<int, int>();
        if (Environment.GetEnvironmentVariable("ARGOS_FSX_SEED") is { } seed)
        {
            data.Add(int.Parse(seed), int.Parse(Environment.GetEnvironmentVariable("ARGOS_FSX_OPS") ?? "1000"));
            return data;
        }
        foreach (var s in new[] { 1, 2, 3, 4 }) data.Add(s, 800);
        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void RandomOperations_MatchTheReferenceTree_AcrossARemount(int seed, int operations) => Run(seed, operations);

    /// <summary>The same with -o writeback_cache: dirty pages, mtime and size wait in the kernel, and reach the daemon by writeback, fsync or close.</summary>
    [Theory]
    [InlineData(5, 800)]
    [InlineData(6, 800)]
    public void RandomOperations_UnderAWritebackCache_MatchTheReferenceTree_AcrossARemount(int seed, int operations) =>
        Run(seed, operations, "-o", "writeback_cache");

    private void Run(int seed, int operations, params string[] mountArgs)
    {
        using var pool = new ArgosPool($"fsx{seed}", 512L << 20, mountArgs);
        var reference = Path.Combine(pool.Root, "ref");
        Directory.CreateDirectory(reference);
        pool.Mount();
        var run = new FsxRun(seed, reference, pool.MountPoint);
        var clock = Stopwatch.StartNew();
        try
        {
            for (var i = 1; i <= operations; i++)
            {
                run.Step();
                if (i % Batch == 0) Compare(run, pool, reference, $"after operation {i}");
                if (i == operations / 2)
                {
                    pool.Remount();
                    Compare(run, pool, reference, $"after the remount at operation {i}");
                }
            }
            pool.Remount();
            Compare(run, pool, reference, "after the final remount");
            pool.Unmount();
            var fsck = pool.FsckFull();
            if (fsck.ExitCode != 0) throw new FsxMismatchException($"fsck --full after {operations} operations is not clean: {fsck}");
        }
        catch (Exception e) when (e is FsxMismatchException or InvalidOperationException or IOException or TimeoutException)
        {
            var message = $"fsx seed {seed} (replay: ARGOS_FSX_SEED={seed} ARGOS_FSX_OPS={operations}) failed at operation {run.OperationCount}: "
                + $"{e.Message}\nlast operations:\n{run.LogTail(30)}\ndaemon log tail:\n{Tail(pool.DaemonLog(), 20)}";
            output.WriteLine(message);
            throw new Xunit.Sdk.XunitException(message);
        }
        output.WriteLine($"seed {seed}: {operations} operations, two remounts, fsck clean in {clock.Elapsed.TotalSeconds:F1} s; "
            + $"{TreeSnapshot.Take(reference).Count} entries at the end; outcomes: {run.Summary()}");
    }

    private static void Compare(FsxRun run, ArgosPool pool, string reference, string when)
    {
        var diff = TreeSnapshot.Diff(TreeSnapshot.Take(reference), TreeSnapshot.Take(pool.MountPoint));
        if (diff.Count > 0)
        {
            throw new FsxMismatchException($"the trees differ {when} ({diff.Count} paths):\n{string.Join("\n", diff.Take(20))}");
        }
    }

    private static string Tail(string text, int lines) =>
        string.Join("\n", text.Split('\n').TakeLast(lines));
}

/// <summary>The mounted tests share two cores with everything else: they run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class ArgosMountCollection
{
    public const string Name = "argos mounts";
}
