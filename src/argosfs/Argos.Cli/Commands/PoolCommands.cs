using System.CommandLine;
using System.Text.Json.Nodes;
using Argos.Cli.Parsing;
using Argos.DataPath.Codecs;
using Argos.Metadata.Log;
using Argos.Storage;
using Argos.Volume;

namespace Argos.Cli.Commands;

/// <summary>Setup and discovery: mkfs, scan, inspect-pool, inspect-device, verify-journal.</summary>
public static class PoolCommands
{
    public static Command Mkfs()
    {
        var sel = new PoolSelector();
        var k = new Option<int>("--k") { Description = "Data shards per stripe", DefaultValueFactory = _ => 2 };
        var m = new Option<int>("--m") { Description = "Parity shards per stripe (members that may be lost)", DefaultValueFactory = _ => 1 };
        var imageSize = new Option<string?>("--image-size") { Description = "Create missing image files of this size (e.g. 256MiB)" };
        var name = new Option<string>("--pool-name") { Description = "Pool name (used by root=argosfs:LABEL=)", DefaultValueFactory = _ => "argos" };
        var chunk = new Option<string>("--chunk-size") { Description = "Bytes per shard chunk; a stripe holds k of them", DefaultValueFactory = _ => "256KiB" };
        var compression = new Option<string>("--compression") { Description = "zstd | zstd:LEVEL | lz4 | none", DefaultValueFactory = _ => "zstd" };
        var level = new Option<int?>("--compression-level") { Description = "zstd level (default 3)" };
        var force = new Option<bool>("--force") { Description = "Overwrite members that hold data or another filesystem's signature" };
        var cmd = new Command("mkfs", "Create a pool on image files or block devices");
        sel.AddTo(cmd);
        cmd.Options.Add(k); cmd.Options.Add(m); cmd.Options.Add(imageSize); cmd.Options.Add(name);
        cmd.Options.Add(chunk); cmd.Options.Add(compression); cmd.Options.Add(level); cmd.Options.Add(force);
        cmd.SetAction(r =>
        {
            var paths = sel.Resolve(r).Paths;
            var chunkBytes = ByteSize.Parse(r.GetValue(chunk)!);
            if (chunkBytes is < 4096 or > 16UL << 20 || chunkBytes % 4096 != 0)
            {
                throw new UsageException($"--chunk-size {r.GetValue(chunk)} must be a multiple of 4KiB between 4KiB and 16MiB");
            }
            CompressionSettings comp;
            try
            {
                comp = CompressionSettings.Parse(r.GetValue(compression)!);
                if (r.GetValue(level) is int lv) comp = new CompressionSettings(comp.Codec, lv);
            }
            catch (FormatException e)
            {
                throw new UsageException(e.Message);
            }
            var size = r.GetValue(imageSize) is { } s ? (long?)ByteSize.Parse(s) : null;
            var created = ArgosVolume.Create(paths, new VolumeCreateOptions
            {
                K = r.GetValue(k),
                M = r.GetValue(m),
                ChunkSizeBytes = (int)chunkBytes,
                PoolName = r.GetValue(name)!,
                ImageSizeBytes = size,
                Force = r.GetValue(force),
                Compression = comp,
            });
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(new JsonObject
                {
                    ["pool_uuid"] = created.PoolUuid.ToString(),
                    ["pool_name"] = r.GetValue(name),
                    ["k"] = r.GetValue(k),
                    ["m"] = r.GetValue(m),
                    ["members"] = new JsonArray(created.Members.Select(x => (JsonNode)new JsonObject
                    {
                        ["path"] = x.Path,
                        ["device_uuid"] = x.MemberUuid.ToString(),
                        ["disk_index"] = x.Index.Value,
                        ["capacity_bytes"] = x.CapacityBytes,
                    }).ToArray()),
                });
            }
            else
            {
                Output.Line($"created pool '{r.GetValue(name)}' {created.PoolUuid}: {r.GetValue(k)}+{r.GetValue(m)} over {created.Members.Count} members, {comp.Codec.ToString().ToLowerInvariant()} compression");
                foreach (var x in created.Members)
                {
                    Output.Line($"  member {x.Index.Value}: {x.Path} ({ByteSize.Format((ulong)x.CapacityBytes)})");
                }
            }
            return 0;
        });
        return cmd;
    }

    public static Command Scan()
    {
        var sel = new PoolSelector();
        var paths = new Argument<string[]>("PATH") { Arity = ArgumentArity.ZeroOrMore, Description = "Images or devices to examine (default: every block device)" };
        var cmd = new Command("scan", "Show which images or block devices are pool members (read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(paths);
        cmd.SetAction(r =>
        {
            var selected = sel.Resolve(r, BlockDevices.FindPool, required: false).Paths.Concat(r.GetValue(paths) ?? []).ToList();
            if (selected.Count == 0) selected = BlockDevices.List().ToList();
            var results = MemberScanner.Scan(selected);
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(new JsonArray(results.Select(x => (JsonNode)ScanJson(x)).ToArray()));
            }
            else
            {
                foreach (var x in results)
                {
                    Output.Line(x.Valid
                        ? $"{x.Path}: member {x.DiskIndex} of pool '{x.PoolName}' {x.PoolUuid} ({x.K}+{x.M}), generation {x.Generation}, {(x.Clean == true ? "clean" : "dirty")}, superblock from {x.SuperblockSource}"
                        : $"{x.Path}: not a member: {x.Error}");
                }
            }
            return 0;
        });
        return cmd;
    }

    internal static JsonObject ScanJson(ScanResult x) => new()
    {
        ["path"] = x.Path,
        ["valid"] = x.Valid,
        ["error"] = x.Error,
        ["pool_uuid"] = x.PoolUuid?.ToString(),
        ["device_uuid"] = x.DeviceUuid?.ToString(),
        ["disk_index"] = x.DiskIndex,
        ["generation"] = x.Generation,
        ["clean"] = x.Clean,
        ["pool_name"] = x.PoolName,
        ["capacity_bytes"] = x.CapacityBytes,
        ["superblock_source"] = x.SuperblockSource,
        ["label_source"] = x.LabelSource,
        ["k"] = x.K,
        ["m"] = x.M,
        ["warnings"] = new JsonArray(x.Warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
    };

    public static Command InspectPool()
    {
        var sel = new PoolSelector();
        var cmd = new Command("inspect-pool", "Show a pool's layout, members, space and state (opens read-only)");
        sel.AddTo(cmd);
        cmd.SetAction(r =>
        {
            using (var daemon = Control.MountControlClient.TryConnect(r, sel))
            {
                if (daemon is not null)
                {
                    // mounted: the daemon holds the members; it answers for the pool as it serves it
                    var status = daemon.Call(new JsonObject { ["op"] = "status" }).AsObject();
                    if (r.GetValue(Program.JsonOption))
                    {
                        Output.Json(status);
                    }
                    else
                    {
                        var d = status["daemon"]!;
                        Output.Line($"pool '{status["pool_name"]}' {status["pool_uuid"]}: {status["k"]}+{status["m"]}, mounted on {d["mount_point"]} by daemon pid {d["pid"]}"
                            + $"{(d["read_only"]!.GetValue<bool>() ? " (read-only)" : "")}{(status["degraded"]!.GetValue<bool>() ? ", DEGRADED" : "")}");
                        foreach (var mem in status["members"]!.AsArray())
                        {
                            Output.Line($"  member {mem!["disk_index"]}: {mem["state"],-8} {mem["path"] ?? "-"}  used {ByteSize.Format((ulong)Math.Max(0, mem["used_bytes"]!.GetValue<long>()))} of {ByteSize.Format((ulong)Math.Max(0, mem["data_bytes"]!.GetValue<long>()))}");
                        }
                    }
                    return 0;
                }
            }
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            var info = volume.Info;
            var json = PoolJson(info, volume.Log.OpenReport);
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(json);
            }
            else
            {
                Output.Line($"pool '{info.PoolName}' {info.PoolUuid}: {info.K}+{info.M}, chunk {ByteSize.Format((ulong)info.ChunkSizeBytes)}, generation {info.Generation.Value}, {(info.Clean ? "clean" : "not cleanly closed")}{(info.Degraded ? ", DEGRADED" : "")}");
                foreach (var mem in info.Members)
                {
                    Output.Line($"  member {mem.Index.Value}: {mem.State.ToString().ToLowerInvariant(),-8} {mem.Path ?? "-"}  used {ByteSize.Format((ulong)Math.Max(0, mem.UsedBytes))} of {ByteSize.Format((ulong)Math.Max(0, mem.DataBytes))}");
                }
            }
            return 0;
        });
        return cmd;
    }

    internal static JsonObject PoolJson(PoolInfo info, OpenReport report) => new()
    {
        ["pool_uuid"] = info.PoolUuid.ToString(),
        ["pool_name"] = info.PoolName,
        ["k"] = info.K,
        ["m"] = info.M,
        ["chunk_size"] = info.ChunkSizeBytes,
        ["generation"] = info.Generation.Value,
        ["clean"] = info.Clean,
        ["degraded"] = info.Degraded,
        ["missing_devices"] = info.Missing.Count,
        ["missing"] = new JsonArray(info.Missing.Select(x => (JsonNode)JsonValue.Create(x.Value)).ToArray()),
        ["last_txid"] = info.LastTxId.Value,
        ["members"] = new JsonArray(info.Members.Select(mem => (JsonNode)new JsonObject
        {
            ["disk_index"] = mem.Index.Value,
            ["device_uuid"] = mem.MemberUuid.ToString(),
            ["state"] = mem.State.ToString().ToLowerInvariant(),
            ["path"] = mem.Path,
            ["capacity_bytes"] = mem.CapacityBytes,
            ["data_bytes"] = mem.DataBytes,
            ["used_bytes"] = mem.UsedBytes,
            ["free_bytes"] = mem.FreeBytes,
            ["superblock_source"] = mem.SuperblockSource,
        }).ToArray()),
        ["journal"] = new JsonObject
        {
            ["records_replayed"] = report.JournalRecordsReplayed,
            ["tail_cut_reason"] = report.TailCutReason,
            ["tail_cut_bytes"] = report.TailCutBytes,
            ["warnings"] = new JsonArray(report.Warnings.Select(w => (JsonNode)JsonValue.Create(w)!).ToArray()),
        },
    };

    public static Command InspectDevice()
    {
        var path = new Argument<string>("PATH") { Description = "Image file or block device" };
        var backend = new Option<string?>("--backend") { Description = "loop|raw (accepted for compatibility)" };
        var cmd = new Command("inspect-device", "Show one member's superblock and label");
        cmd.Arguments.Add(path);
        cmd.Options.Add(backend);
        cmd.SetAction(r =>
        {
            var x = MemberScanner.ScanOne(r.GetValue(path)!);
            var json = ScanJson(x);
            if (r.GetValue(Program.JsonOption) || true)
            {
                Output.Json(json);
            }
            return x.Valid ? 0 : 1;
        });
        return cmd;
    }

    public static Command VerifyJournal()
    {
        var sel = new PoolSelector();
        var cmd = new Command("verify-journal", "Check every member's root slots, checkpoint and journal records; non-zero exit on any invalid record");
        sel.AddTo(cmd);
        cmd.SetAction(r =>
        {
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            var report = volume.Log.Verify();
            var ok = report.Members.All(x => x.IsValid);
            var json = new JsonObject
            {
                ["ok"] = ok,
                ["members"] = new JsonArray(report.Members.Select(x => (JsonNode)new JsonObject
                {
                    ["disk_index"] = x.Member.Value,
                    ["path"] = x.Path,
                    ["valid"] = x.IsValid,
                    ["root_slot_a_error"] = x.RootSlotAError,
                    ["root_slot_b_error"] = x.RootSlotBError,
                    ["checkpoint_error"] = x.CheckpointError,
                    ["valid_records"] = x.Journal?.ValidRecords ?? 0,
                    ["invalid_records"] = x.Journal?.CutRecords ?? 0,
                    ["cut_reason"] = x.Journal?.CutReason,
                    ["last_txid"] = x.Journal?.LastTxId.Value ?? 0,
                }).ToArray()),
            };
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(json);
            }
            else
            {
                foreach (var x in report.Members)
                {
                    Output.Line($"member {x.Member.Value} {x.Path}: {(x.IsValid ? "ok" : "INVALID")}, {x.Journal?.ValidRecords ?? 0} records to txid {x.Journal?.LastTxId.Value ?? 0}"
                        + (x.Journal?.CutReason is { } c ? $", tail cut: {c}" : "") + (x.CheckpointError is { } ce ? $", checkpoint: {ce}" : ""));
                }
            }
            return ok ? 0 : 1;
        });
        return cmd;
    }
}
