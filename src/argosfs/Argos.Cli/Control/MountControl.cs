// The control channel of a mounted pool: how `argosfs scrub`, `fsck` and `inspect-pool` reach a pool
// whose members the mount daemon holds open exclusively (a root pool in a booted system, for the
// scrub timer and the autopilot).
//
//   address   abstract AF_UNIX stream socket "\0argosfs/<pool-uuid>": no path, so it works after
//             switch_root (the root daemon opens no path then) and disappears with the daemon.
//   access    the daemon serves peers whose uid (SO_PEERCRED) is 0 or its own; others get an error.
//   protocol  one request per connection, newline-delimited UTF-8 JSON:
//               → {"op": "status"} | {"op": "fsck", "full": B, "repair": B} | {"op": "scrub", "max_bytes_per_sec": N}
//                 | {"op": "snapshot-list"} | {"op": "snapshot-create", "name": S} | {"op": "snapshot-delete", "name": S}
//               ← zero or more {"progress": {"done": N, "total": N}}
//               ← {"ok": true, "result": {...}} or {"ok": false, "error": "..."}
//             One fsck or scrub runs at a time; a second one waits for it.
using System.Net.Sockets;
using System.Text.Json.Nodes;

namespace Argos.Cli.Control;

internal static class MountControl
{
    /// <summary>Longest request line accepted (the requests are a few dozen bytes).</summary>
    public const int MaxRequestBytes = 4096;

    public static UnixDomainSocketEndPoint Address(Guid poolUuid) => new("\0argosfs/" + poolUuid.ToString("D"));

    public static JsonObject Error(string message) => new() { ["ok"] = false, ["error"] = message };

    public static JsonObject Result(JsonNode result) => new() { ["ok"] = true, ["result"] = result };

    public static JsonObject Progress(long done, long total) => new() { ["progress"] = new JsonObject { ["done"] = done, ["total"] = total } };

    /// <summary>
    /// A pool's status as the autopilot reads it: inspect-pool's JSON plus "daemon": {member_errors,
    /// read_only}. The mount daemon adds who it is to "daemon"; an unmounted pool's is just this.
    /// </summary>
    public static JsonObject StatusJson(Argos.Volume.ArgosVolume volume)
    {
        var status = Commands.PoolCommands.PoolJson(volume.Info, volume.Log.OpenReport);
        var errors = new JsonObject();
        foreach (var (member, count) in volume.ShardErrors)
        {
            errors[member.ToString(System.Globalization.CultureInfo.InvariantCulture)] = count;
        }
        status["daemon"] = new JsonObject { ["member_errors"] = errors, ["read_only"] = volume.ReadOnly };
        return status;
    }

    /// <summary>uid of the process at the other end of a connected AF_UNIX socket (SO_PEERCRED: pid, uid, gid).</summary>
    public static uint PeerUid(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[12];
        const int SolSocket = 1, SoPeerCred = 17;
        int n = socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred);
        if (n < 12)
        {
            throw new IOException($"SO_PEERCRED returned {n} bytes");
        }
        return BitConverter.ToUInt32(ucred[4..8]);
    }
}
