using Argos.Platform;

namespace Argos.Fuse;

/// <summary>
/// Feeds raw request bytes (fuse_in_header + payload) straight into a session's dispatcher and returns the
/// reply bytes (fuse_out_header + payload), or null when the opcode is never answered. No kernel involved:
/// protocol tests drive a session with annotated byte vectors through this.
/// </summary>
public sealed class FuseInProcessChannel
{
    private readonly FuseSession _session;
    private readonly FuseWorker _worker;
    private readonly Transport _transport;

    internal FuseInProcessChannel(FuseSession session, FuseWorker worker, Transport transport)
    {
        _session = session;
        _worker = worker;
        _transport = transport;
    }

    /// <summary>Dispatches one request synchronously; not thread-safe (create one channel per thread).</summary>
    public byte[]? Exchange(ReadOnlySpan<byte> request)
    {
        _transport.LastReply = null;
        _session.Dispatch(_worker, request);
        return _transport.LastReply;
    }

    internal sealed class Transport : IFuseTransport
    {
        public byte[]? LastReply { get; set; }

        public int Receive(Span<byte> buffer) => -(int)Errno.ENODEV;

        public Errno Send(ReadOnlySpan<byte> reply)
        {
            LastReply = reply.ToArray();
            return Errno.None;
        }
    }
}
