using System.CommandLine;
using System.Text.Json.Nodes;
using Argos.Cli.Parsing;
using Argos.Volume;
using Argos.Volume.Maintenance;

namespace Argos.Cli.Commands;

/// <summary>Checking and healing: fsck, scrub.</summary>
public static class MaintenanceCommands
{
    public static Command Fsck()
    {
        var sel = new PoolSelector();
        var repair = new Option<bool>("--repair")
        {
            Description = "Rebuild missing or corrupt shards onto healthy members (stripe by stripe), free leaked extents, fix link counts",
        };
        var removeOrphans = new Option<bool>("--remove-orphans") { Description = "Free inodes no directory entry reaches from the root" };
        var full = new Option<bool>("--full") { Description = "Also read every shard and verify its checksum (default: metadata only, reads no shard)" };
        var cmd = new Command("fsck", "Check a pool's metadata (and with --full every shard); exit 1 lists what is wrong or could not be repaired");
        sel.AddTo(cmd);
        cmd.Options.Add(repair);
        cmd.Options.Add(removeOrphans);
        cmd.Options.Add(full);
        cmd.SetAction(r =>
        {
            var writes = r.GetValue(repair) || r.GetValue(removeOrphans);
            using var volume = VolumeFactory.Open(r, sel, readOnly: !writes);
            var report = volume.Fsck(new FsckOptions
            {
                Full = r.GetValue(full),
                Repair = r.GetValue(repair),
                RemoveOrphans = r.GetValue(removeOrphans),
            });
            Print(r, "fsck", report);
            return report.Ok ? ExitCodes.Success : ExitCodes.Failure;
        });
        return cmd;
    }

    public static Command Scrub()
    {
        var sel = new PoolSelector();
        var rate = new Option<string?>("--max-bytes-per-sec")
        {
            Description = "Read at most this many shard bytes per second (e.g. 50MiB); default unlimited",
        };
        var cmd = new Command("scrub", "Read and verify every shard, repair what can be repaired, print a summary");
        sel.AddTo(cmd);
        cmd.Options.Add(rate);
        cmd.SetAction(r =>
        {
            long bytesPerSecond = 0;
            if (r.GetValue(rate) is { } text)
            {
                if (!ByteSize.TryParse(text, out var parsed, out var error) || parsed > long.MaxValue)
                {
                    throw new UsageException($"--max-bytes-per-sec {text}: {error}; give a byte count such as 50MiB");
                }
                bytesPerSecond = (long)parsed;
            }
            var json = r.GetValue(Program.JsonOption);
            using var volume = VolumeFactory.Open(r, sel, readOnly: false);
            var lastPercent = -1L;
            var report = volume.Scrub(bytesPerSecond, json ? null : (done, total) =>
            {
                var percent = total == 0 ? 100 : done * 100 / total;
                if (percent / 10 != lastPercent / 10)
                {
                    lastPercent = percent;
                    Console.Error.WriteLine($"scrub: {done}/{total} stripes ({percent}%)");
                }
            });
            Print(r, "scrub", report);
            return report.Ok ? ExitCodes.Success : ExitCodes.Failure;
        });
        return cmd;
    }

    private static void Print(ParseResult r, string what, FsckReport report)
    {
        if (r.GetValue(Program.JsonOption))
        {
            Output.Json(ToJson(report));
            return;
        }
        var mode = report.Full ? "full" : "metadata only";
        var found = new List<string>();
        if (report.CorruptShards > 0) found.Add($"{report.CorruptShards} corrupt shards");
        if (report.MissingShards > 0) found.Add($"{report.MissingShards} missing shards");
        if (report.LeakedExtents > 0) found.Add($"{report.LeakedExtents} leaked extents ({ByteSize.Format((ulong)report.LeakedBytes)})");
        if (report.Orphans > 0) found.Add($"{report.Orphans} orphans");
        var errors = report.Issues.Count(i => i.Severity == FsckSeverity.Error);
        if (errors > 0 && found.Count == 0) found.Add($"{errors} problems");
        Output.Line($"{what}: {report.CheckedInodes} inodes, {report.CheckedStripes} stripes ({report.CheckedShards} shards), {mode}" +
                    (report.Full ? $", {ByteSize.Format((ulong)report.BytesVerified)} verified" : "") +
                    $" in {report.Elapsed.TotalSeconds:0.00} s: " +
                    (found.Count == 0 ? "clean" : string.Join(", ", found)) +
                    (report.RepairedShards > 0 ? $"; repaired {report.RepairedShards} shards" : "") +
                    (report.FreedLeakedExtents > 0 ? $"; freed {report.FreedLeakedExtents} leaked extents" : "") +
                    (report.RemovedOrphans > 0 ? $"; removed {report.RemovedOrphans} orphans" : ""));
        foreach (var issue in report.Issues)
        {
            var where = issue.Path ?? (issue.Inode is { } ino ? $"inode {ino.Value}" : "pool");
            Output.Line($"  {(issue.Severity == FsckSeverity.Error ? "error" : "warning")} {issue.Kind} {where}: {issue.Message}{(issue.Repaired ? " [repaired]" : "")}");
        }
        foreach (var u in report.Unrecoverable)
        {
            Output.Line($"  UNRECOVERABLE {u.Path ?? $"inode {u.Inode.Value}"}{(u.Stripe is { } s ? $" stripe {s}" : "")}: {u.Reason}");
        }
        if (report.MemberErrors.Count > 0)
        {
            Output.Line("  shard errors per member: " + string.Join(", ", report.MemberErrors.Select(x => $"member {x.Key}: {x.Value}")));
        }
        if (!report.Ok && !report.Repair && errors > 0)
        {
            Output.Line($"  run 'argosfs {what} --repair' (fsck) or 'argosfs scrub' to repair what can be repaired");
        }
    }

    internal static JsonObject ToJson(FsckReport report)
    {
        var memberErrors = new JsonObject();
        foreach (var (member, count) in report.MemberErrors)
        {
            memberErrors[member.ToString(System.Globalization.CultureInfo.InvariantCulture)] = count;
        }
        return new JsonObject
        {
            ["ok"] = report.Ok,
            ["mode"] = report.Full ? "full" : "metadata",
            ["repair"] = report.Repair,
            ["checked_inodes"] = report.CheckedInodes,
            ["checked_dirents"] = report.CheckedDirents,
            ["checked_stripes"] = report.CheckedStripes,
            ["checked_snapshots"] = report.CheckedSnapshots,
            ["checked_shards"] = report.CheckedShards,
            ["corrupt_shards"] = report.CorruptShards,
            ["missing_shards"] = report.MissingShards,
            ["repaired_shards"] = report.RepairedShards,
            ["leaked_extents"] = report.LeakedExtents,
            ["leaked_bytes"] = report.LeakedBytes,
            ["freed_leaked_extents"] = report.FreedLeakedExtents,
            ["orphans"] = report.Orphans,
            ["removed_orphans"] = report.RemovedOrphans,
            ["bytes_verified"] = report.BytesVerified,
            ["elapsed_ms"] = (long)report.Elapsed.TotalMilliseconds,
            ["member_errors"] = memberErrors,
            ["unrecoverable"] = new JsonArray(report.Unrecoverable.Select(u => (JsonNode)new JsonObject
            {
                ["inode"] = u.Inode.Value,
                ["path"] = u.Path,
                ["stripe"] = u.Stripe,
                ["reason"] = u.Reason,
            }).ToArray()),
            ["issues"] = new JsonArray(report.Issues.Select(i => (JsonNode)new JsonObject
            {
                ["kind"] = i.Kind,
                ["severity"] = i.Severity == FsckSeverity.Error ? "error" : "warning",
                ["message"] = i.Message,
                ["inode"] = i.Inode?.Value,
                ["path"] = i.Path,
                ["stripe"] = i.Stripe,
                ["repaired"] = i.Repaired,
            }).ToArray()),
        };
    }
}
