using System.CommandLine;
using Argos.Cli.Control;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Volume;

namespace Argos.Cli.Commands;

/// <summary>
/// snapshot create|list|delete: named metadata snapshots that pin the data they reference
/// (docs/format.md §9). Read a snapshot with ls/cat/export-tree --snapshot NAME. Names are checked
/// before the pool is opened; a duplicate or unknown name fails with nothing changed.
/// </summary>
public static class SnapshotCommands
{
    /// <summary>--snapshot NAME on the reading verbs (ls, cat, export-tree).</summary>
    public static Option<string?> SnapshotOption() => new("--snapshot")
    {
        Description = "Read from the named snapshot instead of the live tree ('argosfs snapshot list' shows the names)",
    };

    public static Command Snapshot()
    {
        var cmd = new Command("snapshot", "Named metadata snapshots that pin the data they reference: create, list, delete");
        cmd.Subcommands.Add(Create());
        cmd.Subcommands.Add(List());
        cmd.Subcommands.Add(Delete());
        return cmd;
    }

    /// <summary>A one-line usage error for a name the pool would refuse, before anything is opened.</summary>
    public static void RequireValidName(string name)
    {
        if (!SnapshotCodec.IsValidName(Encoding.UTF8.GetBytes(name)))
        {
            throw new UsageException($"snapshot name '{name}' is invalid: use 1..{FsNamespace.NameMaxBytes} bytes without '/' or NUL, e.g. before-upgrade");
        }
    }

    /// <summary>
    /// Checks the name against the pool through a read-only open first: a read-write open bumps the
    /// members' generation, and a refused duplicate or unknown name must leave every byte as it was.
    /// (The volume checks again inside the transaction.)
    /// </summary>
    private static void RequireName(ParseResult r, PoolSelector sel, string name, bool exists)
    {
        using var volume = VolumeFactory.Open(r, sel, readOnly: true);
        var present = volume.ListSnapshots().Any(s => s.Name == name);
        if (present && !exists)
        {
            throw new VolumeException(Platform.Errno.EEXIST, $"snapshot '{name}' already exists; pick another name or delete it first ('argosfs snapshot delete {name}')");
        }
        if (!present && exists)
        {
            throw new VolumeException(Platform.Errno.ENOENT, $"no snapshot named '{name}'; 'argosfs snapshot list' shows the names");
        }
    }

    private static Command Create()
    {
        var sel = new PoolSelector();
        var name = new Argument<string>("NAME") { Description = "Snapshot name (1..255 bytes, no '/')" };
        var cmd = new Command("create", "Freeze the current tree as snapshot NAME; its data stays allocated until the snapshot is deleted");
        sel.AddTo(cmd);
        cmd.Arguments.Add(name);
        cmd.SetAction(r =>
        {
            var n = r.GetValue(name)!;
            RequireValidName(n);
            var created = MountControlClient.CallOrLocal(r, sel, new JsonObject { ["op"] = "snapshot-create", ["name"] = n }, () =>
            {
                RequireName(r, sel, n, exists: false);
                using var volume = VolumeFactory.Open(r, sel, readOnly: false);
                return ToJson(volume.CreateSnapshot(n));
            });
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(created);
            }
            else
            {
                Output.Line($"snapshot '{n}' created: id {created["id"]}, {created["inodes"]} inodes, {created["referenced_bytes"]} bytes pinned");
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command List()
    {
        var sel = new PoolSelector();
        var cmd = new Command("list", "List snapshots: name, id, created, txid, inode count, referenced bytes (opens read-only)");
        sel.AddTo(cmd);
        cmd.SetAction(r =>
        {
            var all = MountControlClient.CallOrLocal(r, sel, new JsonObject { ["op"] = "snapshot-list" }, () =>
            {
                using var volume = VolumeFactory.Open(r, sel, readOnly: true);
                return new JsonArray(volume.ListSnapshots().Select(s => (JsonNode)ToJson(s)).ToArray());
            }).AsArray();
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(all);
                return ExitCodes.Success;
            }
            Output.Line($"{"NAME",-24} {"ID",4} {"CREATED",-30} {"TXID",8} {"INODES",10} {"REFERENCED",14}");
            foreach (var s in all)
            {
                Output.Line($"{s!["name"],-24} {s["id"],4} {s["created"],-30} {s["txid"],8} {s["inodes"],10} {s["referenced_bytes"],14}");
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static Command Delete()
    {
        var sel = new PoolSelector();
        var name = new Argument<string>("NAME") { Description = "Snapshot to delete" };
        var cmd = new Command("delete", "Delete snapshot NAME and free the data only it still references");
        sel.AddTo(cmd);
        cmd.Arguments.Add(name);
        cmd.SetAction(r =>
        {
            var n = r.GetValue(name)!;
            RequireValidName(n);
            var freed = MountControlClient.CallOrLocal(r, sel, new JsonObject { ["op"] = "snapshot-delete", ["name"] = n }, () =>
            {
                RequireName(r, sel, n, exists: true);
                using var volume = VolumeFactory.Open(r, sel, readOnly: false);
                return new JsonObject { ["name"] = n, ["freed_bytes"] = volume.DeleteSnapshot(n) };
            })["freed_bytes"]!.GetValue<long>();
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(new JsonObject { ["name"] = n, ["freed_bytes"] = freed });
            }
            else
            {
                Output.Line(string.Create(CultureInfo.InvariantCulture, $"snapshot '{n}' deleted: {freed} bytes freed"));
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    internal static JsonObject ToJson(SnapshotInfo s) => new()
    {
        ["name"] = s.Name,
        ["id"] = s.Record.Id,
        ["created"] = FileCommands.Iso(s.Record.Created),
        ["txid"] = s.Record.TxId,
        ["inodes"] = s.Record.InodeCount,
        ["referenced_bytes"] = s.Record.ReferencedBytes,
    };
}
