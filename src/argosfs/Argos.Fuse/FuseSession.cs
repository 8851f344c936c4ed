using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Fuse;

// One FUSE connection served by N worker threads.
//
//   kernel ──/dev/fuse fd 0──▶ worker 0 ─┐
//          ──clone fd 1──────▶ worker 1 ─┼─▶ Dispatch: header → table[opcode] → FuseFileSystem → reply on the same fd
//          ──clone fd N-1────▶ worker N ─┘
//
// Invariants:
//  - A request read from an fd is answered on that fd (clones have their own processing queue).
//  - No global lock: each worker owns its buffers; the filesystem synchronises itself.
//  - One exception boundary per request (Dispatch): FuseErrnoException → its errno; anything else → log
//    opcode, nodeid, unique and answer EIO. FORGET, BATCH_FORGET and NOTIFY_REPLY are never answered.
//  - Destroy runs exactly once: on FUSE_DESTROY, on ENODEV/ECONNABORTED from read (unmounted), or on Abort,
//    after requests in flight have drained (bounded by DrainTimeout). No filesystem call starts after it.

/// <summary>Which event ended a session.</summary>
public enum FuseSessionEndReason
{
    /// <summary>The kernel reported the connection gone (ENODEV): unmounted, or aborted via /sys/fs/fuse.</summary>
    Unmounted,
    /// <summary><see cref="FuseSession.Abort"/> (or <see cref="FuseSession.Stop"/> after its grace period).</summary>
    Aborted,
    /// <summary>Reading the device failed with an unexpected errno (logged).</summary>
    DeviceError,
}

/// <summary>Serves a <see cref="FuseFileSystem"/> over /dev/fuse (or an in-process channel in tests).</summary>
public sealed partial class FuseSession : IDisposable
{
    internal const int InHeaderSize = 40; // sizeof(fuse_in_header)
    internal const int XattrSizeMax = 65536; // XATTR_SIZE_MAX, XATTR_LIST_MAX
    internal const int PathMax = 4096;

    private delegate void Handler(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader);

    private readonly FuseFileSystem _fs;
    private readonly FuseSessionOptions _options;
    private readonly Action<string> _log;
    private readonly Handler?[] _handlers;
    private readonly ConcurrentDictionary<uint, byte> _enosysLogged = new();
    private readonly TaskCompletionSource<FuseSessionEndReason> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _initDone = new(false);
    private readonly object _destroyLock = new();
    private readonly object _startLock = new();
    private readonly int _requestBufferSize;
    private readonly int _replyPayloadSize;
    private readonly uint _maxWriteCapacity;

    private FuseWorker[] _workers = [];
    private readonly List<FileDescriptorHandle> _ownedFds = [];
    private FuseMount? _mount;
    private bool _started;
    private int _initialized;
    private int _ending;
    private int _workersExiting;
    private readonly object _turnGate = new();
    private bool _turnTaken;
    private int _inFlight;
    private bool _destroyDone;

    // Negotiated reply sizes (compat with pre-7.9 kernels).
    private uint _protocolMinor = FuseAbi.FUSE_KERNEL_MINOR_VERSION;
    private int _entryOutSize = 128;
    private int _attrOutSize = 104;
    private int _statfsOutSize = 80;
    private bool _setxattrExt;

    public FuseSession(FuseFileSystem fileSystem, FuseSessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        _fs = fileSystem;
        _options = options ?? new FuseSessionOptions();
        _log = _options.Log ?? (static line => Console.Error.WriteLine(line));
        if (_options.WorkerCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.WorkerCount, "FuseSessionOptions.WorkerCount must be at least 1");
        }

        if (_options.MaxWrite < 4096 || _options.MaxWrite > 16 * 1024 * 1024)
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.MaxWrite, "FuseSessionOptions.MaxWrite must be between 4 KiB and 16 MiB");
        }

        int page = Environment.SystemPageSize;
        _maxWriteCapacity = (uint)((_options.MaxWrite + page - 1) / page * page);
        // The kernel refuses a read buffer smaller than in_header + write_in + max_write, and fails requests
        // that do not fit with E2BIG: leave a page for headers and room for a 64 KiB xattr value.
        _requestBufferSize = (int)Math.Max(_maxWriteCapacity, XattrSizeMax + page) + page;
        // READ answers up to max_pages pages; GETXATTR/LISTXATTR up to 64 KiB.
        _replyPayloadSize = (int)Math.Max(_maxWriteCapacity, XattrSizeMax + 64);
        _handlers = BuildHandlerTable();
    }

    /// <summary>The negotiation result once INIT has been answered.</summary>
    public FuseConnectionInfo? Connection { get; private set; }

    public bool IsInitialized => Volatile.Read(ref _initialized) != 0;

    /// <summary>Completes after the session ended and <see cref="FuseFileSystem.Destroy"/> returned.</summary>
    public Task<FuseSessionEndReason> Completion => _completion.Task;

    public FuseFileSystem FileSystem => _fs;

    /// <summary>Waits until INIT has been answered: the mount is live. False on timeout or if the session ended first.</summary>
    public bool WaitForInit(TimeSpan timeout)
    {
        if (!_initDone.Wait(timeout))
        {
            return false;
        }

        return IsInitialized;
    }

    /// <summary>
    /// Starts the workers on <paramref name="mount"/>'s device: worker 0 on the mount's fd, the others on clones
    /// opened now (before any switch_root: no path is opened later). Returns at once; see <see cref="Completion"/>.
    /// </summary>
    public void Start(FuseMount mount)
    {
        ArgumentNullException.ThrowIfNull(mount);
        _mount = mount;
        Start(mount.Device);
    }

    /// <summary>Starts the workers on an already mounted /dev/fuse fd.</summary>
    public void Start(FileDescriptorHandle device)
    {
        ArgumentNullException.ThrowIfNull(device);
        lock (_startLock)
        {
            if (_started)
            {
                throw new InvalidOperationException("FuseSession.Start: the session is already running");
            }

            _started = true;
        }

        var transports = new List<IFuseTransport> { NewTransport(device) };
        for (int i = 1; i < _options.WorkerCount; i++)
        {
            try
            {
                var clone = FuseDevice.Clone(device, _options.DevicePath);
                _ownedFds.Add(clone);
                transports.Add(NewTransport(clone));
            }
            catch (SystemCallException e)
            {
                // Sharing one fd is correct, only slower: readers then contend on one queue.
                _log($"argosfs: fuse: {e.Message}");
                for (; i < _options.WorkerCount; i++)
                {
                    transports.Add(NewTransport(device));
                }
            }
        }

        var workers = new FuseWorker[transports.Count];
        for (int i = 0; i < workers.Length; i++)
        {
            workers[i] = new FuseWorker(i, transports[i], _requestBufferSize, _replyPayloadSize);
        }

        RegisterWorkers(workers);
        foreach (var worker in workers)
        {
            var thread = new Thread(() => RunWorker(worker))
            {
                IsBackground = true,
                Name = $"fuse-worker-{worker.Index}",
            };
            thread.Start();
        }
    }

    /// <summary>
    /// A worker's transport. The reader spins on an empty queue only while no other worker is serving a
    /// request: a streaming reader's READs are served by the workers the turn passed through, and a
    /// spinning reader would take the CPU they need; its next READ wakes the reader from poll instead.
    /// </summary>
    private FuseDeviceTransport NewTransport(FileDescriptorHandle fd) =>
        new(fd, _options.ReadSpin) { SpinWhile = () => Volatile.Read(ref _inFlight) == 0 };

    /// <summary>Start + wait: serves until the session ends.</summary>
    public FuseSessionEndReason Run(FuseMount mount)
    {
        Start(mount);
        return Completion.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Clean stop (SIGTERM, `argosfs umount`): detaches the mount, lets the kernel end the connection and waits
    /// up to <paramref name="grace"/> for it; if files are still open (the detached mount lives on), forces
    /// the end with <see cref="Abort"/>. Either way Destroy has run when this returns. True if the end was clean.
    /// </summary>
    public bool Stop(TimeSpan grace)
    {
        var mount = _mount;
        if (mount is not null && !Completion.IsCompleted)
        {
            try
            {
                mount.Unmount(lazy: true);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException)
            {
                _log($"argosfs: fuse: unmount {mount.MountPoint} failed: {e.Message}");
            }
        }

        if (Completion.Wait(grace))
        {
            return true;
        }

        Abort();
        Completion.GetAwaiter().GetResult();
        return false;
    }

    /// <summary>
    /// Ends the session now: waits for requests in flight (bounded), calls Destroy once, completes
    /// <see cref="Completion"/>. Later requests are answered EIO until the process exits and the kernel
    /// aborts the connection.
    /// </summary>
    public void Abort()
    {
        End(FuseSessionEndReason.Aborted);
    }

    /// <summary>A channel that feeds request bytes straight to the dispatcher (no kernel): for protocol tests.</summary>
    public FuseInProcessChannel CreateInProcessChannel()
    {
        var transport = new FuseInProcessChannel.Transport();
        var worker = new FuseWorker(-1, transport, _requestBufferSize, _replyPayloadSize);
        RegisterWorkers([worker]);
        return new FuseInProcessChannel(this, worker, transport);
    }

    public void Dispose()
    {
        if (!Completion.IsCompleted && _started)
        {
            Abort();
        }

        _initDone.Dispose();
        // Clones are closed when no reader holds them (SafeHandle ref counting defers the close).
        foreach (var fd in _ownedFds)
        {
            fd.Dispose();
        }
    }

    private void RegisterWorkers(FuseWorker[] added)
    {
        lock (_startLock)
        {
            _workers = [.. _workers, .. added];
        }
    }

    /// <summary>
    /// Leader and followers: one worker at a time reads /dev/fuse (it holds the read turn), the others
    /// sleep until it is passed on (a monitor wait: no spinning, no kernel queue of readers). The reader
    /// answers a request itself and reads on (spinning briefly first when
    /// <see cref="FuseSessionOptions.ReadSpin"/> is set), so a process issuing requests one after another
    /// is served by one awake thread. The turn is passed on before a request that may wait: one of
    /// <see cref="MayBlock"/>'s opcodes, or one whose handler calls <see cref="FuseContext.WillBlock"/>
    /// (a read that goes to the members, a close that stores data). A slow request thus never holds up
    /// the ones behind it. With every worker reading in the kernel instead, each request woke a sleeping
    /// thread, and a request caught by a spinning reader still woke one for nothing.
    /// </summary>
    private void RunWorker(FuseWorker worker)
    {
        try
        {
            var buffer = worker.RequestBuffer;
            Action passTurn = PassReadTurn;
            while (true)
            {
                TakeReadTurn();
                if (Volatile.Read(ref _workersExiting) != 0)
                {
                    PassReadTurn(); // the next follower leaves too
                    return;
                }

                worker.PassReadTurn = passTurn;
                while (worker.PassReadTurn is not null)
                {
                    int n = worker.Transport.Receive(buffer);
                    if (n > 0)
                    {
                        var request = buffer.AsSpan(0, n);
                        if (MayBlock(request))
                        {
                            worker.WillBlock();
                        }

                        Dispatch(worker, request);
                        continue; // still the reader unless the request passed the turn on
                    }

                    var errno = n == 0 ? Errno.ENODEV : (Errno)(-n);
                    if (errno is Errno.EINTR or Errno.EAGAIN or Errno.ENOENT) // ENOENT: interrupted before we read it
                    {
                        continue;
                    }

                    if (errno is Errno.ENODEV or (Errno)103) // ECONNABORTED, with FUSE_ABORT_ERROR
                    {
                        End(FuseSessionEndReason.Unmounted);
                    }
                    else
                    {
                        _log($"argosfs: fuse: worker {worker.Index}: read /dev/fuse failed: {errno}");
                        End(FuseSessionEndReason.DeviceError);
                    }

                    Volatile.Write(ref _workersExiting, 1);
                    worker.WillBlock();
                    return;
                }
            }
        }
        catch (Exception e)
        {
            _log($"argosfs: fuse: worker {worker.Index} crashed: {e}");
            End(FuseSessionEndReason.DeviceError);
            Volatile.Write(ref _workersExiting, 1);
            worker.WillBlock();
        }
    }

    private void TakeReadTurn()
    {
        lock (_turnGate)
        {
            while (_turnTaken)
            {
                Monitor.Wait(_turnGate);
            }

            _turnTaken = true;
        }
    }

    private void PassReadTurn()
    {
        lock (_turnGate)
        {
            _turnTaken = false;
            Monitor.Pulse(_turnGate);
        }
    }

    /// <summary>
    /// Requests that wait on the members or on a commit whatever their arguments: flushes and syncs, size
    /// changes (SETATTR with a size, OPEN with O_TRUNC), space allocation, copies, and unknown opcodes.
    /// READ, WRITE, RELEASE and FLUSH are not here: their handlers know whether the request is served from
    /// memory (a write is a copy into the file's buffer) and call <see cref="FuseContext.WillBlock"/> when not.
    /// </summary>
    internal static bool MayBlock(ReadOnlySpan<byte> request)
    {
        if (request.Length < InHeaderSize)
        {
            return false;
        }

        var header = MemoryMarshal.Read<fuse_in_header>(request);
        return (fuse_opcode)header.opcode switch
        {
            fuse_opcode.FUSE_LOOKUP or fuse_opcode.FUSE_FORGET or fuse_opcode.FUSE_BATCH_FORGET or fuse_opcode.FUSE_GETATTR
                or fuse_opcode.FUSE_READLINK or fuse_opcode.FUSE_SYMLINK or fuse_opcode.FUSE_MKNOD or fuse_opcode.FUSE_MKDIR
                or fuse_opcode.FUSE_UNLINK or fuse_opcode.FUSE_RMDIR or fuse_opcode.FUSE_RENAME or fuse_opcode.FUSE_RENAME2
                or fuse_opcode.FUSE_LINK or fuse_opcode.FUSE_STATFS or fuse_opcode.FUSE_SETXATTR or fuse_opcode.FUSE_GETXATTR
                or fuse_opcode.FUSE_LISTXATTR or fuse_opcode.FUSE_REMOVEXATTR or fuse_opcode.FUSE_OPENDIR or fuse_opcode.FUSE_READDIR
                or fuse_opcode.FUSE_READDIRPLUS or fuse_opcode.FUSE_RELEASEDIR or fuse_opcode.FUSE_ACCESS or fuse_opcode.FUSE_CREATE
                or fuse_opcode.FUSE_INTERRUPT or fuse_opcode.FUSE_LSEEK or fuse_opcode.FUSE_NOTIFY_REPLY
                or fuse_opcode.FUSE_READ or fuse_opcode.FUSE_WRITE or fuse_opcode.FUSE_RELEASE or fuse_opcode.FUSE_FLUSH => false,
            fuse_opcode.FUSE_OPEN => request.Length < InHeaderSize + 4 || (MemoryMarshal.Read<uint>(request[InHeaderSize..]) & OTrunc) != 0,
            fuse_opcode.FUSE_SETATTR => request.Length < InHeaderSize + 4 || (MemoryMarshal.Read<uint>(request[InHeaderSize..]) & FuseAbi.FATTR_SIZE) != 0,
            _ => true,
        };
    }

    private const uint OTrunc = 0x200;

    private void End(FuseSessionEndReason reason)
    {
        if (Interlocked.Exchange(ref _ending, 1) != 0)
        {
            return; // someone else is ending it; Completion tells when Destroy has returned
        }

        var deadline = Environment.TickCount64 + (long)_options.DrainTimeout.TotalMilliseconds;
        while (Volatile.Read(ref _inFlight) > 0)
        {
            if (Environment.TickCount64 > deadline)
            {
                _log($"argosfs: fuse: {Volatile.Read(ref _inFlight)} request(s) still in flight after {_options.DrainTimeout.TotalSeconds:0} s; calling Destroy anyway");
                break;
            }

            Thread.Sleep(1);
        }

        InvokeDestroyOnce();
        _initDone.Set();
        _completion.TrySetResult(reason);
    }

    private void InvokeDestroyOnce()
    {
        lock (_destroyLock)
        {
            if (_destroyDone)
            {
                return;
            }

            _destroyDone = true;
            try
            {
                _fs.Destroy();
            }
            catch (Exception e)
            {
                _log($"argosfs: fuse: Destroy threw: {e}");
            }
        }
    }

    /// <summary>The per-request exception boundary.</summary>
    internal void Dispatch(FuseWorker worker, ReadOnlySpan<byte> request)
    {
        if (request.Length < InHeaderSize)
        {
            // Not even a header: answer if the unique id is there, else drop.
            if (request.Length >= 16)
            {
                ulong unique = MemoryMarshal.Read<ulong>(request[8..]);
                _log($"argosfs: fuse: short request ({request.Length} bytes) unique={unique}: answering EIO");
                SendError(worker, unique, Errno.EIO);
            }
            else
            {
                _log($"argosfs: fuse: short request ({request.Length} bytes) without a unique id: dropped");
            }

            return;
        }

        var header = MemoryMarshal.Read<fuse_in_header>(request);
        var opcode = (fuse_opcode)header.opcode;
        bool noReply = opcode is fuse_opcode.FUSE_FORGET or fuse_opcode.FUSE_BATCH_FORGET or fuse_opcode.FUSE_NOTIFY_REPLY;
        int extensionBytes = header.total_extlen * 8;
        if (header.len < InHeaderSize || header.len > request.Length || extensionBytes > header.len - InHeaderSize)
        {
            _log($"argosfs: fuse: {OpcodeName(opcode)} nodeid={header.nodeid} unique={header.unique}: malformed header (len {header.len}, read {request.Length}, extensions {extensionBytes})");
            if (!noReply)
            {
                SendError(worker, header.unique, Errno.EIO);
            }

            return;
        }

        var reader = new FuseRequestReader(request[InHeaderSize..((int)header.len - extensionBytes)]);

        Interlocked.Increment(ref _inFlight);
        worker.BeginRequest(header.unique);
        try
        {
            if (Volatile.Read(ref _ending) != 0)
            {
                if (!noReply)
                {
                    SendError(worker, header.unique, Errno.EIO);
                }

                return;
            }

            if (opcode == fuse_opcode.FUSE_INIT)
            {
                OnInit(worker, in header, ref reader);
                return;
            }

            if (!IsInitialized)
            {
                _log($"argosfs: fuse: {OpcodeName(opcode)} unique={header.unique} before INIT: answering EIO");
                if (!noReply)
                {
                    SendError(worker, header.unique, Errno.EIO);
                }

                return;
            }

            var handler = header.opcode < (uint)_handlers.Length ? _handlers[header.opcode] : null;
            if (handler is null)
            {
                if (!noReply)
                {
                    ReplyEnosys(worker, in header);
                }

                return;
            }

            handler(worker, in header, ref reader);
        }
        catch (FuseErrnoException e)
        {
            if (!worker.Replied && !noReply)
            {
                SendError(worker, header.unique, e.Errno == Errno.None ? Errno.EIO : e.Errno);
            }
        }
        catch (Exception e)
        {
            _log($"argosfs: fuse: {OpcodeName(opcode)} nodeid={header.nodeid} unique={header.unique} failed, answering EIO: {e}");
            if (!worker.Replied && !noReply)
            {
                SendError(worker, header.unique, Errno.EIO);
            }
        }
        finally
        {
            worker.EndRequest();
            Interlocked.Decrement(ref _inFlight);
        }
    }

    internal static string OpcodeName(fuse_opcode opcode)
        => Enum.IsDefined(opcode) ? $"{opcode} ({(uint)opcode})" : $"opcode {(uint)opcode}";

    private void ReplyEnosys(FuseWorker worker, in fuse_in_header header)
    {
        if (_enosysLogged.TryAdd(header.opcode, 0))
        {
            _log($"argosfs: fuse: {OpcodeName((fuse_opcode)header.opcode)} is not implemented: answering ENOSYS (logged once)");
        }

        SendError(worker, header.unique, Errno.ENOSYS);
    }

    private void SendError(FuseWorker worker, ulong unique, Errno errno)
    {
        Send(worker, unique, -(int)errno, 0);
    }

    private void Send(FuseWorker worker, ulong unique, int error, int payloadLength)
    {
        var result = worker.Send(unique, error, payloadLength);
        // ENOENT: the request was interrupted/aborted meanwhile; ENODEV: unmounted. Neither is a fault.
        if (result is not (Errno.None or Errno.ENOENT or Errno.ENODEV) && Volatile.Read(ref _ending) == 0)
        {
            _log($"argosfs: fuse: writing the reply to unique={unique} failed: {result}");
        }
    }

    /// <summary>Answers with <paramref name="errno"/>, or when it is None with the <paramref name="payloadLength"/> bytes already in the payload.</summary>
    private void Complete(FuseWorker worker, in fuse_in_header header, Errno errno, int payloadLength = 0)
    {
        if (errno == Errno.None)
        {
            Send(worker, header.unique, 0, payloadLength);
        }
        else if (errno == Errno.ENOSYS)
        {
            ReplyEnosys(worker, in header);
        }
        else
        {
            SendError(worker, header.unique, errno);
        }
    }

    private void ReplyStruct<T>(FuseWorker worker, in fuse_in_header header, in T value, int size)
        where T : unmanaged
    {
        MemoryMarshal.Write(worker.Payload, in value);
        Send(worker, header.unique, 0, size);
    }

    private void Malformed(FuseWorker worker, in fuse_in_header header, string what)
    {
        _log($"argosfs: fuse: {OpcodeName((fuse_opcode)header.opcode)} nodeid={header.nodeid} unique={header.unique}: malformed request ({what}): answering EINVAL");
        SendError(worker, header.unique, Errno.EINVAL);
    }
}
