using System.CommandLine;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Storage;

namespace Argos.Cli.Control;

/// <summary>
/// The CLI side of the control channel: finds out whether the pool a command names is served by a
/// mount daemon on this machine, and if so sends it the request instead of opening the members
/// (which the daemon holds exclusively).
/// </summary>
internal sealed class MountControlClient : IDisposable
{
    private readonly Guid _pool;
    private Socket _socket;
    private bool _used;

    private MountControlClient(Socket socket, Guid pool)
    {
        _socket = socket;
        _pool = pool;
    }

    /// <summary>
    /// A connection to the mount daemon serving the selected pool, or null when none serves it (the
    /// command then opens the members itself). Reads only the members' identity blocks.
    /// </summary>
    public static MountControlClient? TryConnect(ParseResult r, PoolSelector selector)
    {
        var selection = selector.Resolve(r, BlockDevices.FindPool);
        var pools = MemberScanner.Scan(selection.Paths).Where(x => x.Valid && x.PoolUuid is not null).Select(x => x.PoolUuid!.Value).Distinct().ToList();
        if (pools.Count != 1)
        {
            return null; // no pool, or members of several: the local open says what is wrong
        }
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(MountControl.Address(pools[0]));
            return new MountControlClient(socket, pools[0]);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionRefused or SocketError.AddressNotAvailable or SocketError.AccessDenied)
        {
            socket.Dispose();
            return null;
        }
    }

    /// <summary>
    /// The answer of the mount daemon serving the selected pool to <paramref name="request"/> when one
    /// serves it, else <paramref name="local"/>() (which opens the members itself).
    /// </summary>
    public static JsonNode CallOrLocal(ParseResult r, PoolSelector selector, JsonObject request, Func<JsonNode> local, Action<long, long>? progress = null)
    {
        using var daemon = TryConnect(r, selector);
        return daemon is not null ? daemon.Call(request, progress) : local();
    }

    /// <summary>
    /// Sends one request and returns its result; progress lines go to <paramref name="progress"/>.
    /// The daemon answers one request per connection: the first call uses the connection made by
    /// <see cref="TryConnect"/>, later ones connect again.
    /// </summary>
    public JsonNode Call(JsonObject request, Action<long, long>? progress = null)
    {
        if (_used)
        {
            _socket.Dispose();
            _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _socket.Connect(MountControl.Address(_pool));
        }
        _used = true;
        var bytes = Encoding.UTF8.GetBytes(Output.ToJsonLine(request) + "\n");
        _socket.Send(bytes);
        using var stream = new NetworkStream(_socket, ownsSocket: false);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            if (JsonNode.Parse(line) is not JsonObject message)
            {
                continue;
            }
            if (message["progress"] is JsonObject p)
            {
                progress?.Invoke(p["done"]!.GetValue<long>(), p["total"]!.GetValue<long>());
                continue;
            }
            if (message["ok"]?.GetValue<bool>() == true)
            {
                return message["result"] ?? new JsonObject();
            }
            throw new InvalidOperationException($"the mount daemon serving pool {_pool} refused '{request["op"]}': {message["error"]}");
        }
        throw new IOException($"the mount daemon serving pool {_pool} closed the control connection without an answer; see its log");
    }

    public void Dispose() => _socket.Dispose();
}
