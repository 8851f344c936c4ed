using Argos.Format;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Stripe maps (per regular file, sorted by stripe index) and the records of kinds the namespace
/// only carries for the log (PoolConfig, Member, Snapshot, PinnedExtent): stored as bytes so a
/// checkpoint holds them, read back by their owners.
/// </summary>
public sealed partial class FsNamespace
{
    public void PutStripe(NamespaceTransaction tx, InodeId ino, StripeIndex index, in StripeRecord stripe)
    {
        BeginMutation(tx);
        try
        {
            InodeNode node = Node(ino.Value);
            if (!PosixMode.IsRegular(node.Mode))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"inode {ino} is not a regular file; only regular files have stripes");
            }
            if (!StripeRecordCodec.IsValid(stripe))
            {
                ThrowHelper.Fail(Errno.EINVAL, $"stripe {index.Value} of inode {ino}: invalid layout (k={stripe.K}, m={stripe.M}, {stripe.Shards.Length} shards)");
            }
            TouchStripe(tx, ino.Value, index.Value);
            if (!_stripes.TryGetValue(ino.Value, out SortedList<ulong, StripeRecord>? list))
            {
                list = [];
                _stripes.Add(ino.Value, list);
            }
            list[index.Value] = stripe;
            SealMutation(tx);
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool TryGetStripe(InodeId ino, StripeIndex index, out StripeRecord stripe)
    {
        _lock.EnterReadLock();
        try
        {
            if (_stripes.TryGetValue(ino.Value, out SortedList<ulong, StripeRecord>? list) && list.TryGetValue(index.Value, out stripe))
            {
                return true;
            }
            stripe = default;
            return false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>How many stripes a file has stored (O(1)); a hole has none, so st_blocks can leave holes out.</summary>
    public int StripeCount(InodeId ino)
    {
        _lock.EnterReadLock();
        try
        {
            return _stripes.TryGetValue(ino.Value, out SortedList<ulong, StripeRecord>? list) ? list.Count : 0;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Stripes with index ≥ <paramref name="first"/>, in order, at most <paramref name="maxCount"/> (O(log n + count)).</summary>
    public int GetStripes(InodeId ino, StripeIndex first, int maxCount, List<KeyValuePair<StripeIndex, StripeRecord>> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _lock.EnterReadLock();
        try
        {
            if (!_stripes.TryGetValue(ino.Value, out SortedList<ulong, StripeRecord>? list))
            {
                return 0;
            }
            int added = 0;
            for (int i = LowerBound(list, first.Value); i < list.Count && added < maxCount; i++, added++)
            {
                output.Add(new(new StripeIndex(list.Keys[i]), list.Values[i]));
            }
            return added;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Deletes stripes with index ≥ <paramref name="first"/> (truncate) and returns them; free their extents after the commit.</summary>
    public IReadOnlyList<KeyValuePair<StripeIndex, StripeRecord>> RemoveStripesFrom(NamespaceTransaction tx, InodeId ino, StripeIndex first) =>
        RemoveStripes(tx, ino, first, new StripeIndex(ulong.MaxValue)); // no stripe has index 2^64-1: a file ends before 2^63

    /// <summary>
    /// Deletes stripes with <paramref name="first"/> ≤ index &lt; <paramref name="end"/> (a punched hole) and returns
    /// them; free their extents after the commit. Only the removed stripes reach the log.
    /// </summary>
    public IReadOnlyList<KeyValuePair<StripeIndex, StripeRecord>> RemoveStripes(NamespaceTransaction tx, InodeId ino, StripeIndex first, StripeIndex end)
    {
        BeginMutation(tx);
        try
        {
            Node(ino.Value);
            var removed = new List<KeyValuePair<StripeIndex, StripeRecord>>();
            if (first.Value < end.Value && _stripes.TryGetValue(ino.Value, out SortedList<ulong, StripeRecord>? list))
            {
                int start = LowerBound(list, first.Value);
                int stop = LowerBound(list, end.Value);
                for (int i = start; i < stop; i++)
                {
                    TouchStripe(tx, ino.Value, list.Keys[i]);
                    removed.Add(new(new StripeIndex(list.Keys[i]), list.Values[i]));
                }
                if ((long)(stop - start) * (list.Count - stop) <= list.Count)
                {
                    // From the end (truncate) or a few: each RemoveAt shifts only the stripes after it.
                    for (int i = stop - 1; i >= start; i--)
                    {
                        list.RemoveAt(i);
                    }
                }
                else
                {
                    // Many from the middle: one copy of the survivors, not one shift per removed stripe.
                    var kept = new SortedList<ulong, StripeRecord>(list.Count - (stop - start));
                    for (int i = 0; i < list.Count; i++)
                    {
                        if (i < start || i >= stop)
                        {
                            kept.Add(list.Keys[i], list.Values[i]);
                        }
                    }
                    list = kept;
                    _stripes[ino.Value] = kept;
                }
                if (list.Count == 0)
                {
                    _stripes.Remove(ino.Value);
                }
            }
            SealMutation(tx);
            return removed;
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private static int LowerBound(SortedList<ulong, StripeRecord> list, ulong key)
    {
        IList<ulong> keys = list.Keys;
        int lo = 0;
        int hi = keys.Count;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (keys[mid] < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    // ---- carried records -----------------------------------------------------------------------

    /// <summary>Puts a record of a kind the namespace carries without interpreting (PoolConfig, Member, Snapshot, PinnedExtent).</summary>
    public void PutRecord(NamespaceTransaction tx, RecordKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        RequireCarriedKind(kind);
        BeginMutation(tx);
        try
        {
            byte[] k = OpaqueKey(kind, key);
            Touch(tx, new TxKey(kind, 0, 0, k));
            SetOpaque(k, value.ToArray());
            SealMutation(tx);
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Deletes a carried record; returns false when it did not exist.</summary>
    public bool DeleteRecord(NamespaceTransaction tx, RecordKind kind, ReadOnlySpan<byte> key)
    {
        RequireCarriedKind(kind);
        BeginMutation(tx);
        try
        {
            byte[] k = OpaqueKey(kind, key);
            bool existed = _opaque.ContainsKey(k);
            if (existed)
            {
                Touch(tx, new TxKey(kind, 0, 0, k));
                RemoveOpaque(k);
            }
            SealMutation(tx);
            return existed;
        }
        catch
        {
            AbortMutation(tx);
            throw;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    public bool TryGetRecord(RecordKind kind, ReadOnlySpan<byte> key, out ReadOnlyMemory<byte> value)
    {
        RequireCarriedKind(kind);
        _lock.EnterReadLock();
        try
        {
            if (_opaque.TryGetValue(OpaqueKey(kind, key), out byte[]? v))
            {
                value = v;
                return true;
            }
            value = default;
            return false;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Every carried record of one kind as (key, value). O(carried records).</summary>
    public IReadOnlyList<KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>> GetRecords(RecordKind kind)
    {
        RequireCarriedKind(kind);
        _lock.EnterReadLock();
        try
        {
            var result = new List<KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>>>();
            foreach (KeyValuePair<byte[], byte[]> o in _opaque)
            {
                if (o.Key[0] == (byte)kind)
                {
                    result.Add(new(o.Key.AsMemory(1), o.Value));
                }
            }
            return result;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    public void PutSnapshot(NamespaceTransaction tx, ReadOnlySpan<byte> name, in SnapshotRecord snapshot)
    {
        if (!SnapshotCodec.IsValidName(name))
        {
            ThrowHelper.Fail(Errno.EINVAL, "snapshot names are 1..255 bytes without '/' or NUL");
        }
        PutRecord(tx, RecordKind.Snapshot, name, SnapshotCodec.EncodeValue(snapshot));
    }

    /// <summary>Named snapshots; a record that does not decode is reported, not skipped.</summary>
    public IReadOnlyList<KeyValuePair<ReadOnlyMemory<byte>, SnapshotRecord>> ListSnapshots()
    {
        var result = new List<KeyValuePair<ReadOnlyMemory<byte>, SnapshotRecord>>();
        foreach (KeyValuePair<ReadOnlyMemory<byte>, ReadOnlyMemory<byte>> r in GetRecords(RecordKind.Snapshot))
        {
            if (!SnapshotCodec.TryDecodeValue(r.Value.Span, out SnapshotRecord s, out RecordDecodeError e))
            {
                throw new RecordFormatException(RecordKind.Snapshot, r.Key.Span, e, "value");
            }
            result.Add(new(r.Key, s));
        }
        return result;
    }

    private static void RequireCarriedKind(RecordKind kind)
    {
        switch (kind)
        {
            case RecordKind.Inode:
            case RecordKind.Dirent:
            case RecordKind.Xattr:
            case RecordKind.Stripe:
            case RecordKind.Orphan:
            case RecordKind.NamespaceCounter:
            case RecordKind.AllocBitmap:
            case RecordKind.AllocExtent:
            case RecordKind.SnapshotData:
                throw new ArgumentException($"{kind} records are not carried opaquely; use the namespace operations (or the log's allocator) for them", nameof(kind));
        }
    }
}
