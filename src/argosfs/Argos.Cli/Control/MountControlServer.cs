using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Cli.Commands;
using Argos.Platform.Interop;
using Argos.Volume;
using Argos.Volume.Maintenance;

namespace Argos.Cli.Control;

/// <summary>
/// Serves the control channel (MountControl.cs) inside a mount daemon: status, fsck and scrub run
/// against the daemon's own open volume, concurrently with the FUSE workers (fsck's scan holds the
/// commit gate; repairs swap a stripe record only if it is unchanged).
/// </summary>
internal sealed class MountControlServer : IDisposable
{
    private readonly Socket _listener;
    private readonly ArgosVolume _volume;
    private readonly string _mountPoint;
    private readonly Action<string> _log;
    private readonly SemaphoreSlim _maintenance = new(1, 1);
    private readonly uint _ownUid = LibC.Geteuid();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private JsonObject? _lastMaintenance;
    private volatile bool _disposed;

    private MountControlServer(Socket listener, ArgosVolume volume, string mountPoint, Action<string> log)
    {
        _listener = listener;
        _volume = volume;
        _mountPoint = Path.GetFullPath(mountPoint);
        _log = log;
        var thread = new Thread(AcceptLoop) { IsBackground = true, Name = "argosfs-control" };
        thread.Start();
    }

    /// <summary>Listens on the pool's control address; null (logged) when the address is taken.</summary>
    public static MountControlServer? TryStart(ArgosVolume volume, string mountPoint, Action<string> log)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Bind(MountControl.Address(volume.Info.PoolUuid));
            socket.Listen(8);
            return new MountControlServer(socket, volume, mountPoint, log);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            log($"argosfs: control channel for pool {volume.Info.PoolUuid} not started ({e.SocketErrorCode}): "
                + "scrub and fsck cannot reach this mount; is another daemon serving the same pool?");
            return null;
        }
    }

    /// <summary>Stops accepting and waits (30 s at most) for a running fsck or scrub to end, so that the
    /// volume is not closed under it.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _listener.Dispose();
        if (_maintenance.Wait(TimeSpan.FromSeconds(30)))
        {
            _maintenance.Release();
        }
        else
        {
            _log("argosfs: control channel: a maintenance request is still running after 30 s; closing the volume under it");
        }
    }

    private void AcceptLoop()
    {
        while (!_disposed)
        {
            Socket client;
            try
            {
                client = _listener.Accept();
            }
            catch (Exception) when (_disposed)
            {
                return;
            }
            catch (SocketException e)
            {
                _log($"argosfs: control channel: accept failed ({e.SocketErrorCode})");
                Thread.Sleep(100);
                continue;
            }
            var thread = new Thread(() => Serve(client)) { IsBackground = true, Name = "argosfs-control-client" };
            thread.Start();
        }
    }

    /// <summary>
    /// One connection. Nothing may escape this method: an unhandled exception on this thread would
    /// end the process, and with it a root filesystem.
    /// </summary>
    private void Serve(Socket client)
    {
        using (client)
        {
            JsonObject answer;
            try
            {
                // The request is read before the answer, even a refusal: a client still writing would
                // otherwise see EPIPE instead of the reason.
                if (!TryReadRequest(client, out var request, out var problem))
                {
                    answer = MountControl.Error(problem);
                }
                else if (MountControl.PeerUid(client) is var uid && uid != 0 && uid != _ownUid)
                {
                    answer = MountControl.Error($"uid {uid} may not control this mount; run as root");
                }
                else
                {
                    answer = Handle(client, request);
                }
            }
            catch (Exception e) when (e is VolumeException or Argos.Metadata.Namespace.NamespaceException)
            {
                answer = MountControl.Error(e.Message); // a refused request (VolumeException is an IOException: first)
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                return; // the client went away; nothing to answer
            }
            catch (Exception e)
            {
                _log($"argosfs: control channel: request failed: {e}");
                answer = MountControl.Error($"the mount daemon failed: {e.Message}; see its log");
            }
            try
            {
                Send(client, answer);
            }
            catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
            {
                // the client went away before the answer
            }
        }
    }

    private JsonObject Handle(Socket client, JsonObject request)
    {
        var op = request["op"]?.GetValue<string>();
        switch (op)
        {
            case "status":
                var status = MountControl.StatusJson(_volume);
                var daemon = status["daemon"]!.AsObject();
                daemon["pid"] = Environment.ProcessId;
                daemon["mount_point"] = _mountPoint;
                daemon["started_at"] = _startedAt.ToString("O");
                daemon["last_maintenance"] = _lastMaintenance?.DeepClone();
                return MountControl.Result(status);
            case "fsck" or "scrub":
                // Queued behind a running one (a timer's scrub and the autopilot's may meet); the
                // client waits, connected.
                _maintenance.Wait();
                try
                {
                    if (_disposed)
                    {
                        return MountControl.Error("the mount daemon is stopping (unmount or shutdown); run it again on the next mount");
                    }
                    var options = op == "scrub"
                        ? new FsckOptions { Full = true, Repair = !_volume.ReadOnly, MaxBytesPerSecond = Long(request, "max_bytes_per_sec") }
                        : new FsckOptions { Full = Bool(request, "full"), Repair = Bool(request, "repair") };
                    if (options.Repair && _volume.ReadOnly)
                    {
                        return MountControl.Error("the pool is mounted read-only: it cannot be repaired through this mount; remount it read-write or unmount it");
                    }
                    long lastSent = -1;
                    var report = _volume.Fsck(options with
                    {
                        Progress = (done, total) =>
                        {
                            // a line per percent at most
                            var percent = total == 0 ? 100 : done * 100 / total;
                            if (percent != lastSent)
                            {
                                lastSent = percent;
                                Send(client, MountControl.Progress(done, total));
                            }
                        },
                    });
                    var json = MaintenanceCommands.ToJson(report);
                    json["via"] = $"mount daemon pid {Environment.ProcessId} ({_mountPoint})";
                    _lastMaintenance = new JsonObject
                    {
                        ["op"] = op,
                        ["finished_at"] = DateTimeOffset.UtcNow.ToString("O"),
                        ["ok"] = report.Ok,
                        ["corrupt_shards"] = report.CorruptShards,
                        ["repaired_shards"] = report.RepairedShards,
                        ["unrecoverable"] = report.Unrecoverable.Count,
                    };
                    return MountControl.Result(json);
                }
                finally
                {
                    _maintenance.Release();
                }
            case "snapshot-list":
                return MountControl.Result(new JsonArray(_volume.ListSnapshots().Select(x => (JsonNode)SnapshotCommands.ToJson(x)).ToArray()));
            case "snapshot-create" or "snapshot-delete":
                if (_volume.ReadOnly)
                {
                    return MountControl.Error("the pool is mounted read-only: snapshots cannot be created or deleted through this mount");
                }
                var name = request["name"]?.GetValue<string>() ?? "";
                if (op == "snapshot-create")
                {
                    return MountControl.Result(SnapshotCommands.ToJson(_volume.CreateSnapshot(name)));
                }
                return MountControl.Result(new JsonObject { ["name"] = name, ["freed_bytes"] = _volume.DeleteSnapshot(name) });
            default:
                return MountControl.Error($"unknown control request '{op}'; this daemon knows status, fsck, scrub, snapshot-list, snapshot-create and snapshot-delete");
        }
    }

    private static bool Bool(JsonObject request, string name) => request[name] is JsonValue v && v.TryGetValue(out bool b) && b;

    private static long Long(JsonObject request, string name) => request[name] is JsonValue v && v.TryGetValue(out long n) && n > 0 ? n : 0;

    private static bool TryReadRequest(Socket client, out JsonObject request, out string problem)
    {
        request = new JsonObject();
        var buffer = new byte[MountControl.MaxRequestBytes];
        var length = 0;
        client.ReceiveTimeout = 10_000;
        while (true)
        {
            var newline = Array.IndexOf(buffer, (byte)'\n', 0, length);
            if (newline >= 0)
            {
                length = newline;
                break;
            }
            if (length == buffer.Length)
            {
                problem = $"control request longer than {MountControl.MaxRequestBytes} bytes";
                return false;
            }
            var n = client.Receive(buffer, length, buffer.Length - length, SocketFlags.None);
            if (n == 0)
            {
                problem = "control request not terminated by a newline";
                return false;
            }
            length += n;
        }
        try
        {
            if (JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, length)) is JsonObject o)
            {
                request = o;
                problem = "";
                return true;
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // answered below
        }
        problem = "control request is not a JSON object";
        return false;
    }

    private static void Send(Socket client, JsonObject message)
    {
        var bytes = Encoding.UTF8.GetBytes(Output.ToJsonLine(message) + "\n");
        var sent = 0;
        while (sent < bytes.Length)
        {
            sent += client.Send(bytes, sent, bytes.Length - sent, SocketFlags.None);
        }
    }
}
