namespace Argos.Fuse;

/// <summary>How a <see cref="FuseSession"/> negotiates and runs. The defaults suit a root filesystem.</summary>
public sealed class FuseSessionOptions
{
    /// <summary>
    /// Worker threads, each with its own cloned /dev/fuse fd; one reads at a time and the others take over
    /// while it serves a request that waits (see <see cref="FuseSession"/>), so this bounds the slow
    /// requests served at once. Default: 2 × cores, clamped to 4..16.
    /// </summary>
    public int WorkerCount { get; init; } = Math.Clamp(Environment.ProcessorCount * 2, 4, 16);

    /// <summary>
    /// How long the worker reading /dev/fuse polls an empty queue before it sleeps (see
    /// <see cref="FuseSession"/>: one worker reads at a time). A process issuing requests back to back is
    /// then served without a context switch in the daemon; the cost is up to this much CPU after the last
    /// request of a burst. Default 50 µs with two or more CPUs, none with one (spinning there would only
    /// keep the caller off the CPU). Zero: plain blocking reads.
    /// </summary>
    public TimeSpan ReadSpin { get; init; } = DefaultReadSpin;

    /// <summary>The default of <see cref="ReadSpin"/> on this machine.</summary>
    public static TimeSpan DefaultReadSpin => Environment.ProcessorCount >= 2 ? TimeSpan.FromMicroseconds(50) : TimeSpan.Zero;

    /// <summary>Largest WRITE payload (FUSE_BIG_WRITES + FUSE_MAX_PAGES); also sizes the per-worker buffers. Default 1 MiB.</summary>
    public uint MaxWrite { get; init; } = 1024 * 1024;

    /// <summary>Background requests (async reads, writeback) the kernel may keep in flight. Default 64.</summary>
    public ushort MaxBackground { get; init; } = 64;

    /// <summary>FUSE_ASYNC_READ: several READs of one file in flight. Default on.</summary>
    public bool AsyncRead { get; init; } = true;

    /// <summary>FUSE_ATOMIC_O_TRUNC: OPEN carries O_TRUNC and the filesystem truncates (else a SETATTR precedes OPEN). Default on.</summary>
    public bool AtomicOTrunc { get; init; } = true;

    /// <summary>FUSE_PARALLEL_DIROPS: lookups and readdirs of one directory in parallel. Default on.</summary>
    public bool ParallelDirOps { get; init; } = true;

    /// <summary>FUSE_DO_READDIRPLUS | FUSE_READDIRPLUS_AUTO: the filesystem implements ReadDirPlus. Default on.</summary>
    public bool ReadDirPlus { get; init; } = true;

    /// <summary>FUSE_CACHE_SYMLINKS: the kernel caches READLINK answers in the page cache. Default on.</summary>
    public bool CacheSymlinks { get; init; } = true;

    /// <summary>FUSE_WRITEBACK_CACHE: the kernel buffers writes and owns mtime/size while a file is cached. Opt in.</summary>
    public bool WritebackCache { get; init; }

    /// <summary>FUSE_POSIX_ACL: the kernel enforces system.posix_acl_* and leaves umask to the filesystem. Opt in.</summary>
    public bool PosixAcl { get; init; }

    /// <summary>FUSE_HANDLE_KILLPRIV_V2: the filesystem clears setuid/setgid on write, truncate and chown itself. Opt in (else the kernel sends a SETATTR).</summary>
    public bool HandleKillPriv { get; init; }

    /// <summary>FUSE_EXPORT_SUPPORT: the filesystem answers LOOKUP of "." and "..". Opt in.</summary>
    public bool ExportSupport { get; init; }

    /// <summary>FUSE_DONT_MASK: the kernel never applies umask; the filesystem does. Opt in.</summary>
    public bool DontMask { get; init; }

    /// <summary>
    /// Lower bound for the attribute and entry timeouts of replies about the root node (boot-notes rule 3:
    /// systemd-shutdown stat()s / while the daemon is stopped). Null leaves the filesystem's choice.
    /// </summary>
    public TimeSpan? RootTimeout { get; init; }

    /// <summary>Lets <see cref="FuseContext.TryGetSupplementaryGroups"/> read /proc. Keep off when serving a root.</summary>
    public bool AllowProcLookups { get; init; }

    /// <summary>How long the end of a session waits for requests in flight before calling Destroy. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The device opened for each cloned worker fd (before switch_root, at <see cref="FuseSession.Start(FuseMount)"/>).</summary>
    public string DevicePath { get; init; } = "/dev/fuse";

    /// <summary>Log sink for faults (handler exceptions, ENOSYS once per opcode, device errors). Default: standard error.</summary>
    public Action<string>? Log { get; init; }
}
