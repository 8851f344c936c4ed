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

    /// <summary>
    /// Block size of the per-block checksums of raw stripes' data shards (pools with the
    /// StripeBlockChecksums feature): a random read of a raw stripe reads and checks the 16 KiB blocks
    /// it touches, not the whole 256 KiB shard. 16 bytes of metadata per 64 KiB of file data.
    /// </summary>
    public const int ShardBlockBytes = 16 * 1024;

    private readonly StripeCache _stripeCache;
    private readonly ConcurrentDictionary<(ulong Ino, ulong Index, ulong Version), Lazy<StripeData>> _decoding = new();
    private readonly ConcurrentDictionary<ulong, ulong> _lastReadStripe = new();
    private const int MaxReadersNoted = 16 * 1024;
    private int _readersNoted;
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
            var context = StripeContextFor(ino, index);
            var blockBytes = (_log.IncompatFeatures & FeatureFlags.StripeBlockChecksums) != 0 ? ShardBlockBytes : 0;
            var encoded = StripeCodec.Encode(kind, K, M, raw, context, scratch, shards, crcs, blockBytes);
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
                BlockShift = encoded.BlockBytes == 0 ? (byte)0 : (byte)System.Numerics.BitOperations.Log2((uint)encoded.BlockBytes),
                BlockCrcs = encoded.BlockCrcs,
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
            try
            {
                Parallel.For(0, locations.Length, WriteOne);
            }
            catch (AggregateException e) when (e.InnerExceptions.Count > 0)
            {
                // the member's own error (an IOException naming it), not the wrapper
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
            }
        }
        else
        {
            for (var i = 0; i < locations.Length; i++) WriteOne(i);
        }
    }

    /// <summary>
    /// A lease on the decoded bytes of a stored stripe (RawLength bytes), through the stripe cache;
    /// dispose it once the bytes are copied out. One decode per stripe version at a time: the kernel
    /// sends a stripe's 128 KiB readahead READs in parallel, and a prefetch may be decoding it already;
    /// the others wait for that decode instead of repeating it. The decoder's own reference is dropped
    /// by whoever takes the decode out of the table; a waiter that comes too late to retain the result
    /// (dropped and evicted already, which needs a full cache turnover in between) decodes again.
    /// </summary>
    internal StripeLease LoadStripe(InodeId ino, ulong index, in StripeRecord record)
    {
        var version = StripeVersion(record);
        var key = (ino.Value, index, version);
        var stripe = record;
        while (true)
        {
            if (_stripeCache.TryGet(ino, index, version, out var cached))
            {
                return cached;
            }
            var decode = _decoding.GetOrAdd(key, k => new Lazy<StripeData>(() =>
            {
                var data = DecodeStripe(ino, index, stripe, out _);
                _stripeCache.Put(ino, index, version, data);
                return data;
            }, LazyThreadSafetyMode.ExecutionAndPublication));
            StripeData decoded;
            try
            {
                decoded = decode.Value;
            }
            catch
            {
                _decoding.TryRemove(new KeyValuePair<(ulong, ulong, ulong), Lazy<StripeData>>(key, decode));
                throw;
            }
            var retained = decoded.TryRetain();
            if (_decoding.TryRemove(new KeyValuePair<(ulong, ulong, ulong), Lazy<StripeData>>(key, decode)))
            {
                decoded.Release(); // the decoder's reference
            }
            if (retained)
            {
                return new StripeLease(decoded);
            }
        }
    }

    /// <summary>
    /// Sequential readahead for readers whose READs are shorter than a stripe: a read of stripe i right
    /// after stripe i or i-1 of the same file queues the next <see cref="ReadaheadStripes"/> stored
    /// stripes for two readahead threads, so their shard reads and decompression overlap with the kernel
    /// consuming stripe i. That is the kernel's readahead at its 128 KiB default (readahead_kb=0, or
    /// when the mount could not set it) and O_DIRECT readers. With the mount's default of two stripes the
    /// kernel's own readahead sends READs of whole stripes, several in flight across the workers, and
    /// daemon readahead on top only added thread wake-ups (measured: 20000 context switches per GiB
    /// read against 1700 without, and a third more CPU). Random readers never trigger it. Dedicated threads, not the
    /// thread pool: a decode blocks on its shard reads, and pool work items blocking on each other
    /// starve the pool. A queued stripe holds no decode slot: a demand read that gets there first
    /// decodes it itself, and the readahead thread then finds it cached.
    /// </summary>
    private void Readahead(InodeId ino, ulong index, ulong fileSize)
    {
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

    /// <summary>Records a read of stripe <paramref name="index"/>; true when the previous read of the file was this stripe or the one before (a sequential reader).</summary>
    private bool NoteStripeRead(InodeId ino, ulong index)
    {
        if (_lastReadStripe.TryGetValue(ino.Value, out var previous))
        {
            _lastReadStripe[ino.Value] = index;
            return previous == index || previous + 1 == index;
        }
        // One entry per file read since the last reset, not per file ever read (a find | xargs cat
        // over a whole root would keep millions): past the bound the map starts over, and a reader
        // in the middle of a file looks random for one stripe.
        if (Interlocked.Increment(ref _readersNoted) > MaxReadersNoted)
        {
            Interlocked.Exchange(ref _readersNoted, 0);
            _lastReadStripe.Clear();
        }
        _lastReadStripe[ino.Value] = index;
        return false;
    }

    /// <summary>
    /// Reads <paramref name="target"/> (at <paramref name="within"/> bytes into the stripe) from the one
    /// data shard that holds it, when the stripe is erasure coded and stored raw and unencrypted, so the
    /// shard's bytes are the file's bytes. With block checksums in the record, just the blocks the range
    /// touches are read and each is checked against its own CRC32C; otherwise the whole shard is read
    /// and checked against the shard's. False when
    /// that does not apply (the range spans shards, the stripe is compressed, encrypted or replicated) or
    /// the shard is absent, unreadable or bad: the caller then decodes the stripe, which rebuilds it from
    /// the others and counts the error. The stripe's plaintext checksum needs the whole stripe; full reads,
    /// fsck --full and scrub check it.
    /// </summary>
    private bool TryReadWithinShard(in StripeRecord record, int within, Span<byte> target)
    {
        if (!IsStoredRaw(record) || target.IsEmpty)
        {
            return false;
        }
        var s = (int)record.ChunkBytes;
        var shard = within / s;
        if (shard >= record.K || (within + target.Length - 1) / s != shard)
        {
            return false;
        }
        // Past the stripe's raw length the shard holds zero padding; read it as zeros regardless.
        var valid = (int)Math.Clamp((long)record.RawLength - (long)shard * s, 0, s);
        var inShard = within - shard * s;
        if (record.HasBlockCrcs)
        {
            return TryReadShardBlocks(record, shard, inShard, valid, target);
        }
        var buffer = ArrayPool<byte>.Shared.Rent(s);
        try
        {
            var span = buffer.AsSpan(0, s);
            // Not counted here: the decode that follows a failure reads the shard again and counts it.
            if (ReadShard(record.Shards.Span[shard], span, countErrors: false) != ShardState.Good)
            {
                return false;
            }
            CopyPadded(span[..valid], inShard, target);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads a whole stripe stored raw (erasure coded, uncompressed, unencrypted, k full data shards)
    /// straight into <paramref name="target"/>: data shard i at i × chunk, each checked against its
    /// CRC32C, and the plaintext checksum combined from theirs. No intermediate buffer and no copy. False
    /// when that does not apply or a data shard is absent or bad (not counted: the decode that follows
    /// reads the stripe again, rebuilds the shard and counts it); <paramref name="target"/> is then
    /// garbage and the caller decodes into it.
    /// </summary>
    private bool TryReadWholeRawStripe(InodeId ino, ulong index, in StripeRecord record, Span<byte> target)
    {
        var s = (int)record.ChunkBytes;
        var k = record.K;
        if (!IsStoredRaw(record) || record.RawLength != (ulong)k * (ulong)s || target.Length < k * s)
        {
            return false;
        }
        for (var i = 0; i < k; i++)
        {
            if (ReadShard(record.Shards.Span[i], target.Slice(i * s, s), countErrors: false) != ShardState.Good) return false;
        }
        CheckPlainOfGoodShards(record, ToEncoded(record), StripeContextFor(ino, index), target[..(k * s)]);
        return true;
    }

    /// <summary>Erasure coded, uncompressed and unencrypted: the data shards hold the file's bytes as they are.</summary>
    private static bool IsStoredRaw(in StripeRecord record) =>
        record.Kind == StripeKind.ErasureCoded && !record.Encrypted && record.Codec == RecordCodec.None && record.StoredLength == record.RawLength;

    private StripeContext StripeContextFor(InodeId ino, ulong index) =>
        new(PoolUuid, ino, new StripeIndex(index), Settings.Compression, _cipher);

    /// <summary>
    /// The plaintext check of a raw stripe whose data shards all just matched their CRC32Cs: the
    /// plaintext CRC is combined from theirs (StripeCodec.CheckPlain), not computed over the bytes again.
    /// </summary>
    private static void CheckPlainOfGoodShards(in StripeRecord record, in EncodedStripe encoded, in StripeContext context, ReadOnlySpan<byte> dataShards)
    {
        Span<uint> shardCrcs = stackalloc uint[record.K];
        for (var i = 0; i < record.K; i++) shardCrcs[i] = record.Shards.Span[i].Crc32c;
        StripeCodec.CheckPlain(encoded, dataShards, context, shardCrcs, (int)record.ChunkBytes);
    }

    /// <summary>
    /// The blocks of data shard <paramref name="shard"/> that bytes [inShard, inShard + target.Length)
    /// fall in, read at once and each checked against its CRC32C; false when the member is absent, the
    /// read fails or a block is bad (not counted: the decode that follows reads the shard whole, rebuilds
    /// it and counts the error). <paramref name="valid"/>: the shard's bytes that are file data.
    /// </summary>
    private bool TryReadShardBlocks(in StripeRecord record, int shard, int inShard, int valid, Span<byte> target)
    {
        var s = (int)record.ChunkBytes;
        var b = record.BlockBytes;
        var first = inShard / b;
        var last = (inShard + target.Length - 1) / b;
        var start = first * b;
        var length = Math.Min(s, (last + 1) * b) - start;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var span = buffer.AsSpan(0, length);
            if (!TryReadShardBytes(record.Shards.Span[shard], start, span)) return false;
            var crcs = record.BlockCrcs.Span.Slice(shard * record.BlocksPerShard);
            for (var j = first; j <= last; j++)
            {
                var block = span.Slice((j - first) * b, Math.Min(b, s - (j * b)));
                if (Crc32C.Compute(block) != crcs[j]) return false;
            }
            CopyPadded(span[..Math.Clamp(valid - start, 0, length)], inShard - start, target);
            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
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
            // Still the stored version? A truncate, punch or rewrite since it was queued frees its
            // extents, and reading them would count a false checksum error against a member.
            if (!_ns.TryGetStripe(ino, new StripeIndex(index), out var current) || StripeVersion(current) != StripeVersion(record)) continue;
            try
            {
                LoadStripe(ino, index, record).Dispose();
            }
            catch (Exception)
            {
                // Anything: this thread must never take the daemon down (a volume closing under it
                // disposes the members; a stripe may be freed and its extents reused meanwhile).
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
    /// against its CRC32C, then parity only for the missing or corrupt ones; rebuilds only those. The
    /// result is the caller's (one reference; release it). A stripe stored uncompressed and unencrypted
    /// whose data shards all read good is its own decoded form: the buffer the data shards were read
    /// into becomes the result, no copy and no parity space (its plaintext checksum is still checked).
    /// </summary>
    internal StripeData DecodeStripe(InodeId ino, ulong index, in StripeRecord stripe, out ShardState[] shardStatesOut, bool readAll = false)
    {
        var record = stripe;
        var n = record.Shards.Length;
        var s = (int)record.ChunkBytes;
        var need = record.Kind == StripeKind.Replicated ? 1 : record.K;
        var states = new ShardState[n];
        shardStatesOut = states;
        var encoded = ToEncoded(record);
        var context = StripeContextFor(ino, index);
        var firstWave = readAll ? n : need;
        var buffer = ArrayPool<byte>.Shared.Rent(firstWave * s);
        try
        {
            ReadShards(record, buffer, 0, firstWave, states, parallel: readAll);
            var good = 0;
            foreach (var st in states) good += st == ShardState.Good ? 1 : 0;
            if (!readAll && good == need && !encoded.Encrypted && encoded.Codec == CompressionCodec.None)
            {
                CheckPlainOfGoodShards(record, encoded, context, buffer.AsSpan(0, need * s));
                var plain = new StripeData(buffer, encoded.RawLength);
                buffer = null;
                return plain;
            }
            if (firstWave < n)
            {
                // Room for every shard: the parity ones are read into (and rebuilt in) their places.
                var all = ArrayPool<byte>.Shared.Rent(n * s);
                buffer.AsSpan(0, firstWave * s).CopyTo(all);
                ArrayPool<byte>.Shared.Return(buffer);
                buffer = all;
            }
            for (var next = firstWave; good < need && next < n; next++)
            {
                ReadShards(record, buffer, next, 1, states);
                if (states[next] == ShardState.Good) good++;
            }
            if (good < need)
            {
                var lost = string.Join(", ", Enumerable.Range(0, n).Where(i => states[i] != ShardState.Good)
                    .Select(i => $"shard {i} on member {record.Shards.Span[i].Member} {states[i].ToString().ToLowerInvariant()}"));
                throw new VolumeException(Errno.EIO,
                    $"stripe {index} of inode {ino} cannot be read: {good} of {n} shards are good but {need} are needed ({lost}); bring the missing members back or restore from backup");
            }
            Span<bool> present = stackalloc bool[n];
            for (var i = 0; i < n; i++) present[i] = states[i] == ShardState.Good;
            StripeCodec.Reconstruct(encoded, buffer.AsSpan(0, n * s), present);
            var raw = ArrayPool<byte>.Shared.Rent(Math.Max(1, encoded.RawLength));
            var scratch = ArrayPool<byte>.Shared.Rent(StripeCodec.PayloadCapacity(encoded.RawLength));
            try
            {
                StripeCodec.Decode(encoded, buffer.AsSpan(0, n * s), context, scratch, raw.AsSpan(0, encoded.RawLength));
            }
            catch
            {
                ArrayPool<byte>.Shared.Return(raw);
                throw;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
            return new StripeData(raw, encoded.RawLength);
        }
        finally
        {
            if (buffer is not null) ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads one shard into <paramref name="span"/> and checks it against its CRC32C: Missing when its
    /// member is absent or the read fails, Corrupt on a checksum mismatch. A member that fails the
    /// read or returns a bad shard is counted against (its health score) unless <paramref name="countErrors"/> is false.
    /// </summary>
    private ShardState ReadShard(in ShardLocation loc, Span<byte> span, bool countErrors = true)
    {
        var state = !TryReadShardBytes(loc, 0, span) ? ShardState.Missing
            : Crc32C.Compute(span) == loc.Crc32c ? ShardState.Good : ShardState.Corrupt;
        if (state != ShardState.Good && countErrors) _shardErrors.AddOrUpdate(loc.Member, 1, (_, v) => v + 1);
        return state;
    }

    /// <summary>Bytes [offset, offset + span.Length) of a shard; false (missing) when its member is absent or the read fails.</summary>
    private bool TryReadShardBytes(in ShardLocation loc, int offset, Span<byte> span)
    {
        var member = new MemberIndex(loc.Member);
        if (!_log.IsPresent(member)) return false;
        try
        {
            _log.ReadAt(member, (long)loc.OffsetBytes + offset, span);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads shards [<paramref name="first"/>, first + count) of a stripe into their places in
    /// <paramref name="buffer"/> (shard i at i × chunk), checking each against its CRC32C. With
    /// <paramref name="parallel"/> (scrub and repair, which read every shard of one stripe at a time)
    /// big shards are read on several threads. A demand read reads its shards on the calling thread:
    /// its concurrency comes from the kernel's READs in flight across the workers, and handing a shard
    /// to the thread pool cost a wake-up and a wait per stripe for no gain in throughput.
    /// </summary>
    private void ReadShards(in StripeRecord record, byte[] buffer, int first, int count, ShardState[] states, bool parallel = false)
    {
        var s = (int)record.ChunkBytes;
        if (parallel && count > 1 && s >= 64 * 1024)
        {
            ReadShardsParallel(record.Shards, buffer, first, count, states, s);
        }
        else
        {
            // Small shards one after another, with no closure (a small file's read allocates nothing here).
            for (var i = first; i < first + count; i++) states[i] = ReadShard(record.Shards.Span[i], buffer.AsSpan(i * s, s));
        }
    }

    private void ReadShardsParallel(ReadOnlyMemory<ShardLocation> shards, byte[] buffer, int first, int count, ShardState[] states, int s)
    {
        void ReadOne(int i) => states[i] = ReadShard(shards.Span[i], buffer.AsSpan(i * s, s));
        // The calling thread reads the last shard itself: one hand-off to the pool, not one per shard.
        var handoff = new Task[count - 1];
        for (var j = 0; j < count - 1; j++)
        {
            var i = first + j;
            handoff[j] = Task.Run(() => ReadOne(i));
        }
        ReadOne(first + count - 1);
        try
        {
            Task.WaitAll(handoff);
        }
        catch (AggregateException e) when (e.InnerExceptions.Count > 0)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerExceptions[0]);
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
