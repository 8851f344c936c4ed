using System.Buffers;
using System.Collections.Concurrent;
using Argos.DataPath.Codecs;
using Argos.DataPath.Placement;
using Argos.DataPath.Stripes;
using Argos.Erasure;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;
using StripeCodec = Argos.DataPath.Stripes.StripeCodec;
using RecordCodec = Argos.Metadata.Namespace.Encoding.StripeCodec;

namespace Argos.Volume;

/// <summary>Stripe I/O: encode and place a stripe's shards on members, and read them back.</summary>
public sealed partial class ArgosVolume
{
    private const int ReadaheadStripes = 4;

    private readonly StripeCache _stripeCache;
    private readonly ConcurrentDictionary<(ulong Ino, ulong Index, ulong Version), Lazy<byte[]>> _decoding = new();
    private readonly ConcurrentDictionary<ulong, ulong> _lastReadStripe = new();
    private readonly BlockingCollection<(InodeId Ino, ulong Index, StripeRecord Record)> _readaheadQueue = new(boundedCapacity: 32);
    private int _readaheadStarted;
    private readonly ConcurrentDictionary<int, long> _shardErrors = new();

    /// <summary>Checksum failures and unreadable shards seen per member since open (health input).</summary>
    public IReadOnlyDictionary<int, long> ShardErrors => _shardErrors;

    /// <summary>Encodes one stripe and writes its shards to distinct members; returns the record to commit.
    /// The extents are provisional until a transaction names them (AllocOps.Allocated).</summary>
    internal StripeRecord StoreStripe(InodeId ino, ulong index, ReadOnlySpan<byte> raw)
    {
        if (Settings.Encrypted && _cipher is null)
        {
            throw new EncryptionKeyException(KeyProblem.Missing, "encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file");
        }
        var kind = raw.Length <= Settings.ReplicationThresholdBytes ? StripeLayoutKind.Replicated : StripeLayoutKind.ErasureCoded;
        var shardBufferLength = StripeCodec.ShardBufferLength(kind, K, M, raw.Length);
        var shards = ArrayPool<byte>.Shared.Rent(shardBufferLength);
        var scratch = ArrayPool<byte>.Shared.Rent(StripeCodec.PayloadCapacity(raw.Length));
        var extents = new List<Extent>();
        try
        {
            Span<uint> crcs = stackalloc uint[K + M + 1];
            var context = new StripeContext(PoolUuid, ino, new StripeIndex(index), Settings.Compression, _cipher);
            var encoded = StripeCodec.Encode(kind, K, M, raw, context, scratch, shards, crcs);
            var n = encoded.ShardCount;
            Span<int> members = stackalloc int[n];
            ChooseMembers(ino, index, n, encoded.ShardLength, members);
            var locations = new ShardLocation[n];
            for (var i = 0; i < n; i++)
            {
                var extent = _log.Allocator.Allocate(new MemberIndex(members[i]), encoded.ShardLength);
                extents.Add(extent);
                locations[i] = new ShardLocation((ushort)members[i], (ulong)extent.OffsetBytes, (uint)encoded.ShardLength, crcs[i]);
            }
            WriteShards(shards, encoded.ShardLength, locations);
            return new StripeRecord
            {
                Kind = kind == StripeLayoutKind.Replicated ? StripeKind.Replicated : StripeKind.ErasureCoded,
                K = (byte)encoded.K,
                M = (byte)encoded.M,
                Codec = ToRecordCodec(encoded.Codec),
                Encrypted = encoded.Encrypted,
                ChunkBytes = (uint)encoded.ShardLength,
                RawLength = (ulong)encoded.RawLength,
                StoredLength = (ulong)encoded.PayloadLength,
                BirthTxId = _log.LastTxId.Next,
                PlaintextChecksum = encoded.PlaintextCrc,
                Shards = locations,
            };
        }
        catch
        {
            foreach (var e in extents) _log.Allocator.Release(e);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(shards);
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    private void ChooseMembers(InodeId ino, ulong index, int count, int shardBytes, Span<int> chosen)
    {
        var present = _log.PresentMembers;
        var candidates = new PlacementCandidate[present.Count];
        for (var i = 0; i < present.Count; i++)
        {
            var m = present[i];
            var errors = _shardErrors.TryGetValue(m.Value, out var e) ? e : 0;
            candidates[i] = new PlacementCandidate(
                m.Value, (ulong)m.Value * 0x9E3779B97F4A7C15UL, 1.0, Tier.Warm,
                (ulong)Math.Max(0, _log.Allocator.FreeBytes(m)), (ulong)Math.Max(1, _log.Allocator.DataBytes(m)),
                Health: 1.0 / (1.0 + errors / 16.0));
        }
        var salt = BitConverter.ToUInt64(PoolUuid.ToByteArray(), 0);
        var key = RendezvousPlacement.StripeKey(salt, ino.Value, index, _log.LastTxId.Value);
        if (!RendezvousPlacement.TryChoose(candidates, key, count, (ulong)shardBytes, Tier.Warm, chosen))
        {
            var free = string.Join(", ", present.Select(m => $"member {m.Value}: {_log.Allocator.FreeBytes(m) >> 20} MiB free"));
            throw new VolumeException(Errno.ENOSPC,
                $"no room for a stripe of {count} shards × {shardBytes} bytes on {count} distinct members ({free}); free space or add a member");
        }
    }

    private void WriteShards(byte[] shards, int shardLength, ShardLocation[] locations)
    {
        void WriteOne(int i)
        {
            var loc = locations[i];
            _log.WriteAt(new MemberIndex(loc.Member), (long)loc.OffsetBytes, shards.AsSpan(i * shardLength, shardLength));
        }
        if (locations.Length > 1 && shardLength >= 64 * 1024)
        {
            Parallel.For(0, locations.Length, WriteOne);
        }
        else
        {
            for (var i = 0; i < locations.Length; i++) WriteOne(i);
        }
    }

    /// <summary>
    /// The decoded bytes of a stored stripe (RawLength bytes), through the stripe cache. One decode per
    /// stripe version at a time: the kernel sends a stripe's 128 KiB readahead READs in parallel, and a
    /// prefetch may be decoding it already; the others wait for that decode instead of repeating it.
    /// </summary>
    internal byte[] LoadStripe(InodeId ino, ulong index, in StripeRecord record)
    {
        var version = StripeVersion(record);
        if (_stripeCache.TryGet(ino, index, version, out var cached))
        {
            return cached;
        }
        var key = (ino.Value, index, version);
        var stripe = record;
        var decode = _decoding.GetOrAdd(key, k => new Lazy<byte[]>(() =>
        {
            var raw = DecodeStripe(ino, index, stripe, out _);
            _stripeCache.Put(ino, index, version, raw);
            return raw;
        }, LazyThreadSafetyMode.ExecutionAndPublication));
        try
        {
            return decode.Value;
        }
        finally
        {
            _decoding.TryRemove(new KeyValuePair<(ulong, ulong, ulong), Lazy<byte[]>>(key, decode));
        }
    }

    /// <summary>
    /// Sequential readahead: a read of stripe i right after stripe i or i-1 of the same file queues the
    /// next <see cref="ReadaheadStripes"/> stored stripes for two readahead threads, so their shard reads
    /// and decompression overlap with the kernel consuming stripe i (the kernel's own readahead stops at
    /// 128 KiB, a quarter of a 2+1 stripe). Random readers never trigger it. Dedicated threads, not the
    /// thread pool: a decode blocks on its shard reads, and pool work items blocking on each other
    /// starve the pool. A queued stripe holds no decode slot: a demand read that gets there first
    /// decodes it itself, and the readahead thread then finds it cached.
    /// </summary>
    private void Readahead(InodeId ino, ulong index, ulong fileSize)
    {
        var previous = _lastReadStripe.GetValueOrDefault(ino.Value, ulong.MaxValue);
        _lastReadStripe[ino.Value] = index;
        if (previous != index && previous + 1 != index) return;
        var s = (ulong)StripeDataBytes;
        for (var next = index + 1; next <= index + ReadaheadStripes && next * s < fileSize; next++)
        {
            if (!_ns.TryGetStripe(ino, new StripeIndex(next), out var record)) continue;
            var version = StripeVersion(record);
            if (_decoding.ContainsKey((ino.Value, next, version)) || _stripeCache.Contains(ino, next, version)) continue;
            StartReadaheadThreads();
            _readaheadQueue.TryAdd((ino, next, record)); // full: the readers are far ahead of the disk; drop it
        }
    }

    private void StartReadaheadThreads()
    {
        if (Volatile.Read(ref _readaheadStarted) != 0 || Interlocked.Exchange(ref _readaheadStarted, 1) != 0) return;
        for (var i = 0; i < 2; i++)
        {
            new Thread(ReadaheadLoop) { IsBackground = true, Name = "argos-readahead" }.Start();
        }
    }

    private void ReadaheadLoop()
    {
        foreach (var (ino, index, record) in _readaheadQueue.GetConsumingEnumerable())
        {
            if (_disposed) return;
            if (_stripeCache.Contains(ino, index, StripeVersion(record))) continue;
            try
            {
                LoadStripe(ino, index, record);
            }
            catch (Exception e) when (e is VolumeException or IOException or ObjectDisposedException or InvalidOperationException)
            {
                // A prefetch is a guess: the demand read of this stripe, if it comes, decodes it again
                // and reports the failure to the reader with the stripe named.
            }
        }
    }

    private static ulong StripeVersion(in StripeRecord record) =>
        record.Shards.Length == 0 ? 0 : (record.Shards.Span[0].OffsetBytes << 8) ^ record.Shards.Span[0].Member ^ (record.BirthTxId.Value << 40);

    /// <summary>Shard states seen while reading one stripe: what scrub and repair act on.</summary>
    internal enum ShardState : byte { Unread, Good, Missing, Corrupt }

    /// <summary>
    /// Reads just enough shards: the data shards first (one copy for replicated stripes), each checked
    /// against its CRC32C, then parity only for the missing or corrupt ones; rebuilds only those.
    /// </summary>
    internal byte[] DecodeStripe(InodeId ino, ulong index, in StripeRecord stripe, out ShardState[] shardStatesOut, bool readAll = false)
    {
        var record = stripe;
        var n = record.Shards.Length;
        var s = (int)record.ChunkBytes;
        var need = record.Kind == StripeKind.Replicated ? 1 : record.K;
        var buffer = ArrayPool<byte>.Shared.Rent(n * s);
        var states = new ShardState[n];
        shardStatesOut = states;
        try
        {
            var good = 0;
            var next = 0;
            var wave = new List<int>();
            var shardStates = states;
            var shards = record.Shards;
            while (good < need || (readAll && next < n))
            {
                wave.Clear();
                var want = readAll ? n : need - good;
                while (wave.Count < want && next < n)
                {
                    wave.Add(next++);
                }
                if (wave.Count == 0) break;
                void ReadOne(int i)
                {
                    var loc = shards.Span[i];
                    var member = new MemberIndex(loc.Member);
                    if (!_log.IsPresent(member))
                    {
                        shardStates[i] = ShardState.Missing;
                        return;
                    }
                    var span = buffer.AsSpan(i * s, s);
                    try
                    {
                        _log.ReadAt(member, (long)loc.OffsetBytes, span);
                    }
                    catch (IOException)
                    {
                        shardStates[i] = ShardState.Missing;
                        _shardErrors.AddOrUpdate(loc.Member, 1, (_, v) => v + 1);
                        return;
                    }
                    if (Crc32C.Compute(span) != loc.Crc32c)
                    {
                        shardStates[i] = ShardState.Corrupt;
                        _shardErrors.AddOrUpdate(loc.Member, 1, (_, v) => v + 1);
                        return;
                    }
                    shardStates[i] = ShardState.Good;
                }
                if (wave.Count > 1 && s >= 64 * 1024)
                {
                    Parallel.ForEach(wave, ReadOne);
                }
                else
                {
                    foreach (var i in wave) ReadOne(i);
                }
                good = states.Count(st => st == ShardState.Good);
            }
            if (good < need)
            {
                var lost = string.Join(", ", Enumerable.Range(0, n).Where(i => states[i] != ShardState.Good)
                    .Select(i => $"shard {i} on member {record.Shards.Span[i].Member} {states[i].ToString().ToLowerInvariant()}"));
                throw new VolumeException(Errno.EIO,
                    $"stripe {index} of inode {ino} cannot be read: {good} of {n} shards are good but {need} are needed ({lost}); bring the missing members back or restore from backup");
            }
            var encoded = ToEncoded(record);
            Span<bool> present = stackalloc bool[n];
            for (var i = 0; i < n; i++) present[i] = states[i] == ShardState.Good;
            StripeCodec.Reconstruct(encoded, buffer.AsSpan(0, n * s), present);
            var raw = new byte[encoded.RawLength];
            var scratch = ArrayPool<byte>.Shared.Rent(StripeCodec.PayloadCapacity(encoded.RawLength));
            try
            {
                var context = new StripeContext(PoolUuid, ino, new StripeIndex(index), Settings.Compression, _cipher);
                StripeCodec.Decode(encoded, buffer.AsSpan(0, n * s), context, scratch, raw);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
            return raw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    internal static EncodedStripe ToEncoded(in StripeRecord r) => new(
        r.Kind == StripeKind.Replicated ? StripeLayoutKind.Replicated : StripeLayoutKind.ErasureCoded,
        r.K, r.M, FromRecordCodec(r.Codec), r.Encrypted, (int)r.RawLength, (int)r.StoredLength, (int)r.ChunkBytes,
        (uint)r.PlaintextChecksum);

    internal static RecordCodec ToRecordCodec(CompressionCodec codec) => codec switch
    {
        CompressionCodec.Zstd => RecordCodec.Zstd,
        CompressionCodec.Lz4 => RecordCodec.Lz4,
        _ => RecordCodec.None,
    };

    internal static CompressionCodec FromRecordCodec(RecordCodec codec) => codec switch
    {
        RecordCodec.Zstd => CompressionCodec.Zstd,
        RecordCodec.Lz4 => CompressionCodec.Lz4,
        _ => CompressionCodec.None,
    };

    internal static IEnumerable<Extent> ExtentsOf(StripeRecord stripe)
    {
        foreach (var loc in stripe.Shards.Span.ToArray())
        {
            yield return new Extent(new MemberIndex(loc.Member), (long)loc.OffsetBytes, AlignBlock(loc.LengthBytes));
        }
    }

    private static long AlignBlock(uint length) => ((long)length + MemberLayout.BlockSize - 1) / MemberLayout.BlockSize * MemberLayout.BlockSize;

    internal static void AddFreeOps(List<RecordOp> ops, in StripeRecord stripe)
    {
        foreach (var e in ExtentsOf(stripe)) ops.Add(AllocOps.Freed(e));
    }

    internal static void AddAllocOps(List<RecordOp> ops, in StripeRecord stripe)
    {
        foreach (var e in ExtentsOf(stripe)) ops.Add(AllocOps.Allocated(e));
    }
}
