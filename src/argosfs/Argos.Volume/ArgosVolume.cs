using Argos.DataPath.Codecs;
using Argos.Format;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace;
using Argos.Metadata.Records;
using Argos.Storage;

namespace Argos.Volume;

public sealed record VolumeOpenOptions
{
    public bool ReadOnly { get; init; }
    /// <summary>Key file for an encrypted pool ("-" reads the passphrase from stdin); else ARGOSFS_KEY_FILE / ARGOSFS_KEY.</summary>
    public string? KeyFile { get; init; }
    /// <summary>Fail the open when the pool is encrypted and no key is found (else reads fail with EACCES).</summary>
    public bool RequireKey { get; init; }
    /// <summary>Group commit: metadata is made durable at least this often (and on fsync).</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Group commit: at most this many transactions wait for durability.</summary>
    public int CommitMaxTransactions { get; init; } = 128;
    /// <summary>Run a background thread that enforces <see cref="CommitInterval"/> (mounts do; CLI commands flush at the end).</summary>
    public bool BackgroundCommit { get; init; }
    /// <summary>Bytes of decoded stripes kept for reads.</summary>
    public long StripeCacheBytes { get; init; } = 64L << 20;
    public Func<IMemberDevice, IMemberDevice>? DeviceWrapper { get; init; }
}

public sealed record VolumeCreateOptions
{
    public int K { get; init; } = 2;
    public int M { get; init; } = 1;
    public int ChunkSizeBytes { get; init; } = 256 * 1024;
    public string PoolName { get; init; } = "argos";
    public long? ImageSizeBytes { get; init; }
    public bool Force { get; init; }
    public CompressionSettings Compression { get; init; } = CompressionSettings.Default;
    /// <summary>Incompat feature bits of the new pool: all this argosfs knows (tests build older pools with fewer).</summary>
    public ulong IncompatFeatures { get; init; } = Argos.Format.Pool.FeatureFlags.KnownIncompat;
    public uint RootMode { get; init; } = 0x41ED; // S_IFDIR | 0755
    public uint RootUid { get; init; }
    public uint RootGid { get; init; }
}

/// <summary>
/// The filesystem facade the CLI and the FUSE adapter use: the namespace (inodes, entries, xattrs),
/// file data striped over the members, and the metadata log that makes both durable.
/// Locking: namespace reads are concurrent (the namespace's own reader lock); every mutation runs
/// under <see cref="_commitGate"/> so transactions reach the log in the order they were applied;
/// file data is buffered per inode under that file's gate (see ArgosVolume.Data.cs).
/// </summary>
public sealed partial class ArgosVolume : IFileTree, IDisposable
{
    private readonly FsNamespace _ns;
    private readonly MetadataLog _log;
    private readonly VolumeOpenOptions _options;
    private readonly object _commitGate = new();
    private readonly Thread? _committer;
    private readonly ManualResetEventSlim _stop = new();
    private readonly AutoResetEvent _commitKick = new(false);
    private bool _commitRequested; // the transaction bound was reached: the committer takes the batch (under _commitGate)
    private int _pendingTransactions;
    private int _pendingLazy; // of _pendingTransactions, those that do not count toward CommitMaxTransactions
    private DateTime _oldestPending = DateTime.MaxValue;
    private StripeCipher? _cipher;
    private bool _disposed;

    private ArgosVolume(FsNamespace ns, MetadataLog log, VolumeOpenOptions options, PoolSettings settings)
    {
        _ns = ns;
        _log = log;
        _options = options;
        Settings = settings;
        StripeDataBytes = log.K * log.ChunkSizeBytes;
        _stripeCache = new StripeCache(options.StripeCacheBytes);
        if (options.BackgroundCommit && !log.ReadOnly)
        {
            _committer = new Thread(CommitLoop) { IsBackground = true, Name = "argos-group-commit" };
            _committer.Start();
        }
    }

    public FsNamespace Namespace => _ns;
    public MetadataLog Log => _log;
    public PoolSettings Settings { get; private set; }
    public bool ReadOnly => _log.ReadOnly;
    public Guid PoolUuid => _log.PoolUuid;
    public int K => _log.K;
    public int M => _log.M;
    /// <summary>File bytes per stripe: k × chunk.</summary>
    public int StripeDataBytes { get; }
    public bool HasKey => _cipher is not null;

    /// <summary>mkfs: formats the members and writes the root directory and pool settings.</summary>
    public static PoolCreateResult Create(IReadOnlyList<string> paths, VolumeCreateOptions options)
    {
        using var ns = new FsNamespace();
        using var tx = ns.Begin();
        ns.InitializeRoot(tx, options.RootMode, options.RootUid, options.RootGid);
        var settings = new PoolSettings { Compression = options.Compression };
        ns.PutRecord(tx, RecordKind.PoolConfig, [], settings.Encode());
        var ops = tx.Complete();
        return PoolCreator.Create(paths, new PoolCreateOptions
        {
            K = options.K,
            M = options.M,
            ChunkSizeBytes = options.ChunkSizeBytes,
            PoolName = options.PoolName,
            ImageSizeBytes = options.ImageSizeBytes,
            Force = options.Force,
            InitialRecords = ops,
            IncompatFeatures = options.IncompatFeatures,
        });
    }

    public static ArgosVolume Open(IReadOnlyList<string> paths, VolumeOpenOptions? options = null)
    {
        options ??= new VolumeOpenOptions();
        var ns = new FsNamespace();
        MetadataLog? log = null;
        try
        {
            log = MetadataLog.Open(paths, ns, new LogOpenOptions { ReadOnly = options.ReadOnly, DeviceWrapper = options.DeviceWrapper });
            if (!ns.TryGetRecord(RecordKind.PoolConfig, [], out var raw))
            {
                throw new VolumeException(Platform.Errno.EIO, "the pool has no settings record (PoolConfig); it was not made by argosfs mkfs or its metadata is damaged: run 'argosfs fsck'");
            }
            if (!PoolSettings.TryDecode(raw.Span, out var settings, out var error))
            {
                throw new VolumeException(Platform.Errno.EIO, "pool settings: " + error);
            }
            var volume = new ArgosVolume(ns, log, options, settings);
            if (settings.Encrypted)
            {
                volume.UnlockKey(options.KeyFile, options.RequireKey);
            }
            if (!log.ReadOnly)
            {
                volume.ReclaimOrphans();
            }
            return volume;
        }
        catch
        {
            log?.Dispose();
            ns.Dispose();
            throw;
        }
    }

    public PoolInfo Info => _log.Info;

    // ---- transactions -------------------------------------------------------------------------

    /// <summary>
    /// Runs one namespace mutation as a transaction and hands its records to the log (group commit:
    /// durable at the next flush, at most CommitInterval / CommitMaxTransactions later, or now when
    /// <paramref name="durable"/>). Shard extents of inodes the mutation freed are released with it.
    /// </summary>
    public T Mutate<T>(Func<NamespaceTransaction, T> action, bool durable = false, IReadOnlyList<RecordOp>? extraOps = null) =>
        Mutate(action, durable, extraOps, lazy: false);

    /// <summary>
    /// <paramref name="lazy"/>: the transaction rides the group commit interval but does not count toward
    /// its transaction bound (relatime's atime updates, as lazytime does: a read never waits for a
    /// commit, and losing an atime update in a crash loses nothing else).
    /// </summary>
    private T Mutate<T>(Func<NamespaceTransaction, T> action, bool durable, IReadOnlyList<RecordOp>? extraOps, bool lazy)
    {
        ThrowIfReadOnly("change the filesystem");
        lock (_commitGate)
        {
            T result;
            using (var tx = _ns.Begin())
            {
                result = action(tx);
                var ops = tx.Complete();
                List<RecordOp>? all = null;
                if (tx.FreedInodes.Count > 0 || extraOps is { Count: > 0 })
                {
                    all = new List<RecordOp>(ops);
                    foreach (var freed in tx.FreedInodes)
                    {
                        foreach (var (_, stripe) in freed.Stripes)
                        {
                            AddFreeOps(all, stripe);
                        }
                        _stripeCache.Forget(freed.Ino);
                        _lastReadStripe.TryRemove(freed.Ino.Value, out _);
                        ForgetBuffer(freed.Ino);
                    }
                    if (extraOps is not null) all.AddRange(extraOps);
                }
                IReadOnlyList<RecordOp> commit = WithholdPinnedFrees(all ?? ops);
                if (commit.Count > 0)
                {
                    _log.Append(commit);
                    if (_pendingTransactions++ == 0) _oldestPending = DateTime.UtcNow;
                    if (lazy) _pendingLazy++;
                }
            }
            // The transaction is closed: a flush below may log the batched atimes in one of its own.
            var counted = _pendingTransactions - _pendingLazy;
            if (durable || (counted >= _options.CommitMaxTransactions && (_committer is null || counted >= 2 * _options.CommitMaxTransactions)))
            {
                // fsync-style callers, no committer thread, or twice the bound while the committer is
                // still busy with an earlier batch: flush here, and wait.
                FlushLogLocked();
            }
            else if (counted >= _options.CommitMaxTransactions && !_commitRequested)
            {
                // The bound is reached: the committer thread flushes this batch, pipelined (the log keeps
                // taking transactions while the batch is written), and this caller does not wait for it.
                _commitRequested = true;
                _commitKick.Set();
            }
            return result;
        }
    }

    public void Mutate(Action<NamespaceTransaction> action, bool durable = false, IReadOnlyList<RecordOp>? extraOps = null) =>
        Mutate<bool>(tx => { action(tx); return true; }, durable, extraOps);

    /// <summary>A mutation that rides the group commit without counting toward its bound (see the lazy overload).</summary>
    private void MutateLazy(Action<NamespaceTransaction> action) =>
        Mutate<bool>(tx => { action(tx); return true; }, durable: false, extraOps: null, lazy: true);

    /// <summary>Makes every buffered file write and every transaction durable on all present members.</summary>
    public void Sync()
    {
        if (ReadOnly) return;
        FlushAllFiles();
        lock (_commitGate)
        {
            FlushLogLocked();
        }
    }

    private void FlushLogLocked()
    {
        LogAccessTimesLocked();
        // Data before the metadata that names it (I-DATA-BEFORE-META in docs/format.md). With nothing
        // pending here a batch may still be in flight on the committer: the log's flush waits for it,
        // so this returns with every earlier transaction durable.
        if (_pendingTransactions > 0) _log.FlushData();
        _log.Flush();
        _pendingTransactions = 0;
        _pendingLazy = 0;
        _oldestPending = DateTime.MaxValue;
        _commitRequested = false;
    }

    private void CommitLoop()
    {
        var tick = TimeSpan.FromMilliseconds(Math.Max(50, _options.CommitInterval.TotalMilliseconds / 4));
        var wake = new[] { _stop.WaitHandle, _commitKick };
        while (WaitHandle.WaitAny(wake, tick) != 0)
        {
            try
            {
                // Buffered data flushed here is already CommitInterval old: its transaction commits in
                // this tick, not one interval later (that made unsynced data durable only after ~2x).
                var agedData = FlushAgedFiles(_options.CommitInterval);
                bool due;
                lock (_commitGate)
                {
                    var agedAtimes = AccessTimesAged(_options.CommitInterval) && LogAccessTimesLocked();
                    due = _pendingTransactions > 0 && (_commitRequested || agedData || agedAtimes || DateTime.UtcNow - _oldestPending >= _options.CommitInterval);
                    if (due)
                    {
                        // The batch is the log's buffer at the seal below; transactions appended between
                        // here and there ride along and are counted toward the next batch (they are
                        // durable sooner than counted, never later).
                        _pendingTransactions = 0;
                        _pendingLazy = 0;
                        _oldestPending = DateTime.MaxValue;
                        _commitRequested = false; // a request from here on is for the next batch
                    }
                }
                if (due && !_log.FlushPipelined(() => _log.FlushData()))
                {
                    // The journal is full: a checkpoint, with the log held still meanwhile.
                    lock (_commitGate)
                    {
                        _log.FlushData();
                        _log.Flush();
                    }
                }
            }
            catch (Exception e)
            {
                Console.Error.WriteLine($"argosfs: group commit failed: {e.Message}; the next fsync or unmount retries");
            }
        }
    }

    private void ReclaimOrphans()
    {
        Mutate(tx => _ns.ReclaimOrphans(tx), durable: true);
    }

    private void UnlockKey(string? keyFile, bool require)
    {
        if (!KdfParameters.TryRead(Settings.Kdf, out var kdf, out var error))
        {
            throw new VolumeException(Platform.Errno.EIO, "encryption parameters are damaged: " + error);
        }
        try
        {
            Span<byte> pool = stackalloc byte[16];
            PoolUuid.TryWriteBytes(pool);
            _cipher = UnlockCipher(kdf, pool, keyFile);
        }
        catch (EncryptionKeyException e) when (e.Problem == KeyProblem.Missing && !require)
        {
            _cipher = null;
        }
    }

    internal void ThrowIfReadOnly(string what)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ReadOnly) throw VolumeErrors.ReadOnly(what);
    }

    /// <summary>Flushes everything and closes the members; <paramref name="clean"/> writes the clean flag.</summary>
    public void Close(bool clean = true)
    {
        if (_disposed) return;
        _stop.Set();
        _committer?.Join();
        _readaheadQueue.CompleteAdding();
        if (!ReadOnly)
        {
            Sync(); // waits for the background stores of every file
        }
        _storeQueue.CompleteAdding();
        _disposed = true;
        _log.Close(clean);
        _cipher?.Dispose();
        _ns.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        try
        {
            Close(clean: true);
        }
        finally
        {
            _disposed = true;
            _log.Dispose();
        }
    }
}
