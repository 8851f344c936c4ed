using System.CommandLine;
using System.Text.Json.Nodes;
using Argos.Format;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace;
using Argos.Volume;

namespace Argos.Cli.Commands;

/// <summary>
/// `preflight-root`: can this pool be mounted as / in the requested mode? Opens read-only, never
/// changes anything, and answers with a report of stable issue codes (docs/boot.md lists them).
/// </summary>
public static class RootCommands
{
    private static readonly string[] s_apiDirectories = ["/dev", "/proc", "/sys", "/run"];

    public static Command PreflightRoot()
    {
        var sel = new PoolSelector();
        var mode = new Option<string>("--mode")
        {
            Description = "rw | ro | degraded-ro | degraded-rw | recovery | auto (auto: rw when healthy, degraded-ro when members are missing)",
            DefaultValueFactory = _ => "rw",
        };
        var init = new Option<string>("--init") { Description = "The init the kernel will run (init=)", DefaultValueFactory = _ => "/sbin/init" };
        var cmd = new Command("preflight-root", "Check that a pool can be mounted as the root filesystem in a mode; non-zero exit when it cannot");
        sel.AddTo(cmd);
        cmd.Options.Add(mode);
        cmd.Options.Add(init);
        cmd.SetAction(r =>
        {
            var requested = r.GetValue(mode)!;
            if (requested is not ("rw" or "ro" or "degraded-ro" or "degraded-rw" or "recovery" or "auto"))
            {
                throw new UsageException($"--mode '{requested}' is not known; use rw, ro, degraded-ro, degraded-rw, recovery or auto");
            }
            var report = Run(r, sel, requested, r.GetValue(init)!);
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(report);
            }
            else
            {
                Output.Line($"preflight-root: ok={report["ok"]} mode={report["mode"]} recommended={report["recommended_mode"]} devices={report["available_devices"]}/{report["total_devices"]} degraded={report["degraded"]} clean={report["clean"]}");
                foreach (var issue in report["issues"]!.AsArray())
                {
                    Output.Line($"  [{issue!["severity"]}] {issue["code"]}: {issue["message"]}");
                }
            }
            return report["ok"]!.GetValue<bool>() ? 0 : 1;
        });
        return cmd;
    }

    internal static JsonObject Run(ParseResult r, PoolSelector sel, string requested, string initPath)
    {
        var issues = new JsonArray();
        void Issue(string severity, string code, string message) =>
            issues.Add((JsonNode)new JsonObject { ["severity"] = severity, ["code"] = code, ["message"] = message });

        ArgosVolume volume;
        try
        {
            volume = VolumeFactory.Open(r, sel, readOnly: true);
        }
        catch (UsageException)
        {
            throw;
        }
        catch (Exception e)
        {
            Issue("error", "pool-unavailable", e.Message);
            return new JsonObject
            {
                ["ok"] = false,
                ["mode"] = requested == "auto" ? "recovery" : requested,
                ["recommended_mode"] = "recovery",
                ["total_devices"] = 0,
                ["available_devices"] = 0,
                ["missing_devices"] = 0,
                ["degraded"] = true,
                ["can_mount_readonly"] = false,
                ["can_mount_readwrite"] = false,
                ["clean"] = false,
                ["journal_ok"] = false,
                ["issues"] = issues,
            };
        }
        using (volume)
        {
            var info = volume.Info;
            var members = info.Members.Where(m => m.State != PoolMemberState.Removed).ToList();
            var missing = members.Count(m => m.State is PoolMemberState.Missing or PoolMemberState.Failed);
            var degraded = missing > 0;
            var journalOk = volume.Log.OpenReport.TailCutReason is null;
            var rootErrors = 0;

            if (degraded)
            {
                var which = string.Join(", ", members.Where(m => m.State != PoolMemberState.Online).Select(m => $"member {m.Index.Value} ({m.State.ToString().ToLowerInvariant()})"));
                Issue("warning", "members-missing",
                    $"{missing} of {members.Count} members unavailable ({which}); every stripe is still readable (the pool tolerates {info.M}), but redundancy is reduced");
            }
            if (!info.Clean)
            {
                Issue("warning", "not-cleanly-unmounted", "the pool was not cleanly unmounted; its journal is replayed at mount (nothing to do)");
            }
            if (!journalOk)
            {
                Issue("warning", "journal-tail-cut",
                    $"the journal tail was cut ({volume.Log.OpenReport.TailCutReason}); transactions that were never fsynced are lost, everything before them is intact");
            }
            foreach (var dir in s_apiDirectories)
            {
                try
                {
                    var ino = volume.Namespace.Resolve(System.Text.Encoding.UTF8.GetBytes(dir));
                    if (!volume.Namespace.GetAttr(ino).IsDirectory)
                    {
                        rootErrors++;
                        Issue("error", "root-mountpoint-not-directory", $"{dir} in the pool is not a directory; the initramfs moves the API filesystem there");
                    }
                }
                catch (NamespaceException)
                {
                    rootErrors++;
                    Issue("error", "root-mountpoint-missing", $"{dir} is missing from the pool; create it (argosfs mkdir {dir}) so the initramfs can move the API filesystem there");
                }
            }
            try
            {
                var ino = volume.Namespace.Resolve(System.Text.Encoding.UTF8.GetBytes(initPath), followLast: true);
                var attr = volume.Namespace.GetAttr(ino);
                if (!PosixMode.IsRegular(attr.Mode) || (attr.Mode & 0x49) == 0)
                {
                    rootErrors++;
                    Issue("error", "init-not-executable", $"{initPath} in the pool is not an executable file");
                }
            }
            catch (NamespaceException)
            {
                rootErrors++;
                Issue("error", "init-missing", $"{initPath} is missing from the pool; import a root tree (argosfs import-tree) or pass init=<path>");
            }
            var keyMissing = volume.Settings.Encrypted && !volume.HasKey;
            if (keyMissing)
            {
                rootErrors++;
                Issue("error", "encryption-key-missing", "the pool is encrypted and no key was found; set ARGOSFS_KEY_FILE or pass --key-file");
            }

            var canRead = rootErrors == 0;
            var canWrite = canRead;
            var recommended = !canRead ? "recovery" : degraded ? "degraded-ro" : "rw";
            var effective = requested == "auto" ? recommended : requested;
            var ok = effective switch
            {
                "rw" => canWrite && !degraded,
                "ro" => canRead,
                "degraded-ro" => canRead,
                "degraded-rw" => canWrite,
                "recovery" => true,
                _ => false,
            };
            if (effective == "rw" && degraded)
            {
                Issue("error", "degraded-requires-explicit-mode",
                    $"mode rw refused: {missing} member(s) missing; boot with rd.argosfs.mode=degraded-ro (read-only) or degraded-rw (writes without full redundancy), or attach the missing members");
            }
            if (effective == "degraded-rw" && !degraded)
            {
                Issue("warning", "unnecessary-degraded-rw", "degraded-rw was requested but no member is missing; rw is enough");
            }
            return new JsonObject
            {
                ["ok"] = ok,
                ["mode"] = effective,
                ["requested_mode"] = requested,
                ["recommended_mode"] = recommended,
                ["pool_uuid"] = info.PoolUuid.ToString(),
                ["pool_name"] = info.PoolName,
                ["k"] = info.K,
                ["m"] = info.M,
                ["total_devices"] = members.Count,
                ["available_devices"] = members.Count - missing,
                ["missing_devices"] = missing,
                ["degraded"] = degraded,
                ["can_mount_readonly"] = canRead,
                ["can_mount_readwrite"] = canWrite && !degraded,
                ["clean"] = info.Clean,
                ["journal_ok"] = journalOk,
                ["issues"] = issues,
            };
        }
    }
}
