using System.Collections.Concurrent;
using Argos.Format;
using Argos.Metadata.Namespace.Encoding;

namespace Argos.Volume;

/// <summary>
/// Write-behind for streaming writers: a WRITE that completes a stripe hands it to a store thread
/// and returns, so the application fills the next stripe while this one is compressed, encoded and
/// written to the members (before, the writer waited for all of that on every completed stripe).
/// A handed-off stripe stays in the file's buffer, sealed: readers are served from it, writers to it
/// wait, and fsync, close, truncate and the group commit wait for it (<c>WaitSealedLocked</c>) before
/// they flush the rest. Its record commits under the file's gate exactly as a foreground flush
/// commits it (<c>CommitStoredLocked</c>), so the crash rules are the same: a committed size never
/// covers a stripe still buffered, and records of one file commit in index order (a stripe stored
/// before a lower one waits, parked, and commits with it). The queue is short; when it is full the writer stores its stripe
/// itself, which is the backpressure. A store that fails (no space, a member error) leaves the stripe
/// dirty and unsealed: the next flush of the file stores it again and reports the error to its caller.
/// </summary>
public sealed partial class ArgosVolume
{
    private const int StoreThreads = 2;
    private const int StoreQueueDepth = 4;

    private readonly BlockingCollection<StoreJob> _storeQueue = new(boundedCapacity: StoreQueueDepth);
    private int _storeThreadsStarted;
    private int _storeFailuresLogged;

    private sealed record StoreJob(InodeId Ino, FileBuffer Buffer, ulong Index, byte[] Data, int RawLength);

    /// <summary>Seals a completed dirty stripe and queues it; false when the queue is full (store it yourself).</summary>
    private bool TryStoreInBackground(InodeId ino, FileBuffer fb, ulong index)
    {
        if (_storeQueue.IsAddingCompleted || !fb.Dirty.TryGetValue(index, out var data)) return false;
        var rawLength = StripeDataBytes;
        if (data.Length < rawLength || fb.Size < (index + 1) * (ulong)rawLength) return false;
        StartStoreThreads();
        fb.Sealed.Add(index);
        bool queued;
        try
        {
            queued = _storeQueue.TryAdd(new StoreJob(ino, fb, index, data, rawLength));
        }
        catch (InvalidOperationException)
        {
            queued = false; // closing: adding completed
        }
        if (!queued) fb.Sealed.Remove(index);
        return queued;
    }

    private void StartStoreThreads()
    {
        if (Volatile.Read(ref _storeThreadsStarted) != 0 || Interlocked.Exchange(ref _storeThreadsStarted, 1) != 0) return;
        for (var i = 0; i < StoreThreads; i++)
        {
            new Thread(StoreLoop) { IsBackground = true, Name = "argos-store" }.Start();
        }
    }

    private void StoreLoop()
    {
        foreach (var job in _storeQueue.GetConsumingEnumerable())
        {
            try
            {
                StoreSealed(job);
            }
            catch (Exception e)
            {
                // StoreSealed handles store and commit failures itself; this is the last line so a
                // store thread never takes the daemon down.
                Console.Error.WriteLine($"argosfs: store thread: {e.Message}");
            }
        }
    }

    private void StoreSealed(StoreJob job)
    {
        var (ino, fb, index, data, rawLength) = job;
        StripeRecord? record = null;
        Exception? failure = null;
        try
        {
            record = StoreStripe(ino, index, data.AsSpan(0, rawLength));
        }
        catch (Exception e)
        {
            failure = e;
        }
        lock (fb.Gate)
        {
            try
            {
                var current = fb.Dirty.TryGetValue(index, out var inBuffer) && ReferenceEquals(inBuffer, data);
                if (fb.Dead || !current)
                {
                    // The file went away meanwhile (its buffer was forgotten): nothing names these extents,
                    // and the buffers of forgotten sealed stripes are the store threads' to give back.
                    fb.Sealed.Remove(index);
                    if (record is { } orphan) ReleaseExtents(orphan);
                    if (!current) ReturnStripeBuffer(data);
                    foreach (var (key, parked) in fb.Parked)
                    {
                        ReleaseExtents(parked.Record);
                        fb.Sealed.Remove(key);
                        var stillBuffered = fb.Dirty.TryGetValue(key, out var b) && ReferenceEquals(b, parked.Data);
                        if (!stillBuffered) ReturnStripeBuffer(parked.Data);
                    }
                    fb.Parked.Clear();
                    return;
                }
                if (record is not { } stored)
                {
                    // Stays dirty (unsealed) for the next flush. Stripes above it stored meanwhile must
                    // not commit: the committed size stops below this one, so they would lie past it.
                    fb.Sealed.Remove(index);
                    foreach (var (above, parked) in fb.Parked.Where(p => p.Key > index).ToList())
                    {
                        ReleaseExtents(parked.Record);
                        fb.Parked.Remove(above);
                        fb.Sealed.Remove(above);
                    }
                }
                else
                {
                    fb.Parked[index] = (stored, data);
                    // Commit, in one transaction, the parked stripes below the lowest one still being stored.
                    var storing = fb.Sealed.Where(i => !fb.Parked.ContainsKey(i)).DefaultIfEmpty(ulong.MaxValue).Min();
                    var ready = fb.Parked.Where(p => p.Key < storing).Select(p => (p.Key, p.Value.Record)).ToList();
                    if (ready.Count > 0)
                    {
                        foreach (var (i, _) in ready)
                        {
                            fb.Parked.Remove(i);
                            fb.Sealed.Remove(i);
                        }
                        try
                        {
                            CommitStoredLocked(ino, fb, ready, null, clearInline: false, ready.Select(r => r.Key).ToList());
                        }
                        catch (Exception e)
                        {
                            failure = e; // as in a foreground flush: extents a failed commit may have named stay taken (fsck reclaims them)
                        }
                    }
                }
                if (failure is not null && Interlocked.Increment(ref _storeFailuresLogged) <= 8)
                {
                    Console.Error.WriteLine($"argosfs: storing stripe {index} of inode {ino} in the background failed ({failure.Message}); it stays buffered and the next flush of the file retries it");
                }
            }
            finally
            {
                Monitor.PulseAll(fb.Gate);
            }
        }
    }

    private void ReleaseExtents(in StripeRecord record)
    {
        foreach (var e in ExtentsOf(record)) _log.Allocator.Release(e);
    }
}
