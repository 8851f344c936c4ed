using System.CommandLine;
using System.Text.Json.Nodes;
using Argos.Cli.Control;
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
            using (var daemon = MountControlClient.TryConnect(r, sel))
            {
                if (daemon is not null)
                {
                    if (r.GetValue(removeOrphans))
                    {
                        throw new UsageException("the pool is mounted: --remove-orphans needs it unmounted (open, unlinked files are orphans too); unmount it first");
                    }
                    var remote = daemon.Call(new JsonObject { ["op"] = "fsck", ["full"] = r.GetValue(full), ["repair"] = r.GetValue(repair) }).AsObject();
                    Print(r, "fsck", remote);
                    return remote["ok"]!.GetValue<bool>() ? ExitCodes.Success : ExitCodes.Failure;
                }
            }
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
            var lastPercent = -1L;
            Action<long, long>? progress = json ? null : (done, total) =>
            {
                var percent = total == 0 ? 100 : done * 100 / total;
                if (percent / 10 != lastPercent / 10)
                {
                    lastPercent = percent;
                    Console.Error.WriteLine($"scrub: {done}/{total} stripes ({percent}%)");
                }
            };
            using (var daemon = MountControlClient.TryConnect(r, sel))
            {
                if (daemon is not null)
                {
                    var remote = daemon.Call(new JsonObject { ["op"] = "scrub", ["max_bytes_per_sec"] = bytesPerSecond }, progress).AsObject();
                    Print(r, "scrub", remote);
                    return remote["ok"]!.GetValue<bool>() ? ExitCodes.Success : ExitCodes.Failure;
                }
            }
            using var volume = VolumeFactory.Open(r, sel, readOnly: false);
            var report = volume.Scrub(bytesPerSecond, progress);
            Print(r, "scrub", report);
            return report.Ok ? ExitCodes.Success : ExitCodes.Failure;
        });
        return cmd;
    }

    private static void Print(ParseResult r, string what, FsckReport report) => Print(r, what, ToJson(report));

    /// <summary>Prints a report from its JSON form: the same text whether fsck ran here or in a mount daemon.</summary>
    private static void Print(ParseResult r, string what, JsonObject report)
    {
        if (r.GetValue(Program.JsonOption))
        {
            Output.Json(report);
            return;
        }
        long L(string name) => report[name]?.GetValue<long>() ?? 0;
        var full = report["mode"]?.GetValue<string>() == "full";
        var found = new List<string>();
        if (L("corrupt_shards") > 0) found.Add($"{L("corrupt_shards")} corrupt shards");
        if (L("missing_shards") > 0) found.Add($"{L("missing_shards")} missing shards");
        if (L("leaked_extents") > 0) found.Add($"{L("leaked_extents")} leaked extents ({ByteSize.Format((ulong)L("leaked_bytes"))})");
        if (L("orphans") > 0) found.Add($"{L("orphans")} orphans");
        var issues = report["issues"]?.AsArray() ?? [];
        var errors = issues.Count(i => i?["severity"]?.GetValue<string>() == "error");
        if (errors > 0 && found.Count == 0) found.Add($"{errors} problems");
        Output.Line($"{what}: {L("checked_inodes")} inodes, {L("checked_stripes")} stripes ({L("checked_shards")} shards), {(full ? "full" : "metadata only")}" +
                    (full ? $", {ByteSize.Format((ulong)L("bytes_verified"))} verified" : "") +
                    $" in {L("elapsed_ms") / 1000.0:0.00} s: " +
                    (found.Count == 0 ? "clean" : string.Join(", ", found)) +
                    (L("repaired_shards") > 0 ? $"; repaired {L("repaired_shards")} shards" : "") +
                    (L("freed_leaked_extents") > 0 ? $"; freed {L("freed_leaked_extents")} leaked extents" : "") +
                    (L("removed_orphans") > 0 ? $"; removed {L("removed_orphans")} orphans" : "") +
                    (report["via"] is { } via ? $" (through the {via})" : ""));
        foreach (var issue in issues)
        {
            var where = issue?["path"]?.GetValue<string>() ?? (issue?["inode"] is { } ino ? $"inode {ino}" : "pool");
            var repaired = issue?["repaired"]?.GetValue<bool>() == true;
            Output.Line($"  {issue?["severity"]} {issue?["kind"]} {where}: {issue?["message"]}{(repaired ? " [repaired]" : "")}");
        }
        foreach (var u in report["unrecoverable"]?.AsArray() ?? [])
        {
            var where = u?["path"]?.GetValue<string>() ?? $"inode {u?["inode"]}";
            Output.Line($"  UNRECOVERABLE {where}{(u?["stripe"] is { } st ? $" stripe {st}" : "")}: {u?["reason"]}");
        }
        if (report["member_errors"] is JsonObject memberErrors && memberErrors.Count > 0)
        {
            Output.Line("  shard errors per member: " + string.Join(", ", memberErrors.Select(x => $"member {x.Key}: {x.Value}")));
        }
        if (report["ok"]?.GetValue<bool>() != true && report["repair"]?.GetValue<bool>() != true && errors > 0)
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
