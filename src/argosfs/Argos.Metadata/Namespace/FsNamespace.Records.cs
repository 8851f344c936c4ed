using Argos.Format;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;

namespace Argos.Metadata.Namespace;

/// <summary>
/// Records: encoding the current state of a record for a transaction, applying records on replay
/// and rollback, enumerating them for a checkpoint. Apply is order-independent across records
/// (a dirent may arrive before its directory's inode, xattrs before their inode), so checkpoint
/// loads may stream records in any order and one transaction's ops commute.
/// </summary>
public sealed partial class FsNamespace
{
    // ---- mutation scaffolding --------------------------------------------------------------------

    private void BeginMutation(NamespaceTransaction tx)
    {
        ArgumentNullException.ThrowIfNull(tx);
        tx.EnsureOpen(this);
        _lock.EnterWriteLock();
        _version++;
        tx.OpTouched.Clear();
        tx.OpTouchedSet.Clear();
        tx.OpFirstTouched.Clear();
        tx.FreedAtOpStart = tx.FreedCount;
    }

    /// <summary>Records the after-image of every record the operation touched.</summary>
    private void SealMutation(NamespaceTransaction tx)
    {
        foreach (TxKey key in tx.OpTouched)
        {
            tx.SetOp(key, EncodeCurrent(key));
        }
        tx.OpTouched.Clear();
        tx.OpTouchedSet.Clear();
        tx.OpFirstTouched.Clear();
    }

    /// <summary>Undoes a failed operation: each record it touched goes back to its image at operation start.</summary>
    private void AbortMutation(NamespaceTransaction tx)
    {
        foreach (TxKey key in tx.OpTouched)
        {
            RecordOp image = tx.TryGetOp(key, out RecordOp sealedOp) ? sealedOp : tx.Before[key];
            ApplyCore(image);
        }
        foreach (TxKey key in tx.OpFirstTouched)
        {
            tx.Before.Remove(key);
        }
        tx.TruncateFreed(tx.FreedAtOpStart);
        tx.OpTouched.Clear();
        tx.OpTouchedSet.Clear();
        tx.OpFirstTouched.Clear();
    }

    internal void RollbackTransaction(NamespaceTransaction tx)
    {
        _lock.EnterWriteLock();
        try
        {
            _version++;
            foreach (RecordOp image in tx.Before.Values)
            {
                ApplyCore(image);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Call before changing a record: remembers its before-image (once per transaction).</summary>
    private void Touch(NamespaceTransaction tx, TxKey key)
    {
        if (!tx.OpTouchedSet.Add(key))
        {
            return;
        }
        tx.OpTouched.Add(key);
        if (!tx.Before.ContainsKey(key))
        {
            tx.Before.Add(key, EncodeCurrent(key));
            tx.OpFirstTouched.Add(key);
        }
    }

    private void TouchInode(NamespaceTransaction tx, ulong ino) => Touch(tx, new TxKey(RecordKind.Inode, ino));

    private void TouchDirent(NamespaceTransaction tx, ulong parent, byte[] name) => Touch(tx, new TxKey(RecordKind.Dirent, parent, 0, name));

    private void TouchXattr(NamespaceTransaction tx, ulong ino, byte[] name) => Touch(tx, new TxKey(RecordKind.Xattr, ino, 0, name));

    private void TouchOrphan(NamespaceTransaction tx, ulong ino) => Touch(tx, new TxKey(RecordKind.Orphan, ino));

    private void TouchStripe(NamespaceTransaction tx, ulong ino, ulong index) => Touch(tx, new TxKey(RecordKind.Stripe, ino, index));

    private void TouchCounter(NamespaceTransaction tx) => Touch(tx, new TxKey(RecordKind.NamespaceCounter, 0));

    // ---- encoding the current state ---------------------------------------------------------------

    private RecordOp EncodeCurrent(in TxKey key)
    {
        switch (key.Kind)
        {
            case RecordKind.Inode:
            {
                byte[] k = InodeRecordCodec.EncodeKey(new InodeId(key.A));
                return _inodes.TryGetValue(key.A, out InodeNode? node)
                    ? RecordOp.Put(RecordKind.Inode, k, InodeRecordCodec.EncodeValue(node.ToRecord()))
                    : RecordOp.Delete(RecordKind.Inode, k);
            }
            case RecordKind.Dirent:
            {
                byte[] k = DirentCodec.EncodeKey(new InodeId(key.A), key.Name);
                if (_dirs.TryGetValue(key.A, out DirectoryIndex? index) && index.TryFind(key.Name, out int slot))
                {
                    ref readonly DirectoryIndex.Slot s = ref index.At(slot);
                    return RecordOp.Put(RecordKind.Dirent, k, DirentCodec.EncodeValue(new InodeId(s.Child), s.Type, s.Cookie));
                }
                return RecordOp.Delete(RecordKind.Dirent, k);
            }
            case RecordKind.Xattr:
            {
                byte[] k = XattrCodec.EncodeKey(new InodeId(key.A), key.Name);
                return TryGetXattrValue(key.A, key.Name, out byte[]? value)
                    ? RecordOp.Put(RecordKind.Xattr, k, XattrCodec.EncodeValue(value))
                    : RecordOp.Delete(RecordKind.Xattr, k);
            }
            case RecordKind.Orphan:
            {
                byte[] k = OrphanCodec.EncodeKey(new InodeId(key.A));
                return _orphans.Contains(key.A) ? RecordOp.Put(RecordKind.Orphan, k, Array.Empty<byte>()) : RecordOp.Delete(RecordKind.Orphan, k);
            }
            case RecordKind.Stripe:
            {
                byte[] k = StripeRecordCodec.EncodeKey(new InodeId(key.A), new StripeIndex(key.B));
                return _stripes.TryGetValue(key.A, out SortedList<ulong, StripeRecord>? list) && list.TryGetValue(key.B, out StripeRecord stripe)
                    ? RecordOp.Put(RecordKind.Stripe, k, StripeRecordCodec.EncodeValue(stripe))
                    : RecordOp.Delete(RecordKind.Stripe, k);
            }
            case RecordKind.NamespaceCounter:
                return _hasCounter
                    ? RecordOp.Put(RecordKind.NamespaceCounter, Array.Empty<byte>(), CounterCodec.EncodeValue(_nextInode, _generationEpoch))
                    : RecordOp.Delete(RecordKind.NamespaceCounter, Array.Empty<byte>());
            case RecordKind.SnapshotData:
                return EncodeFrozen(key);
            default:
            {
                // Opaque kinds: Name holds kind byte ‖ key.
                byte[] k = key.Name![1..];
                return _opaque.TryGetValue(key.Name, out byte[]? value)
                    ? RecordOp.Put(key.Kind, k, value)
                    : RecordOp.Delete(key.Kind, k);
            }
        }
    }

    // ---- IRecordStore ---------------------------------------------------------------------------

    /// <summary>Applies one replayed record (checkpoint put or journal op). Throws <see cref="RecordFormatException"/> on malformed bytes.</summary>
    public void Apply(in RecordOp op)
    {
        _lock.EnterWriteLock();
        try
        {
            _version++;
            ApplyCore(op);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    private void ApplyCore(in RecordOp op)
    {
        ReadOnlySpan<byte> key = op.Key.Span;
        switch (op.Kind)
        {
            case RecordKind.Inode:
                ApplyInode(op, key);
                break;
            case RecordKind.Dirent:
                ApplyDirent(op, key);
                break;
            case RecordKind.Xattr:
                ApplyXattr(op, key);
                break;
            case RecordKind.Orphan:
            {
                if (!OrphanCodec.TryDecodeKey(key, out InodeId ino))
                {
                    throw new RecordFormatException(op.Kind, key, RecordDecodeError.InvalidField, "key");
                }
                if (op.IsDelete)
                {
                    _orphans.Remove(ino.Value);
                }
                else if (!OrphanCodec.TryDecodeValue(op.Value!.Value.Span, out RecordDecodeError e))
                {
                    throw new RecordFormatException(op.Kind, key, e, "value");
                }
                else
                {
                    _orphans.Add(ino.Value);
                }
                break;
            }
            case RecordKind.Stripe:
                ApplyStripe(op, key);
                break;
            case RecordKind.NamespaceCounter:
            {
                if (key.Length != 0)
                {
                    throw new RecordFormatException(op.Kind, key, RecordDecodeError.TrailingBytes, "key");
                }
                if (op.IsDelete)
                {
                    _hasCounter = false;
                    _nextInode = 0;
                    _generationEpoch = 0;
                }
                else if (!CounterCodec.TryDecodeValue(op.Value!.Value.Span, out ulong next, out ulong epoch, out RecordDecodeError e))
                {
                    throw new RecordFormatException(op.Kind, key, e, "value");
                }
                else
                {
                    _hasCounter = true;
                    _nextInode = next;
                    _generationEpoch = epoch;
                }
                break;
            }
            case RecordKind.SnapshotData:
                ApplyFrozen(op, key);
                break;
            case RecordKind.AllocBitmap:
            case RecordKind.AllocExtent:
                throw new ArgumentException($"{op.Kind} records belong to the metadata log's allocator and must not be applied to the namespace", nameof(op));
            default:
            {
                byte[] k = OpaqueKey(op.Kind, key);
                if (op.IsDelete)
                {
                    RemoveOpaque(k);
                }
                else
                {
                    SetOpaque(k, op.Value!.Value.ToArray());
                }
                break;
            }
        }
    }

    private void ApplyInode(in RecordOp op, ReadOnlySpan<byte> key)
    {
        if (!InodeRecordCodec.TryDecodeKey(key, out InodeId ino))
        {
            throw new RecordFormatException(op.Kind, key, RecordDecodeError.InvalidField, "key");
        }
        if (op.IsDelete)
        {
            if (_inodes.Remove(ino.Value, out InodeNode? old) && old.IsDirectory)
            {
                _directoryCount--;
            }
            lock (_openCounts)
            {
                _openCounts.Remove(ino.Value);
            }
            return;
        }
        if (!InodeRecordCodec.TryDecodeValue(ino, op.Value!.Value.Span, out InodeRecord record, out RecordDecodeError error))
        {
            throw new RecordFormatException(op.Kind, key, error, "value");
        }
        if (_inodes.TryGetValue(ino.Value, out InodeNode? node))
        {
            bool wasDir = node.IsDirectory;
            node.Assign(record);
            _directoryCount += (node.IsDirectory ? 1 : 0) - (wasDir ? 1 : 0);
        }
        else
        {
            node = new InodeNode();
            node.Assign(record);
            _inodes.Add(ino.Value, node);
            if (node.IsDirectory)
            {
                _directoryCount++;
            }
        }
    }

    private void ApplyDirent(in RecordOp op, ReadOnlySpan<byte> key)
    {
        if (!DirentCodec.TryDecodeKey(key, out InodeId parent, out ReadOnlySpan<byte> name))
        {
            throw new RecordFormatException(op.Kind, key, RecordDecodeError.InvalidField, "key");
        }
        _dirs.TryGetValue(parent.Value, out DirectoryIndex? index);
        int slot = -1;
        if (index is not null && !index.TryFind(name, out slot))
        {
            slot = -1;
        }
        if (op.IsDelete)
        {
            if (slot >= 0)
            {
                index!.RemoveAt(slot);
                DropIndexIfEmpty(parent.Value, index);
            }
            return;
        }
        if (!DirentCodec.TryDecodeValue(op.Value!.Value.Span, out InodeId child, out byte type, out ulong cookie, out RecordDecodeError error))
        {
            throw new RecordFormatException(op.Kind, key, error, "value");
        }
        if (slot >= 0 && index!.At(slot).Cookie == cookie)
        {
            index.Update(slot, child.Value, type);
            return;
        }
        byte[] storedName;
        if (slot >= 0)
        {
            storedName = index!.At(slot).Name!;
            index.RemoveAt(slot);
        }
        else
        {
            storedName = name.ToArray();
        }
        if (index is null)
        {
            index = new DirectoryIndex();
            _dirs.Add(parent.Value, index);
        }
        index.Add(storedName, child.Value, type, cookie);
        if (!index.IsSorted)
        {
            _unsorted.Add(index);
        }
    }

    private void ApplyXattr(in RecordOp op, ReadOnlySpan<byte> key)
    {
        if (!XattrCodec.TryDecodeKey(key, out InodeId ino, out ReadOnlySpan<byte> name))
        {
            throw new RecordFormatException(op.Kind, key, RecordDecodeError.InvalidField, "key");
        }
        _xattrs.TryGetValue(ino.Value, out XattrSet? set);
        if (op.IsDelete)
        {
            if (set is not null)
            {
                int i = set.IndexOf(name);
                if (i >= 0)
                {
                    set.RemoveAt(i);
                    if (set.Count == 0)
                    {
                        _xattrs.Remove(ino.Value);
                    }
                }
            }
            return;
        }
        if (!XattrCodec.TryDecodeValue(op.Value!.Value.Span, out ReadOnlySpan<byte> value, out RecordDecodeError error))
        {
            throw new RecordFormatException(op.Kind, key, error, "value");
        }
        if (set is null)
        {
            set = new XattrSet();
            _xattrs.Add(ino.Value, set);
        }
        set.Set(name.ToArray(), value.ToArray());
    }

    private void ApplyStripe(in RecordOp op, ReadOnlySpan<byte> key)
    {
        if (!StripeRecordCodec.TryDecodeKey(key, out InodeId ino, out StripeIndex index))
        {
            throw new RecordFormatException(op.Kind, key, RecordDecodeError.InvalidField, "key");
        }
        _stripes.TryGetValue(ino.Value, out SortedList<ulong, StripeRecord>? list);
        if (op.IsDelete)
        {
            if (list is not null && list.Remove(index.Value) && list.Count == 0)
            {
                _stripes.Remove(ino.Value);
            }
            return;
        }
        if (!StripeRecordCodec.TryDecodeValue(op.Value!.Value.Span, out StripeRecord stripe, out RecordDecodeError error))
        {
            throw new RecordFormatException(op.Kind, key, error, "value");
        }
        if (list is null)
        {
            list = [];
            _stripes.Add(ino.Value, list);
        }
        list[index.Value] = stripe;
    }

    private void DropIndexIfEmpty(ulong parent, DirectoryIndex index)
    {
        if (index.Count == 0)
        {
            _dirs.Remove(parent);
            _unsorted.Remove(index);
        }
    }

    private static byte[] OpaqueKey(RecordKind kind, ReadOnlySpan<byte> key)
    {
        var k = new byte[key.Length + 1];
        k[0] = (byte)kind;
        key.CopyTo(k.AsSpan(1));
        return k;
    }

    /// <summary>
    /// Every live record as a put: the counter, inodes, directory entries (cookie order per
    /// directory), xattrs, orphans, stripes, records of kinds the namespace only carries, then
    /// snapshots' frozen records.
    /// The caller quiesces commits; a mutation during the enumeration throws.
    /// </summary>
    public IEnumerable<RecordOp> EnumerateAll()
    {
        SortPendingDirectories();
        long version = Volatile.Read(ref _version);
        if (_hasCounter)
        {
            yield return RecordOp.Put(RecordKind.NamespaceCounter, Array.Empty<byte>(), CounterCodec.EncodeValue(_nextInode, _generationEpoch));
        }
        foreach (InodeNode node in _inodes.Values)
        {
            CheckUnchanged(version);
            yield return RecordOp.Put(RecordKind.Inode, InodeRecordCodec.EncodeKey(new InodeId(node.Ino)), InodeRecordCodec.EncodeValue(node.ToRecord()));
        }
        foreach (KeyValuePair<ulong, DirectoryIndex> dir in _dirs)
        {
            foreach (DirectoryIndex.Slot s in dir.Value.LiveSlots())
            {
                CheckUnchanged(version);
                yield return RecordOp.Put(RecordKind.Dirent, DirentCodec.EncodeKey(new InodeId(dir.Key), s.Name),
                    DirentCodec.EncodeValue(new InodeId(s.Child), s.Type, s.Cookie));
            }
        }
        foreach (KeyValuePair<ulong, XattrSet> x in _xattrs)
        {
            for (int i = 0; i < x.Value.Count; i++)
            {
                CheckUnchanged(version);
                yield return RecordOp.Put(RecordKind.Xattr, XattrCodec.EncodeKey(new InodeId(x.Key), x.Value.NameAt(i)), XattrCodec.EncodeValue(x.Value.ValueAt(i)));
            }
        }
        foreach (ulong ino in _orphans)
        {
            CheckUnchanged(version);
            yield return RecordOp.Put(RecordKind.Orphan, OrphanCodec.EncodeKey(new InodeId(ino)), Array.Empty<byte>());
        }
        foreach (KeyValuePair<ulong, SortedList<ulong, StripeRecord>> s in _stripes)
        {
            foreach (KeyValuePair<ulong, StripeRecord> stripe in s.Value)
            {
                CheckUnchanged(version);
                yield return RecordOp.Put(RecordKind.Stripe, StripeRecordCodec.EncodeKey(new InodeId(s.Key), new StripeIndex(stripe.Key)),
                    StripeRecordCodec.EncodeValue(stripe.Value));
            }
        }
        foreach (KeyValuePair<byte[], byte[]> o in _opaque)
        {
            CheckUnchanged(version);
            yield return RecordOp.Put((RecordKind)o.Key[0], o.Key[1..], o.Value);
        }
        foreach (RecordOp frozen in EnumerateFrozen(version))
        {
            yield return frozen;
        }
    }

    private void CheckUnchanged(long version)
    {
        if (Volatile.Read(ref _version) != version)
        {
            throw new InvalidOperationException("the namespace changed during EnumerateAll; quiesce commits before writing a checkpoint");
        }
    }

    /// <summary>Sorts directories left out of cookie order by replay or rollback. Takes the write lock; call with no lock held.</summary>
    private void SortPendingDirectories()
    {
        // A racy read is fine: only replay and rollback add to the set, and they hold the write lock,
        // which this method takes before sorting.
        if (_unsorted.Count == 0)
        {
            return;
        }
        _lock.EnterWriteLock();
        try
        {
            foreach (DirectoryIndex index in _unsorted)
            {
                index.Sort();
            }
            _unsorted.Clear();
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }
}
