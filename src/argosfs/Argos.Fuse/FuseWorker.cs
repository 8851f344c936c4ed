using System.Runtime.InteropServices;
using Argos.Platform;

namespace Argos.Fuse;

/// <summary>Where a worker's requests come from and its replies go: a /dev/fuse fd, or a test channel.</summary>
internal interface IFuseTransport
{
    /// <summary>Reads one request; returns its length, or a negative errno.</summary>
    int Receive(Span<byte> buffer);

    /// <summary>Writes one reply; returns 0 or an errno.</summary>
    Errno Send(ReadOnlySpan<byte> reply);
}

/// <summary>
/// Per-thread state: request and reply buffers (pinned, reused: the steady state allocates nothing), the
/// transport, and the unique id in progress for FUSE_INTERRUPT.
/// </summary>
internal sealed class FuseWorker
{
    public const int HeaderSize = 16; // sizeof(fuse_out_header)

    private long _currentUnique;
    private long _interruptedUnique;

    public FuseWorker(int index, IFuseTransport transport, int requestBufferSize, int replyPayloadSize)
    {
        Index = index;
        Transport = transport;
        WillBlockCallback = WillBlock;
        RequestBuffer = GC.AllocateUninitializedArray<byte>(requestBufferSize, pinned: true);
        ReplyBuffer = GC.AllocateUninitializedArray<byte>(HeaderSize + replyPayloadSize, pinned: true);
    }

    public int Index { get; }
    public IFuseTransport Transport { get; }
    public byte[] RequestBuffer { get; }
    public byte[] ReplyBuffer { get; }

    /// <summary>Set once the current request has been answered (or needs no answer).</summary>
    public bool Replied { get; set; }

    public ulong CurrentUnique => (ulong)Volatile.Read(ref _currentUnique);

    public Span<byte> Payload => ReplyBuffer.AsSpan(HeaderSize);

    public void BeginRequest(ulong unique)
    {
        Replied = false;
        Volatile.Write(ref _currentUnique, (long)unique);
    }

    public void EndRequest()
    {
        Volatile.Write(ref _currentUnique, 0);
    }

    /// <summary>Marks <paramref name="unique"/> interrupted if this worker is handling it.</summary>
    public bool TryInterrupt(ulong unique)
    {
        if (unique == 0 || CurrentUnique != unique)
        {
            return false;
        }

        Volatile.Write(ref _interruptedUnique, (long)unique);
        return CurrentUnique == unique;
    }

    /// <summary>Passes the read turn on; set by the session while this worker holds it (see <see cref="FuseSession"/>).</summary>
    public Action? PassReadTurn { get; set; }

    /// <summary>
    /// The request in hand is about to wait (member I/O, a commit): if this worker holds the read turn it is
    /// passed on now, so the requests behind this one are read by another worker meanwhile.
    /// </summary>
    /// <summary><see cref="WillBlock"/> as a delegate made once, so handing it to the filesystem allocates nothing.</summary>
    public Action WillBlockCallback { get; }

    public void WillBlock()
    {
        var pass = PassReadTurn;
        if (pass is not null)
        {
            PassReadTurn = null;
            pass();
        }
    }

    public bool IsInterrupted(ulong unique) => unique != 0 && (ulong)Volatile.Read(ref _interruptedUnique) == unique;

    /// <summary>Sends fuse_out_header + the first <paramref name="payloadLength"/> bytes of <see cref="Payload"/>.</summary>
    public Errno Send(ulong unique, int error, int payloadLength)
    {
        var header = new fuse_out_header
        {
            len = (uint)(HeaderSize + payloadLength),
            error = error,
            unique = unique,
        };
        MemoryMarshal.Write(ReplyBuffer, in header);
        Replied = true;
        return Transport.Send(ReplyBuffer.AsSpan(0, HeaderSize + payloadLength));
    }
}
