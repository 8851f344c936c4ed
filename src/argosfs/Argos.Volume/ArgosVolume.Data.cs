using System.Buffers;
using System.Collections.Concurrent;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Volume;

/// <summary>
/// File data. Writes land in per-file stripe buffers (whole stripes, read-modify-write from the stored
/// stripe); a stripe is encoded and written when a write completes it (streaming), and every other
/// dirty stripe on fsync, close, the group-commit interval or when a file holds too many. Each flush
/// commits the new stripe records, the allocations and the file size in one transaction, so the
/// metadata never names a shard that was not written. Reads serve dirty buffers first, then decoded
/// stripes (cached), and read holes as zeros. Tiny files live inline in their inode record.
/// </summary>
public sealed partial class ArgosVolume
{
    private const int MaxDirtyStripesPerFile = 32;

    private readonly ConcurrentDictionary<ulong, FileBuffer> _buffers = new();

    private sealed class FileBuffer(ulong size)
    {
        public readonly object Gate = new();
        public readonly SortedDictionary<ulong, byte[]> Dirty = new();
        public ulong Size = size;
        public bool SizeChanged;
        public bool Recorded;
        public bool Dead;
        public Timespec LastWrite;
        public DateTime FirstDirty = DateTime.MaxValue;
        /// <summary>Dirty stripes handed to a store thread: read-only until their records commit.</summary>
        public readonly HashSet<ulong> Sealed = new();
        /// <summary>Sealed stripes stored already, waiting for a lower one still being stored: records commit in index order.</summary>
        public readonly SortedDictionary<ulong, (StripeRecord Record, byte[] Data)> Parked = new();
        /// <summary>Bytes per member reserved for each buffered stripe (ArgosVolume.Reservation.cs).</summary>
        public readonly Dictionary<ulong, long> Reserved = new();
    }

    /// <summary>Attributes with buffered writes taken into account (the size a reader sees).</summary>
    public InodeAttributes GetAttr(InodeId ino)
    {
        if (_buffers.TryGetValue(ino.Value, out var fb))
        {
            lock (fb.Gate)
            {
                // Read under the gate: a flush commits the file's size under it and retires the buffer
                // after that, so a size read before the buffer is looked at could predate a commit that
                // finished meanwhile (a stat right after close, while RELEASE stores the file).
                var attr = _ns.GetAttr(ino);
                if (!fb.Dead && (fb.Dirty.Count > 0 || fb.SizeChanged))
                {
                    attr = attr with { Size = fb.Size, Mtime = fb.LastWrite.Seconds == 0 ? attr.Mtime : fb.LastWrite };
                }
                if (!fb.Dead) return attr;
            }
        }
        return _ns.GetAttr(ino);
    }

    /// <summary>
    /// Data bytes a file occupies before parity, for st_blocks: whole stripes stored or buffered, and inline
    /// data; holes count nothing (du, and cp's sparse detection, rely on that). At most the size rounded up
    /// to 4 KiB, as on a filesystem without preallocation.
    /// </summary>
    public ulong AllocatedBytes(InodeId ino, ulong size)
    {
        var s = (ulong)StripeDataBytes;
        var stripes = (ulong)_ns.StripeCount(ino);
        if (_buffers.TryGetValue(ino.Value, out var fb))
        {
            lock (fb.Gate)
            {
                if (!fb.Dead)
                {
                    foreach (var index in fb.Dirty.Keys)
                    {
                        if (!_ns.TryGetStripe(ino, new StripeIndex(index), out _)) stripes++;
                    }
                }
            }
        }
        var bytes = stripes == 0 ? (ulong)_ns.GetInlineData(ino).Length : stripes * s;
        return Math.Min(bytes, (size + 4095) / 4096 * 4096);
    }

    public int Read(InodeId ino, ulong offset, Span<byte> destination) => Read(ino, offset, destination, null);

    /// <summary>
    /// Reads from <paramref name="offset"/> into <paramref name="destination"/>; returns the bytes read (short
    /// at the end of the file). <paramref name="beforeMemberIo"/> runs (once or more) before the read waits
    /// on the members: a stripe neither buffered nor cached (the FUSE frontend passes the request's
    /// <c>WillBlock</c>, so the requests behind a cold read are served meanwhile).
    /// </summary>
    public int Read(InodeId ino, ulong offset, Span<byte> destination, Action? beforeMemberIo)
    {
        var attr = GetAttr(ino);
        if (!PosixMode.IsRegular(attr.Mode))
        {
            throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.EINVAL, $"inode {ino} is not a regular file");
        }
        if (offset >= attr.Size) return 0;
        var length = (int)Math.Min((ulong)destination.Length, attr.Size - offset);
        destination = destination[..length];
        _buffers.TryGetValue(ino.Value, out var fb);
        if (fb is not null)
        {
            lock (fb.Gate)
            {
                if (!fb.Dead)
                {
                    ReadRange(ino, offset, destination, fb, attr.Size, beforeMemberIo);
                    return length;
                }
            }
        }
        ReadRange(ino, offset, destination, null, attr.Size, beforeMemberIo);
        return length;
    }

    private void ReadRange(InodeId ino, ulong offset, Span<byte> destination, FileBuffer? fb, ulong fileSize, Action? beforeMemberIo)
    {
        var s = (ulong)StripeDataBytes;
        ReadOnlyMemory<byte> inline = default;
        var inlineLoaded = false;
        var done = 0;
        while (done < destination.Length)
        {
            var pos = offset + (ulong)done;
            var index = pos / s;
            var within = (int)(pos % s);
            var take = (int)Math.Min((ulong)(destination.Length - done), s - (ulong)within);
            var target = destination.Slice(done, take);
            if (fb is not null && fb.Dirty.TryGetValue(index, out var dirty))
            {
                CopyPadded(dirty, within, target); // buffers grow on demand: past their end is zeros
            }
            else if (_ns.TryGetStripe(ino, new StripeIndex(index), out var stripe))
            {
                // A random read of a raw stripe costs one data shard, not the stripe; a sequential
                // reader in READs smaller than a stripe decodes whole stripes into the cache and reads
                // ahead, and a stripe cached or being decoded already (the kernel's parallel READs of
                // one window) is waited for. A file of one stripe has no next stripe to read ahead:
                // its reads are not tracked.
                var sequential = fileSize > s && NoteStripeRead(ino, index);
                var version = StripeVersion(stripe);
                var cached = _stripeCache.Contains(ino, index, version);
                var inFlight = cached || _decoding.ContainsKey((ino.Value, index, version));
                if (!cached) beforeMemberIo?.Invoke();
                var shared = sequential || inFlight;
                if (!inFlight && within == 0 && (ulong)take >= stripe.RawLength)
                {
                    // This READ takes the whole stripe (a small file read at once, or a streaming reader's
                    // 1 MiB READ): the kernel caches the pages, so nothing goes to the stripe cache. A raw
                    // stripe's data shards are read straight into the reply; others are decoded into a
                    // pooled buffer that goes back to the pool at once.
                    if (!TryReadWholeRawStripe(ino, index, stripe, target))
                    {
                        var decoded = DecodeStripe(ino, index, stripe, out _);
                        try
                        {
                            CopyPadded(decoded.Span, 0, target);
                        }
                        finally
                        {
                            decoded.Release();
                        }
                    }
                }
                else if (shared || !TryReadWithinShard(stripe, within, target))
                {
                    using (var lease = LoadStripe(ino, index, stripe)) CopyPadded(lease.Span, within, target);
                }
                // READs of a stripe or more come from the kernel's own readahead, which keeps several in
                // flight: the daemon reads ahead only for readers in smaller READs (see Readahead).
                if (sequential && fb is null && destination.Length < StripeDataBytes) Readahead(ino, index, fileSize);
            }
            else if (index == 0)
            {
                if (!inlineLoaded)
                {
                    inline = _ns.GetInlineData(ino);
                    inlineLoaded = true;
                }
                CopyPadded(inline.Span, within, target);
            }
            else
            {
                target.Clear();
            }
            done += take;
        }
    }

    /// <summary>Copies <paramref name="source"/> from <paramref name="offset"/> into <paramref name="target"/>; what the source lacks reads as zeros.</summary>
    internal static void CopyPadded(ReadOnlySpan<byte> source, int offset, Span<byte> target)
    {
        var available = Math.Max(0, Math.Min(source.Length - offset, target.Length));
        if (available > 0) source.Slice(offset, available).CopyTo(target);
        target[available..].Clear();
    }

    /// <summary>
    /// The current content of one stripe (for read-modify-write), in a buffer of at least
    /// <paramref name="minLength"/> bytes. Buffers grow on demand up to the stripe size, so a small
    /// file costs a small buffer, not a whole stripe. <paramref name="beforeMemberIo"/> runs before a
    /// stored stripe is read.
    /// </summary>
    private byte[] LoadStripeForWrite(InodeId ino, ulong index, int minLength, Action? beforeMemberIo = null)
    {
        if (_ns.TryGetStripe(ino, new StripeIndex(index), out var stripe))
        {
            beforeMemberIo?.Invoke();
            using var lease = LoadStripe(ino, index, stripe);
            return RentStripeBuffer(Math.Max(minLength, lease.Length), lease.Span);
        }
        var inline = index == 0 ? _ns.GetInlineData(ino).Span : default;
        return RentStripeBuffer(Math.Max(minLength, inline.Length), inline);
    }

    /// <summary>
    /// A buffer from the pool for at least <paramref name="needed"/> bytes of a stripe (see
    /// <see cref="BufferLength"/>) starting with <paramref name="content"/> and zeros after it: past
    /// what was written, a buffer reads as zeros. Pooled, because a streaming writer fills a stripe-sized
    /// buffer per stripe and fresh ones cost a page fault per page. Every buffer is returned
    /// (<see cref="ReturnStripeBuffer"/>) once it leaves <c>FileBuffer.Dirty</c>, under the file's gate.
    /// </summary>
    private byte[] RentStripeBuffer(int needed, ReadOnlySpan<byte> content = default, bool overwritten = false)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferLength(needed));
        var copied = Math.Min(content.Length, buffer.Length);
        content[..copied].CopyTo(buffer);
        var clearFrom = overwritten ? Math.Max(copied, needed) : copied; // the caller fills [0, needed) at once
        Array.Clear(buffer, clearFrom, buffer.Length - clearFrom);
        return buffer;
    }

    private static void ReturnStripeBuffer(byte[] buffer) => ArrayPool<byte>.Shared.Return(buffer);

    /// <summary>A buffer size for <paramref name="needed"/> bytes: 4 KiB-aligned powers of two, at most a stripe.</summary>
    private int BufferLength(int needed)
    {
        var length = 4096;
        while (length < needed && length < StripeDataBytes) length <<= 1;
        return Math.Min(length, StripeDataBytes);
    }

    private byte[] Grow(byte[] buffer, int needed)
    {
        if (buffer.Length >= needed) return buffer;
        var grown = RentStripeBuffer(needed, buffer);
        ReturnStripeBuffer(buffer);
        return grown;
    }

    private FileBuffer AcquireBuffer(InodeId ino, out bool gateTaken)
    {
        while (true)
        {
            var fb = _buffers.GetOrAdd(ino.Value, static (key, self) => new FileBuffer(self._ns.GetAttr(new InodeId(key)).Size), this);
            gateTaken = false;
            Monitor.Enter(fb.Gate, ref gateTaken);
            if (!fb.Dead) return fb;
            Monitor.Exit(fb.Gate);
        }
    }

    public void Write(InodeId ino, ulong offset, ReadOnlySpan<byte> data, in Credentials caller) => Write(ino, offset, data, caller, null);

    /// <summary>
    /// Writes into the file's buffer. <paramref name="beforeMemberIo"/> runs before the write waits: for a
    /// stripe being stored in the background, to read a stored stripe it changes part of, or to store
    /// stripes itself (too many buffered, or the store threads busy). A write that only copies returns
    /// without calling it (the FUSE frontend passes the request's <c>WillBlock</c>).
    /// </summary>
    public void Write(InodeId ino, ulong offset, ReadOnlySpan<byte> data, in Credentials caller, Action? beforeMemberIo)
    {
        ThrowIfReadOnly("write");
        if (Settings.Encrypted && _cipher is null)
        {
            throw new VolumeException(Errno.EACCES, "encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file");
        }
        var attr = _ns.GetAttr(ino);
        if (!PosixMode.IsRegular(attr.Mode))
        {
            throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.EINVAL, $"inode {ino} is not a regular file");
        }
        if (data.IsEmpty) return;
        var end = checked(offset + (ulong)data.Length);
        var s = (ulong)StripeDataBytes;
        FileBuffer fb;
        while (true)
        {
            // A stripe being stored in the background is read-only until its record commits.
            fb = AcquireBuffer(ino, out _);
            if (!TouchesSealed(fb, offset / s, (end - 1) / s)) break;
            beforeMemberIo?.Invoke();
            Monitor.Wait(fb.Gate);
            Monitor.Exit(fb.Gate); // the buffer may have been written out and retired meanwhile: start over
        }
        try
        {
            // Room on the members first: a write the pool cannot hold fails here, with nothing changed.
            ReserveForWriteLocked(fb, offset / s, (end - 1) / s, Math.Max(fb.Size, end));
            // Recorded once per flush, but again when a writer without CAP_FSETID meets setuid/setgid
            // left by an earlier (root) writer of the same buffered data.
            if (!fb.Recorded || (!caller.IsRoot && ((attr.Mode & PosixMode.S_ISUID) != 0
                || ((attr.Mode & PosixMode.S_ISGID) != 0 && ((attr.Mode & PosixMode.S_IXGRP) != 0 || !caller.InGroup(attr.Gid))))))
            {
                // The write happens now: mtime/ctime, and privileges dropped as file_remove_privs() does.
                // Not counted toward the group commit's transaction bound: the commit of this data,
                // which is counted, comes after it in the log, so whenever that is durable this is too.
                var who = caller;
                MutateLazy(tx => _ns.RecordWrite(tx, ino, fb.Size, who));
                fb.Recorded = true;
            }
            var done = 0;
            var completed = new List<ulong>();
            while (done < data.Length)
            {
                var pos = offset + (ulong)done;
                var index = pos / s;
                var within = (int)(pos % s);
                var take = (int)Math.Min((ulong)(data.Length - done), s - (ulong)within);
                if (!fb.Dirty.TryGetValue(index, out var buffer))
                {
                    buffer = take == StripeDataBytes ? RentStripeBuffer(StripeDataBytes, overwritten: true) : LoadStripeForWrite(ino, index, within + take, beforeMemberIo);
                    fb.Dirty[index] = buffer;
                }
                if (buffer.Length < within + take)
                {
                    buffer = Grow(buffer, within + take);
                    fb.Dirty[index] = buffer;
                }
                data.Slice(done, take).CopyTo(buffer.AsSpan(within));
                if (within + take == StripeDataBytes) completed.Add(index);
                done += take;
            }
            if (end > fb.Size)
            {
                fb.Size = end;
                fb.SizeChanged = true;
            }
            fb.LastWrite = Timespec.Now();
            if (fb.FirstDirty == DateTime.MaxValue) fb.FirstDirty = DateTime.UtcNow;
            if (fb.Dirty.Count > MaxDirtyStripesPerFile)
            {
                beforeMemberIo?.Invoke();
                WaitSealedLocked(fb); // our stripes keep the buffer alive: it cannot be retired meanwhile
                FlushBufferLocked(ino, fb, null);
            }
            else if (completed.Count > 0)
            {
                // Streaming: completed stripes go to the store threads and this write returns; when
                // they are all busy, the writer stores its stripes itself (that is the backpressure).
                var inline = _ns.GetInlineData(ino).Length > 0;
                var handedOff = new List<ulong>();
                foreach (var index in completed)
                {
                    if (index == 0 && inline) continue; // replacing inline data: committed with care below
                    if (TryStoreInBackground(ino, fb, index)) handedOff.Add(index);
                }
                if (handedOff.Count < completed.Count)
                {
                    beforeMemberIo?.Invoke();
                    FlushBufferLocked(ino, fb, completed.Except(handedOff).ToList());
                }
            }
        }
        finally
        {
            Monitor.Exit(fb.Gate);
        }
    }

    private static bool TouchesSealed(FileBuffer fb, ulong first, ulong last)
    {
        foreach (var index in fb.Sealed)
        {
            if (index >= first && index <= last) return true;
        }
        return false;
    }

    /// <summary>Waits (the file's gate held) until no stripe of the file is being stored in the background.</summary>
    private static void WaitSealedLocked(FileBuffer fb)
    {
        while (fb.Sealed.Count > 0) Monitor.Wait(fb.Gate);
    }

    /// <summary>Encodes and stores dirty stripes (all, or just <paramref name="only"/>), then commits
    /// their records, allocations and the size in one transaction. Flushing all of them needs the
    /// background stores of the file finished first (<see cref="WaitSealedLocked"/>).</summary>
    private void FlushBufferLocked(InodeId ino, FileBuffer fb, List<ulong>? only)
    {
        if (only is null && fb.Sealed.Count > 0)
        {
            throw new InvalidOperationException("flushing a file whose stripes are still being stored in the background");
        }
        var indices = only ?? fb.Dirty.Keys.ToList();
        var s = (ulong)StripeDataBytes;
        var stored = new List<(ulong Index, StripeRecord Record)>();
        byte[]? inlineData = null;
        var clearInline = false;
        try
        {
            var toStore = new List<(ulong Index, byte[] Buffer, int RawLength)>();
            foreach (var index in indices)
            {
                if (!fb.Dirty.TryGetValue(index, out var buffer)) continue;
                var start = index * s;
                if (start >= fb.Size) continue;
                var rawLength = (int)Math.Min(s, fb.Size - start);
                if (buffer.Length < rawLength)
                {
                    buffer = Grow(buffer, rawLength); // a file extended past the buffer reads zeros there
                    fb.Dirty[index] = buffer;
                }
                if (index == 0 && fb.Size <= (ulong)Math.Min(Settings.InlineThresholdBytes, FsNamespace.InlineDataMaxBytes) && !Settings.Encrypted)
                {
                    inlineData = buffer.AsSpan(0, rawLength).ToArray();
                    continue;
                }
                if (index == 0) clearInline = true;
                toStore.Add((index, buffer, rawLength));
            }
            // Compression and encoding dominate a flush: several stripes are encoded in parallel.
            var results = new StripeRecord?[toStore.Count];
            Exception? failure = null;
            if (toStore.Count > 1)
            {
                Parallel.For(0, toStore.Count, i =>
                {
                    try
                    {
                        results[i] = StoreStripe(ino, toStore[i].Index, toStore[i].Buffer.AsSpan(0, toStore[i].RawLength));
                    }
                    catch (Exception e)
                    {
                        Interlocked.CompareExchange(ref failure, e, null);
                    }
                });
            }
            else if (toStore.Count == 1)
            {
                results[0] = StoreStripe(ino, toStore[0].Index, toStore[0].Buffer.AsSpan(0, toStore[0].RawLength));
            }
            for (var i = 0; i < toStore.Count; i++)
            {
                if (results[i] is { } record) stored.Add((toStore[i].Index, record));
            }
            if (failure is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }
        catch
        {
            foreach (var (_, record) in stored)
            {
                foreach (var e in ExtentsOf(record)) _log.Allocator.Release(e);
            }
            throw;
        }
        CommitStoredLocked(ino, fb, stored, inlineData, clearInline, indices);
    }

    /// <summary>
    /// Commits stored stripes of a file (and its inline data) in one transaction, then drops them from
    /// the buffer; retires the buffer when nothing is left in it. The file's gate is held. On failure
    /// the caller still owns the stored stripes' extents.
    /// </summary>
    private void CommitStoredLocked(InodeId ino, FileBuffer fb, List<(ulong Index, StripeRecord Record)> stored,
        byte[]? inlineData, bool clearInline, IReadOnlyCollection<ulong> indices)
    {
        var s = (ulong)StripeDataBytes;
        // The committed size never covers a stripe still buffered: streaming flushes store only the
        // completed stripes, and a crash before the rest is flushed must not leave a file of the new
        // size with zeros where the buffered tail was written. The buffered size stays visible to
        // readers (GetAttr) and is committed with the last dirty stripe.
        var committedSize = fb.Size;
        var firstBuffered = ulong.MaxValue;
        foreach (var index in fb.Dirty.Keys)
        {
            if (index < firstBuffered && !stored.Any(x => x.Index == index) && !(index == 0 && inlineData is not null)) firstBuffered = index;
        }
        if (firstBuffered != ulong.MaxValue && firstBuffered * s < committedSize)
        {
            committedSize = Math.Max(_ns.GetAttr(ino).Size, firstBuffered * s);
        }
        var extra = new List<RecordOp>();
        Mutate(tx =>
        {
            foreach (var (index, record) in stored)
            {
                if (_ns.TryGetStripe(ino, new StripeIndex(index), out var old)) AddFreeOps(extra, old);
                _ns.PutStripe(tx, ino, new StripeIndex(index), record);
                AddAllocOps(extra, record);
            }
            if (inlineData is not null)
            {
                if (_ns.TryGetStripe(ino, new StripeIndex(0), out var old))
                {
                    // The file shrank back into its inode: its stripes go.
                    foreach (var (_, removed) in _ns.RemoveStripesFrom(tx, ino, new StripeIndex(0))) AddFreeOps(extra, removed);
                }
                _ns.SetInlineData(tx, ino, inlineData);
            }
            else if (clearInline && _ns.GetInlineData(ino).Length > 0)
            {
                _ns.SetInlineData(tx, ino, []);
            }
            if (fb.SizeChanged || stored.Count > 0 || inlineData is not null)
            {
                _ns.SetAttr(tx, ino, new SetAttrRequest { Size = committedSize, Mtime = TimeChange.At(fb.LastWrite) }, Credentials.Root);
            }
        }, extraOps: extra);
        foreach (var (index, record) in stored)
        {
            _stripeCache.Forget(ino, index);
            RemoveDirty(fb, index);
        }
        if (inlineData is not null) RemoveDirty(fb, 0);
        foreach (var index in indices)
        {
            if (index * s >= fb.Size && !fb.Sealed.Contains(index)) RemoveDirty(fb, index);
        }
        if (fb.Dirty.Count == 0)
        {
            fb.SizeChanged = false;
            fb.Recorded = false;
            fb.FirstDirty = DateTime.MaxValue;
            fb.Dead = true;
            ReleaseAllReservedLocked(fb);
            _buffers.TryRemove(new KeyValuePair<ulong, FileBuffer>(ino.Value, fb));
        }
    }

    /// <summary>
    /// Writes out one file's buffered data (fsync, close). With <paramref name="durable"/>, returns once it
    /// is on the members. <paramref name="beforeMemberIo"/> runs before the flush waits: for a background
    /// store of the file, to store more than <see cref="SmallStoreBytes"/>, or for a durable commit. Storing
    /// a small file is a few page-cache writes and does not call it (the FUSE frontend passes the
    /// request's <c>WillBlock</c>: such a close is answered by the reading worker).
    /// </summary>
    public void Flush(InodeId ino, bool durable = false, Action? beforeMemberIo = null)
    {
        if (ReadOnly) return;
        while (_buffers.TryGetValue(ino.Value, out var fb))
        {
            lock (fb.Gate)
            {
                if (fb.Sealed.Count > 0 || BufferedBytesLocked(fb) > SmallStoreBytes) beforeMemberIo?.Invoke();
                WaitSealedLocked(fb);
                if (fb.Dead) continue; // its last stripes committed in the background; a newer buffer may exist
                FlushBufferLocked(ino, fb, null);
                break;
            }
        }
        if (durable)
        {
            beforeMemberIo?.Invoke();
            lock (_commitGate) FlushLogLocked();
        }
    }

    /// <summary>Buffered bytes a flush stores without calling its hint: a small file's worth.</summary>
    public const int SmallStoreBytes = 64 * 1024;

    private static long BufferedBytesLocked(FileBuffer fb)
    {
        long bytes = 0;
        foreach (var buffer in fb.Dirty.Values) bytes += buffer.Length;
        return bytes;
    }

    private void FlushAllFiles()
    {
        foreach (var key in _buffers.Keys.ToList())
        {
            Flush(new InodeId(key));
        }
    }

    /// <summary>Writes out files whose oldest buffered write is <paramref name="age"/> old; true when there were any.</summary>
    private bool FlushAgedFiles(TimeSpan age)
    {
        var now = DateTime.UtcNow;
        var any = false;
        foreach (var (key, fb) in _buffers.ToArray())
        {
            if (now - fb.FirstDirty < age) continue;
            Flush(new InodeId(key));
            any = true;
        }
        return any;
    }

    private void ForgetBuffer(InodeId ino)
    {
        if (_buffers.TryRemove(ino.Value, out var fb))
        {
            lock (fb.Gate)
            {
                fb.Dead = true;
                foreach (var (index, buffer) in fb.Dirty)
                {
                    // A stripe being stored in the background is the store thread's to give back.
                    if (!fb.Sealed.Contains(index)) ReturnStripeBuffer(buffer);
                }
                fb.Dirty.Clear();
                ReleaseAllReservedLocked(fb);
            }
        }
    }

    /// <summary>Drops one dirty stripe of a file and gives its buffer back (the file's gate is held).</summary>
    private void RemoveDirty(FileBuffer fb, ulong index)
    {
        if (fb.Dirty.Remove(index, out var buffer)) ReturnStripeBuffer(buffer);
        ReleaseReservedLocked(fb, index);
    }

    /// <summary>Sets a file's size: drops whole stripes past the end, trims the last one, zero-extends lazily (a hole).</summary>
    public InodeAttributes Truncate(InodeId ino, ulong size, in Credentials caller, SetAttrRequest? alsoSet = null)
    {
        ThrowIfReadOnly("truncate");
        Flush(ino);
        var s = (ulong)StripeDataBytes;
        var keep = (size + s - 1) / s; // stripes [0, keep) stay
        StripeRecord? trimmed = null;
        var tail = size % s;
        if (tail != 0 && _ns.TryGetStripe(ino, new StripeIndex(size / s), out var last) && last.RawLength > tail)
        {
            using var raw = LoadStripe(ino, size / s, last);
            trimmed = StoreStripe(ino, size / s, raw.Span[..(int)tail]);
        }
        var extra = new List<RecordOp>();
        var who = caller;
        var request = (alsoSet ?? default) with { Size = size };
        try
        {
            return Mutate(tx =>
            {
                foreach (var (_, removed) in _ns.RemoveStripesFrom(tx, ino, new StripeIndex(keep))) AddFreeOps(extra, removed);
                if (trimmed is { } t)
                {
                    if (_ns.TryGetStripe(ino, new StripeIndex(size / s), out var old)) AddFreeOps(extra, old);
                    _ns.PutStripe(tx, ino, new StripeIndex(size / s), t);
                    AddAllocOps(extra, t);
                }
                _stripeCache.Forget(ino);
                return _ns.SetAttr(tx, ino, request, who);
            }, extraOps: extra);
        }
        catch
        {
            if (trimmed is { } t) foreach (var e in ExtentsOf(t)) _log.Allocator.Release(e);
            throw;
        }
    }

    /// <summary>
    /// SEEK_DATA / SEEK_HOLE at stripe granularity (a stored stripe is data, a missing one a hole). Walks the
    /// stored stripes, never the stripe indices: O(stripes) whatever the file size (a file may end at 2^63).
    /// </summary>
    public ulong Seek(InodeId ino, ulong offset, bool data)
    {
        Flush(ino);
        var size = GetAttr(ino).Size;
        if (offset >= size)
        {
            throw new VolumeException(Errno.ENXIO, $"offset {offset} is at or past the end of inode {ino} ({size} bytes)");
        }
        var s = (ulong)StripeDataBytes;
        var index = offset / s;
        var inline = index == 0 && _ns.GetInlineData(ino).Length > 0; // inline data is stripe 0
        var stored = new List<KeyValuePair<StripeIndex, StripeRecord>>(64);
        if (data)
        {
            if (inline) return offset;
            _ns.GetStripes(ino, new StripeIndex(index), 1, stored);
            if (stored.Count == 0 || stored[0].Key.Value >= (size + s - 1) / s)
            {
                throw new VolumeException(Errno.ENXIO, $"no data in inode {ino} after offset {offset}");
            }
            return Math.Max(offset, stored[0].Key.Value * s);
        }
        // SEEK_HOLE: the first index at or after `index` without a stored stripe, or the end of file.
        var next = inline ? index + 1 : index;
        while (next * s < size)
        {
            stored.Clear();
            if (_ns.GetStripes(ino, new StripeIndex(next), stored.Capacity, stored) == 0 || stored[0].Key.Value != next) break;
            var i = 0;
            while (i < stored.Count && stored[i].Key.Value == next)
            {
                next++;
                i++;
            }
            if (i < stored.Count) break; // a gap inside this batch
        }
        return Math.Min(size, Math.Max(offset, next * s));
    }
}
