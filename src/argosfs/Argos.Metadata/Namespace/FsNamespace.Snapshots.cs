using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Named snapshots (docs/format.md §9). A snapshot is three kinds of record, all written by the one
/// transaction that creates it and deleted by the one that deletes it:
/// - Snapshot (name → id, time, txid, counts);
/// - SnapshotData: a frozen copy of every live namespace record (inodes with inline data, entries,
///   xattrs, stripes, the counter), keyed by snapshot id ‖ kind ‖ key;
/// - PinnedExtent: every data extent the frozen stripes name. While any pin names an extent, the
///   volume withholds the AllocOps.Freed the live tree would issue for it (<see cref="IsPinned"/>).
/// Frozen records live in their own per-snapshot table (not the opaque table) so listing snapshots
/// and carried records stays O(snapshots), and the pin counts are kept as records change
/// (transactions, rollback, replay), so <see cref="IsPinned"/> is O(1).
/// </summary>
public sealed partial class FsNamespace
{
    private readonly Dictionary<ulong, Dictionary<byte[], byte[]>> _frozen = [];
    private readonly Dictionary<(int Member, long Offset), int> _pins = [];

    /// <summary>Whether a snapshot pins <paramref name="extent"/> (same member and start offset).</summary>
    public bool IsPinned(Extent extent)
    {
        _lock.EnterReadLock();
        try
        {
            return _pins.ContainsKey((extent.Member.Value, extent.OffsetBytes));
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>Whether any extent is pinned (lets the volume skip the withholding filter).</summary>
    public bool HasPins
    {
        get
        {
            _lock.EnterReadLock();
            try
            {
                return _pins.Count > 0;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        }
    }

    /// <summary>
    /// Records snapshot <paramref name="name"/> of the live tree: the Snapshot record, a frozen copy
    /// of every live namespace record (orphans, being unreachable, are left out) and a pin for every
    /// extent the frozen stripes name. O(namespace). Fails with EEXIST on a taken name.
    /// </summary>
    public SnapshotRecord CreateSnapshot(NamespaceTransaction tx, ReadOnlySpan<byte> name, Timespec created, TxId txid)
    {
        if (!SnapshotCodec.IsValidName(name))
        {
            ThrowHelper.Fail(Errno.EINVAL, "snapshot names are 1..255 bytes without '/' or NUL; pick another name");
        }
        BeginMutation(tx);
        try
        {
            byte[] nameKey = OpaqueKey(RecordKind.Snapshot, name);
            if (_opaque.ContainsKey(nameKey))
            {
                ThrowHelper.Fail(Errno.EEXIST, $"snapshot '{ThrowHelper.NameText(name)}' already exists; pick another name or delete it first");
            }
            ulong id = 1;
            foreach (KeyValuePair<byte[], byte[]> o in _opaque)
            {
                if (o.Key[0] == (byte)RecordKind.Snapshot && SnapshotCodec.TryDecodeValue(o.Value, out SnapshotRecord s, out _))
                {
                    id = Math.Max(id, s.Id + 1);
                }
            }
            foreach (ulong used in _frozen.Keys)
            {
                id = Math.Max(id, used + 1);
            }
            ulong inodes = 0;
            ulong referenced = 0;
            if (_hasCounter)
            {
                Freeze(tx, id, RecordKind.NamespaceCounter, [], CounterCodec.EncodeValue(_nextInode, _generationEpoch));
            }
            foreach (InodeNode node in _inodes.Values)
            {
                if (_orphans.Contains(node.Ino))
                {
                    continue;
                }
                inodes++;
                Freeze(tx, id, RecordKind.Inode, InodeRecordCodec.EncodeKey(new InodeId(node.Ino)), InodeRecordCodec.EncodeValue(node.ToRecord()));
            }
            foreach (KeyValuePair<ulong, DirectoryIndex> dir in _dirs)
            {
                foreach (DirectoryIndex.Slot s in dir.Value.LiveSlots())
                {
                    Freeze(tx, id, RecordKind.Dirent, DirentCodec.EncodeKey(new InodeId(dir.Key), s.Name),
                        DirentCodec.EncodeValue(new InodeId(s.Child), s.Type, s.Cookie));
                }
            }
            foreach (KeyValuePair<ulong, XattrSet> x in _xattrs)
            {
                if (_orphans.Contains(x.Key))
                {
                    continue;
                }
                for (int i = 0; i < x.Value.Count; i++)
                {
                    Freeze(tx, id, RecordKind.Xattr, XattrCodec.EncodeKey(new InodeId(x.Key), x.Value.NameAt(i)), XattrCodec.EncodeValue(x.Value.ValueAt(i)));
                }
            }
            foreach (KeyValuePair<ulong, SortedList<ulong, StripeRecord>> file in _stripes)
            {
                if (_orphans.Contains(file.Key))
                {
                    continue;
                }
                foreach (KeyValuePair<ulong, StripeRecord> stripe in file.Value)
                {
                    Freeze(tx, id, RecordKind.Stripe, StripeRecordCodec.EncodeKey(new InodeId(file.Key), new StripeIndex(stripe.Key)),
                        StripeRecordCodec.EncodeValue(stripe.Value));
                    foreach (Extent e in SnapshotDataCodec.ExtentsOf(stripe.Value))
                    {
                        byte[] pinKey = OpaqueKey(RecordKind.PinnedExtent, SnapshotDataCodec.EncodePinKey(id, e.Member, e.OffsetBytes));
                        if (_opaque.ContainsKey(pinKey))
                        {
                            continue; // two stripes naming one extent: fsck reports that; pin it once
                        }
                        Touch(tx, new TxKey(RecordKind.PinnedExtent, 0, 0, pinKey));
                        SetOpaque(pinKey, SnapshotDataCodec.EncodePinValue(e.LengthBytes));
                        referenced += (ulong)e.LengthBytes;
                    }
                }
            }
            var record = new SnapshotRecord(id, created, txid.Value, 0, inodes, referenced);
            Touch(tx, new TxKey(RecordKind.Snapshot, 0, 0, nameKey));
            SetOpaque(nameKey, SnapshotCodec.EncodeValue(record));
            SealMutation(tx);
            return record;
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

    private void Freeze(NamespaceTransaction tx, ulong id, RecordKind kind, ReadOnlySpan<byte> key, byte[] value)
    {
        byte[] inner = OpaqueKey(kind, key);
        Touch(tx, new TxKey(RecordKind.SnapshotData, id, 0, inner));
        if (!_frozen.TryGetValue(id, out Dictionary<byte[], byte[]>? table))
        {
            table = new Dictionary<byte[], byte[]>(NameComparer.Instance);
            _frozen.Add(id, table);
        }
        table[inner] = value;
    }

    /// <summary>
    /// Deletes snapshot <paramref name="name"/> with its frozen records and pins. Returns the extents
    /// that no other snapshot pins and the live tree does not reference: free them in the same commit
    /// (AllocOps.Freed). Fails with ENOENT on an unknown name.
    /// </summary>
    public IReadOnlyList<Extent> DeleteSnapshot(NamespaceTransaction tx, ReadOnlySpan<byte> name)
    {
        BeginMutation(tx);
        try
        {
            byte[] nameKey = OpaqueKey(RecordKind.Snapshot, name);
            if (!_opaque.TryGetValue(nameKey, out byte[]? raw))
            {
                ThrowHelper.Fail(Errno.ENOENT, $"no snapshot named '{ThrowHelper.NameText(name)}'; 'argosfs snapshot list' shows the names");
            }
            if (!SnapshotCodec.TryDecodeValue(raw, out SnapshotRecord snapshot, out RecordDecodeError error))
            {
                throw new RecordFormatException(RecordKind.Snapshot, name, error, "value");
            }
            ulong id = snapshot.Id;
            if (_frozen.TryGetValue(id, out Dictionary<byte[], byte[]>? table))
            {
                foreach (byte[] inner in table.Keys.ToList())
                {
                    Touch(tx, new TxKey(RecordKind.SnapshotData, id, 0, inner));
                    table.Remove(inner);
                }
                _frozen.Remove(id);
            }
            var unpinned = new List<Extent>();
            foreach (KeyValuePair<byte[], byte[]> o in _opaque.ToList())
            {
                if (o.Key[0] != (byte)RecordKind.PinnedExtent || !SnapshotDataCodec.TryDecodePin(o.Key.AsSpan(1), o.Value, out ulong pinId, out Extent e) || pinId != id)
                {
                    continue;
                }
                Touch(tx, new TxKey(RecordKind.PinnedExtent, 0, 0, o.Key));
                RemoveOpaque(o.Key);
                if (!_pins.ContainsKey((e.Member.Value, e.OffsetBytes)))
                {
                    unpinned.Add(e);
                }
            }
            Touch(tx, new TxKey(RecordKind.Snapshot, 0, 0, nameKey));
            RemoveOpaque(nameKey);
            if (unpinned.Count > 0)
            {
                var live = new HashSet<(int, long)>();
                foreach (SortedList<ulong, StripeRecord> list in _stripes.Values)
                {
                    foreach (StripeRecord stripe in list.Values)
                    {
                        foreach (ShardLocation loc in stripe.Shards.Span)
                        {
                            live.Add((loc.Member, (long)loc.OffsetBytes));
                        }
                    }
                }
                unpinned.RemoveAll(e => live.Contains((e.Member.Value, e.OffsetBytes)));
            }
            SealMutation(tx);
            return unpinned;
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

    /// <summary>A new, detached namespace holding snapshot <paramref name="name"/>'s frozen records: the read-only view of the tree as it was.</summary>
    public FsNamespace OpenSnapshot(ReadOnlySpan<byte> name, out SnapshotRecord snapshot)
    {
        List<RecordOp> records;
        _lock.EnterReadLock();
        try
        {
            if (!_opaque.TryGetValue(OpaqueKey(RecordKind.Snapshot, name), out byte[]? raw))
            {
                ThrowHelper.Fail(Errno.ENOENT, $"no snapshot named '{ThrowHelper.NameText(name)}'; 'argosfs snapshot list' shows the names");
            }
            if (!SnapshotCodec.TryDecodeValue(raw, out snapshot, out RecordDecodeError error))
            {
                throw new RecordFormatException(RecordKind.Snapshot, name, error, "value");
            }
            records = [];
            if (_frozen.TryGetValue(snapshot.Id, out Dictionary<byte[], byte[]>? table))
            {
                foreach (KeyValuePair<byte[], byte[]> r in table)
                {
                    records.Add(RecordOp.Put((RecordKind)r.Key[0], r.Key.AsMemory(1), r.Value));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }
        var view = new FsNamespace(_clock, MaxInodes);
        try
        {
            foreach (RecordOp op in records)
            {
                view.Apply(op);
            }
            view.SortPendingDirectories();
            return view;
        }
        catch
        {
            view.Dispose();
            throw;
        }
    }

    /// <summary>Frozen records per snapshot id (fsck). Called with commits quiesced.</summary>
    public IReadOnlyDictionary<ulong, int> FrozenRecordCounts()
    {
        _lock.EnterReadLock();
        try
        {
            return _frozen.ToDictionary(f => f.Key, f => f.Value.Count);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    // ---- record plumbing (lock held) ---------------------------------------------------------------

    private void SetOpaque(byte[] key, byte[] value)
    {
        if (key[0] == (byte)RecordKind.PinnedExtent && !_opaque.ContainsKey(key))
        {
            PinDelta(key, +1);
        }
        _opaque[key] = value;
    }

    private void RemoveOpaque(byte[] key)
    {
        if (_opaque.Remove(key) && key[0] == (byte)RecordKind.PinnedExtent)
        {
            PinDelta(key, -1);
        }
    }

    private void PinDelta(byte[] opaqueKey, int delta)
    {
        // A malformed pin key is kept as bytes (fsck reports it) but pins nothing.
        if (opaqueKey.Length != 1 + SnapshotDataCodec.PinKeyLength
            || !SnapshotDataCodec.TryDecodePin(opaqueKey.AsSpan(1), SnapshotDataCodec.EncodePinValue(MemberLayout.BlockSize), out _, out Extent e))
        {
            return;
        }
        var where = (e.Member.Value, e.OffsetBytes);
        int count = _pins.GetValueOrDefault(where) + delta;
        if (count <= 0)
        {
            _pins.Remove(where);
        }
        else
        {
            _pins[where] = count;
        }
    }

    private RecordOp EncodeFrozen(in TxKey key)
    {
        byte[] k = SnapshotDataCodec.EncodeDataKey(key.A, (RecordKind)key.Name![0], key.Name.AsSpan(1));
        return _frozen.TryGetValue(key.A, out Dictionary<byte[], byte[]>? table) && table.TryGetValue(key.Name, out byte[]? value)
            ? RecordOp.Put(RecordKind.SnapshotData, k, value)
            : RecordOp.Delete(RecordKind.SnapshotData, k);
    }

    private void ApplyFrozen(in RecordOp op, ReadOnlySpan<byte> key)
    {
        if (!SnapshotDataCodec.TryDecodeDataKey(key, out ulong id, out ReadOnlySpan<byte> inner))
        {
            throw new RecordFormatException(op.Kind, key, RecordDecodeError.InvalidField, "key");
        }
        _frozen.TryGetValue(id, out Dictionary<byte[], byte[]>? table);
        if (op.IsDelete)
        {
            if (table is not null && table.GetAlternateLookup<ReadOnlySpan<byte>>().Remove(inner) && table.Count == 0)
            {
                _frozen.Remove(id);
            }
            return;
        }
        if (table is null)
        {
            table = new Dictionary<byte[], byte[]>(NameComparer.Instance);
            _frozen.Add(id, table);
        }
        table[inner.ToArray()] = op.Value!.Value.ToArray();
    }

    private IEnumerable<RecordOp> EnumerateFrozen(long version)
    {
        foreach (KeyValuePair<ulong, Dictionary<byte[], byte[]>> snapshot in _frozen)
        {
            foreach (KeyValuePair<byte[], byte[]> r in snapshot.Value)
            {
                CheckUnchanged(version);
                yield return RecordOp.Put(RecordKind.SnapshotData, SnapshotDataCodec.EncodeDataKey(snapshot.Key, (RecordKind)r.Key[0], r.Key.AsSpan(1)), r.Value);
            }
        }
    }
}
