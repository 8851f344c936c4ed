using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Argos.Cli.Control;
using Argos.Cli.Parsing;
using Argos.Health;
using Argos.Volume;
using Argos.Volume.Maintenance;

namespace Argos.Cli.Commands;

/// <summary>
/// `argosfs autopilot`: the executor of the Health layer's planner. Each round it reads the pool's
/// state (through the mount daemon's control channel when the pool is mounted, else by opening the
/// members), asks <see cref="AutopilotPlanner"/> what to do, runs the scrub it plans, prints every
/// action, and records the scrub in its state file for the next round.
/// </summary>
public static class AutopilotCommands
{
    public static Command Autopilot()
    {
        var sel = new PoolSelector();
        var once = new Option<bool>("--once") { Description = "Run one round and exit (status 1 when a critical alert remains)" };
        var interval = new Option<string>("--interval") { Description = "Time between rounds: 30s, 15m, 1h, 1d", DefaultValueFactory = _ => "1h" };
        var scrubInterval = new Option<string>("--scrub-interval") { Description = "Scrub at least this often", DefaultValueFactory = _ => "7d" };
        var state = new Option<string?>("--state") { Description = "State file (last scrub); default /var/lib/argosfs/autopilot-<pool-uuid>.json" };
        var cmd = new Command("autopilot", "Watch a pool's health and run the maintenance it needs (scrubs, alerts); through the mount daemon when mounted");
        sel.AddTo(cmd);
        cmd.Options.Add(once); cmd.Options.Add(interval); cmd.Options.Add(scrubInterval); cmd.Options.Add(state);
        cmd.SetAction(r =>
        {
            var every = ParseDuration("--interval", r.GetValue(interval)!);
            var policy = new AutopilotPolicy { ScrubInterval = ParseDuration("--scrub-interval", r.GetValue(scrubInterval)!) };
            while (true)
            {
                var critical = Round(r, sel, policy, r.GetValue(state));
                if (r.GetValue(once))
                {
                    return critical ? ExitCodes.Failure : ExitCodes.Success;
                }
                Thread.Sleep(every);
            }
        });
        return cmd;
    }

    internal static TimeSpan ParseDuration(string option, string text)
    {
        var units = new Dictionary<char, double> { ['s'] = 1, ['m'] = 60, ['h'] = 3600, ['d'] = 86400 };
        if (text.Length >= 2 && units.TryGetValue(text[^1], out var unit)
            && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            return TimeSpan.FromSeconds(n * unit);
        }
        throw new UsageException($"{option} {text}: not a duration; give a number with s, m, h or d, such as 30m or 7d");
    }

    /// <summary>One round; true when a critical alert was raised.</summary>
    private static bool Round(ParseResult r, PoolSelector sel, AutopilotPolicy policy, string? stateOption)
    {
        var json = r.GetValue(Program.JsonOption);
        using var daemon = MountControlClient.TryConnect(r, sel);
        ArgosVolume? volume = daemon is null ? VolumeFactory.Open(r, sel, readOnly: false) : null;
        try
        {
            var status = daemon?.Call(new JsonObject { ["op"] = "status" }).AsObject()
                ?? MountControl.StatusJson(volume!);
            var poolUuid = status["pool_uuid"]!.GetValue<string>();
            var daemonStarted = status["daemon"]?["started_at"]?.GetValue<string>() ?? "";
            var statePath = stateOption ?? $"/var/lib/argosfs/autopilot-{poolUuid}.json";
            var saved = LoadState(statePath);
            // Error counters live in the daemon's memory: a new daemon (a reboot) counts from zero.
            var last = saved.LastScrub is { } s && saved.DaemonStartedAt != daemonStarted ? s with { ShardErrorsSeen = 0 } : saved.LastScrub;
            var snapshot = Snapshot(status, last);
            var actions = AutopilotPlanner.Plan(snapshot, policy);
            var report = new JsonArray();
            var critical = false;
            foreach (var action in actions)
            {
                switch (action)
                {
                    case ScrubAction scrub:
                        Say(json, $"autopilot: scrub: {scrub.Reason}");
                        var result = daemon is not null
                            ? daemon.Call(new JsonObject { ["op"] = "scrub" }).AsObject()
                            : MaintenanceCommands.ToJson(volume!.Scrub());
                        var errorsNow = daemon is not null
                            ? Snapshot(daemon.Call(new JsonObject { ["op"] = "status" }).AsObject(), null).TotalShardErrors
                            : volume!.ShardErrors.Values.Sum();
                        var record = new ScrubRecord(DateTimeOffset.UtcNow, result["ok"]!.GetValue<bool>(),
                            result["corrupt_shards"]!.GetValue<long>(), result["repaired_shards"]!.GetValue<long>(),
                            result["unrecoverable"]!.AsArray().Count, errorsNow);
                        SaveState(statePath, record, daemonStarted, json);
                        Say(json, $"autopilot: scrub done: {result["checked_stripes"]} stripes, {record.CorruptShards} corrupt shards, "
                            + $"{record.RepairedShards} repaired, {record.Unrecoverable} unrecoverable");
                        if (record.Unrecoverable > 0)
                        {
                            critical = true;
                            Say(json, $"autopilot: CRITICAL unrecoverable-stripes: the scrub could not repair {record.Unrecoverable} stripe(s); run 'argosfs fsck --full' to list the files");
                        }
                        report.Add((JsonNode)new JsonObject { ["action"] = "scrub", ["reason"] = scrub.Reason, ["result"] = result.DeepClone() });
                        break;
                    case AlertAction alert:
                        critical |= alert.Severity == AlertSeverity.Critical;
                        Say(json, $"autopilot: {alert.Severity.ToString().ToUpperInvariant()} {alert.Code}: {alert.Message}");
                        report.Add((JsonNode)new JsonObject { ["action"] = "alert", ["severity"] = alert.Severity.ToString().ToLowerInvariant(), ["code"] = alert.Code, ["message"] = alert.Message });
                        break;
                }
            }
            if (actions.Count == 0)
            {
                Say(json, "autopilot: healthy, nothing to do");
            }
            if (json)
            {
                var scores = new JsonObject();
                foreach (var m in snapshot.Members)
                {
                    scores[m.Index.ToString(CultureInfo.InvariantCulture)] = HealthScore.Of(m, policy);
                }
                Output.Json(new JsonObject { ["pool_uuid"] = poolUuid, ["actions"] = report, ["member_scores"] = scores, ["critical"] = critical });
            }
            return critical;
        }
        finally
        {
            volume?.Dispose();
        }
    }

    private static void Say(bool json, string line)
    {
        if (json) Console.Error.WriteLine(line);
        else Output.Line(line);
    }

    internal static HealthSnapshot Snapshot(JsonObject status, ScrubRecord? last)
    {
        var errors = status["daemon"]?["member_errors"] as JsonObject;
        var members = status["members"]!.AsArray().Select(m =>
        {
            var index = m!["disk_index"]!.GetValue<int>();
            var state = m["state"]!.GetValue<string>() switch
            {
                "online" => MemberCondition.Online,
                "failed" => MemberCondition.Failed,
                "removed" => MemberCondition.Removed,
                _ => MemberCondition.Missing,
            };
            var count = errors?[index.ToString(CultureInfo.InvariantCulture)]?.GetValue<long>() ?? 0;
            return new MemberHealth(index, state, count, m["used_bytes"]!.GetValue<long>(), m["data_bytes"]!.GetValue<long>());
        }).ToList();
        return new HealthSnapshot(DateTimeOffset.UtcNow, status["k"]!.GetValue<int>(), status["m"]!.GetValue<int>(),
            status["daemon"]?["read_only"]?.GetValue<bool>() ?? false, members, last);
    }

    private sealed record SavedState(ScrubRecord? LastScrub, string DaemonStartedAt);

    private static SavedState LoadState(string path)
    {
        if (!File.Exists(path))
        {
            return new SavedState(null, "");
        }
        try
        {
            var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var s = o["last_scrub"]!;
            return new SavedState(new ScrubRecord(
                DateTimeOffset.Parse(s["finished_at"]!.GetValue<string>(), CultureInfo.InvariantCulture),
                s["ok"]!.GetValue<bool>(), s["corrupt_shards"]!.GetValue<long>(), s["repaired_shards"]!.GetValue<long>(),
                s["unrecoverable"]!.GetValue<long>(), s["shard_errors_seen"]!.GetValue<long>()),
                o["daemon_started_at"]?.GetValue<string>() ?? "");
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or NullReferenceException or InvalidOperationException or FormatException)
        {
            throw new InvalidOperationException($"autopilot state file {path} is damaged ({e.Message}); delete it (the next round scrubs)", e);
        }
    }

    private static void SaveState(string path, ScrubRecord scrub, string daemonStartedAt, bool json)
    {
        var o = new JsonObject
        {
            ["last_scrub"] = new JsonObject
            {
                ["finished_at"] = scrub.FinishedAt.ToString("O", CultureInfo.InvariantCulture),
                ["ok"] = scrub.Ok,
                ["corrupt_shards"] = scrub.CorruptShards,
                ["repaired_shards"] = scrub.RepairedShards,
                ["unrecoverable"] = scrub.Unrecoverable,
                ["shard_errors_seen"] = scrub.ShardErrorsSeen,
            },
            ["daemon_started_at"] = daemonStartedAt,
        };
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temp = path + ".tmp";
            File.WriteAllText(temp, Output.ToJson(o));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Say(json, $"autopilot: WARNING state-not-saved: cannot write {path} ({e.Message}); the next round may scrub again; pass --state FILE");
        }
    }
}
