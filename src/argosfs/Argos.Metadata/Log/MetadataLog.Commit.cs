using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Records;
using Argos.Storage;

namespace Argos.Metadata.Log;

public sealed partial class MetadataLog
{
    /// <summary>Append + Flush: the transaction is durable on every present member when this returns.</summary>
    public TxId Commit(IReadOnlyList<RecordOp> ops)
    {
        lock (_writeGate)
        lock (_gate)
        {
            TxId txid = Append(ops);
            Flush();
            return txid;
        }
    }

    /// <summary>
    /// Buffers one transaction (group commit). Nothing is durable until <see cref="Flush"/>; the caller
    /// decides when. AllocExtent and Member ops take effect in the log at once (puts mark extents
    /// allocated, deletes park them until this transaction is durable).
    /// </summary>
    public TxId Append(IReadOnlyList<RecordOp> ops)
    {
        lock (_gate)
        {
            ThrowIfUnwritable();
            // Validate before touching any state so that a bad op leaves nothing half-applied.
            int need = 0;
            foreach (RecordOp op in ops)
            {
                int valueLength = op.Value?.Length ?? 0;
                if (op.Key.Length > OpCodec.MaxKeyBytes || valueLength > OpCodec.MaxValueBytes)
                {
                    throw new ArgumentException($"{op.Kind} record too large (key {op.Key.Length}, value {valueLength} bytes)");
                }
                if (op.Kind is RecordKind.AllocBitmap or RecordKind.CheckpointExtent)
                {
                    throw new ArgumentException($"{op.Kind} records are written by checkpoints only; use AllocOps for allocations");
                }
                if (op.Kind == RecordKind.AllocExtent && !AllocRecords.TryDecodeExtentKey(op.Key.Span, out _))
                {
                    throw new ArgumentException("malformed AllocExtent key; build AllocExtent ops with AllocOps");
                }
                if (op.Kind == RecordKind.Member && !(op.IsDelete
                        ? MemberRecord.TryDecodeKey(op.Key.Span, out _)
                        : MemberRecord.TryDecode(op.Key.Span, op.Value!.Value.Span, out _)))
                {
                    throw new ArgumentException("malformed Member record");
                }
                need += OpCodec.EncodedLength(op.Key.Length, valueLength);
            }
            EnsureRecordCapacity(JournalRecordHeader.Size + _payloadLength + need + JournalRecordHeader.Alignment);
            TxId txid = _lastTxId.Next;
            foreach (RecordOp op in ops)
            {
                ReadOnlySpan<byte> value = op.Value is { } v ? v.Span : default;
                _payloadLength += OpCodec.Write(_record.AsSpan(JournalRecordHeader.Size + _payloadLength), (byte)op.Kind, op.IsDelete, op.Key.Span, value);
                _opCount++;
                ApplyOwned(op.Kind, op.IsDelete, op.Key.Span, value, replay: false, txid);
            }
            _txCount++;
            _lastTxId = txid;
            return txid;
        }
    }

    /// <summary>Writes the buffered transactions as one journal record to every present member and flushes.</summary>
    public void Flush()
    {
        lock (_writeGate)
        lock (_gate)
        {
            if (_poisoned)
            {
                // A pipelined flush that failed took its sealed batch with it: nothing is buffered,
                // but those transactions are not durable, and a caller waiting for them must hear so.
                ThrowIfUnwritable();
            }
            if (_txCount == 0)
            {
                return;
            }
            ThrowIfUnwritable();
            Guarded(() =>
            {
                FlushLocked();
                return 0;
            });
        }
    }

    /// <summary>
    /// Flush, pipelined: the buffered transactions are sealed into one journal record under the log's
    /// lock, and the record is written and flushed outside it, so <see cref="Append"/> goes on meanwhile
    /// (into the next record). <paramref name="flushData"/> runs after the seal and before the record
    /// is written: data of every sealed transaction was written before its Append, so it is durable
    /// before the record that names it (I-DATA-BEFORE-META). Flushes are serialized and write their
    /// records in seal order. False, with nothing done, when the record would not fit in the journal:
    /// the caller then flushes with <see cref="Flush"/>, which checkpoints.
    /// </summary>
    public bool FlushPipelined(Action flushData)
    {
        lock (_writeGate)
        {
            byte[] record;
            int padded;
            long tip;
            TxId last;
            lock (_gate)
            {
                if (_txCount == 0)
                {
                    return true;
                }
                ThrowIfUnwritable();
                padded = JournalRecordHeader.PaddedLength(_payloadLength);
                if (!FitsInJournal(padded))
                {
                    return false;
                }
                (record, tip, last) = SealLocked(padded);
            }
            try
            {
                flushData();
                WriteRecord(record, padded, tip);
            }
            catch
            {
                lock (_gate) _poisoned = true; // a sealed record that may not be on the members: reopen decides
                throw;
            }
            lock (_gate) Written(record, last);
            return true;
        }
    }

    /// <summary>Seals the buffered transactions into a record at the tip and starts a new buffer (_gate held).</summary>
    private (byte[] Record, long Tip, TxId Last) SealLocked(int padded)
    {
        var header = new JournalRecordHeader
        {
            PayloadLength = _payloadLength,
            OpCount = _opCount,
            Epoch = _epoch,
            TxId = _lastTxId,
            TxCount = _txCount,
            WrittenNs = MemberFormatter.NowNs(),
            PrevHash = _prevHash,
        };
        header.Seal(_record.AsSpan(0, padded));
        var record = _record;
        var tip = _tip;
        _prevHash = record.AsSpan(JournalRecordHeader.RecordHashOffset, JournalRecordHeader.HashLength).ToArray();
        _tip += padded;
        _record = _spareRecord is { } spare && spare.Length >= 64 * 1024 ? spare : new byte[64 * 1024];
        _spareRecord = null;
        _payloadLength = 0;
        _opCount = 0;
        _txCount = 0;
        return (record, tip, _lastTxId);
    }

    /// <summary>Writes a sealed record at <paramref name="tip"/> on every present member and flushes them.</summary>
    private void WriteRecord(byte[] record, int padded, long tip)
    {
        if (CrashPoints.IsArmed(CrashPoints.JournalPartial))
        {
            LogMember first = _members[0];
            first.Device.WriteAt(first.Sb.Layout.JournalOffset + tip, record.AsSpan(0, padded));
            first.Device.Flush();
            CrashPoints.Hit(CrashPoints.JournalPartial);
        }
        Parallel.ForEach(_members, m => m.Device.WriteAt(m.Sb.Layout.JournalOffset + tip, record.AsSpan(0, padded)));
        CrashPoints.Hit(CrashPoints.JournalWritten);
        Parallel.ForEach(_members, m => m.Device.Flush());
        CrashPoints.Hit(CrashPoints.JournalFlushed);
    }

    private void FlushLocked()
    {
        if (_txCount == 0)
        {
            return;
        }
        int padded = JournalRecordHeader.PaddedLength(_payloadLength);
        if (!FitsInJournal(padded))
        {
            // The journal is full (or the batch is bigger than the journal): a checkpoint makes every
            // appended transaction durable, and the record itself is never written.
            CheckpointLocked();
            return;
        }
        var (record, tip, last) = SealLocked(padded);
        WriteRecord(record, padded, tip);
        Written(record, last);
    }

    /// <summary>Whether a record of <paramref name="padded"/> bytes fits between the tip and the end of the smallest member's journal (_gate held).</summary>
    private bool FitsInJournal(int padded) => _tip + padded <= _members.Min(m => m.Sb.Layout.JournalLength);

    /// <summary>A written record's transactions are durable; its buffer is kept for the next seal unless it grew large (_gate held).</summary>
    private void Written(byte[] record, TxId last)
    {
        MarkDurable(last);
        if (record.Length <= 4 * 1024 * 1024) _spareRecord = record;
    }

    private void MarkDurable(TxId txid)
    {
        _durableTxId = txid;
        _allocator.MarkDurable(txid);
    }

    private void ResetBuffer()
    {
        _payloadLength = 0;
        _opCount = 0;
        _txCount = 0;
        if (_record.Length > 4 * 1024 * 1024)
        {
            _record = new byte[64 * 1024]; // do not pin a huge one-off batch buffer
        }
    }

    private void EnsureRecordCapacity(long bytes)
    {
        if (bytes > _record.Length)
        {
            if (bytes > int.MaxValue / 2)
            {
                throw new ArgumentException("transaction batch too large; flush more often");
            }
            Array.Resize(ref _record, (int)Math.Max(bytes, _record.Length * 2L));
        }
    }

    /// <summary>Ops the log owns: allocator and member table. Everything else goes to the store on replay.</summary>
    private void ApplyOwned(RecordKind kind, bool isDelete, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, bool replay, TxId txid)
    {
        switch (kind)
        {
            case RecordKind.AllocExtent:
                if (!AllocRecords.TryDecodeExtentKey(key, out Extent extent))
                {
                    throw new InvalidDataException("malformed AllocExtent key in metadata");
                }
                EnsureAllocatorMember(extent.Member);
                if (!isDelete)
                {
                    _allocator.MarkAllocated(extent);
                }
                else if (replay)
                {
                    _allocator.FreeNow(extent);
                }
                else
                {
                    _allocator.FreeAfter(extent, txid);
                }
                break;
            case RecordKind.AllocBitmap:
                if (!replay || isDelete || !AllocRecords.TryDecodeBitmapKey(key, out MemberIndex member, out int page))
                {
                    throw new InvalidDataException("AllocBitmap record outside a checkpoint, or malformed");
                }
                EnsureAllocatorMember(member);
                _allocator.LoadPage(member, page, value);
                break;
            case RecordKind.CheckpointExtent:
                if (!replay || isDelete || !AllocRecords.TryDecodeExtentKey(key, out Extent held))
                {
                    throw new InvalidDataException("CheckpointExtent record outside a checkpoint, or malformed");
                }
                EnsureAllocatorMember(held.Member);
                _checkpointExtents.Add(held);
                break;
            case RecordKind.Member:
                if (isDelete)
                {
                    MemberRecord.TryDecodeKey(key, out MemberIndex gone);
                    _memberTable.Remove(gone.Value);
                }
                else if (MemberRecord.TryDecode(key, value, out MemberRecord record))
                {
                    _memberTable[record.Index.Value] = record;
                    if (!_allocator.HasMember(record.Index))
                    {
                        _allocator.AddMember(record.Index, record.DataOffset, record.DataLength);
                    }
                }
                else
                {
                    throw new InvalidDataException("malformed Member record in metadata");
                }
                break;
            default:
                if (replay)
                {
                    _store.Apply(isDelete ? RecordOp.Delete(kind, key.ToArray()) : RecordOp.Put(kind, key.ToArray(), value.ToArray()));
                }
                break;
        }
    }

    private void EnsureAllocatorMember(MemberIndex member)
    {
        if (!_allocator.HasMember(member))
        {
            throw new InvalidDataException($"metadata references member {member}, which is not in the member table");
        }
    }

    private static bool IsOwnedKind(RecordKind kind) => kind is RecordKind.AllocBitmap or RecordKind.AllocExtent or RecordKind.Member or RecordKind.CheckpointExtent;
}
