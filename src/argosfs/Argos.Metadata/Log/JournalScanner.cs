// Reading one member's journal region (docs/format.md §4.3). Records of the expected epoch are accepted
// in order while they verify: header CRC, epoch, txid continuity (first txid = previous last + 1),
// prev_hash = previous record_hash (the root slot's seed for the first), payload inside the region,
// record_hash. The first failure ends the log (I-10):
//   - nothing record-like of this epoch follows (zeros, stale bytes of an older epoch): a clean end;
//   - otherwise the tail is CUT and reported: the reason, and how many bytes and records were dropped.
using Argos.Format;
using Argos.Format.Pool;
using Argos.Storage;

namespace Argos.Metadata.Log;

/// <summary>One record as seen by a journal scan.</summary>
public sealed record JournalRecordInfo(
    long OffsetBytes, int PaddedLength, ulong Epoch, TxId FirstTxId, TxId LastTxId, int OpCount, bool Valid, string? Reason);

/// <summary>The result of scanning one member's journal (verify-journal prints it).</summary>
public sealed record JournalReport
{
    public MemberIndex Member { get; init; }
    public string Path { get; init; } = "";
    public ulong Epoch { get; init; }
    public TxId CheckpointTxId { get; init; }
    /// <summary>Valid records first (replayed), then any records found beyond a break (cut).</summary>
    public IReadOnlyList<JournalRecordInfo> Records { get; init; } = [];
    /// <summary>Bytes from the region start to the end of the last valid record: where the next record goes.</summary>
    public long TipOffset { get; init; }
    public TxId LastTxId { get; init; }
    public byte[] LastHash { get; init; } = [];
    /// <summary>Null for a clean end; otherwise why the tail was cut.</summary>
    public string? CutReason { get; init; }
    public long CutBytes { get; init; }
    public int CutRecords { get; init; }
    public int ValidRecords => Records.Count(r => r.Valid);
    public bool IsClean => CutReason is null;
}

internal static class JournalScanner
{
    private const int WindowBytes = 1024 * 1024;

    /// <summary>Delegate receiving each valid record's header and payload, in order.</summary>
    public delegate void RecordVisitor(JournalRecordHeader header, ReadOnlySpan<byte> payload);

    public static JournalReport Scan(IMemberDevice device, MemberIndex member, string path, MemberLayout layout,
        RootSlot root, RecordVisitor? visit = null)
    {
        var reader = new RegionReader(device, layout.JournalOffset, layout.JournalLength);
        var records = new List<JournalRecordInfo>();
        long pos = 0;
        TxId last = root.CheckpointTxId;
        byte[] prev = root.ChainSeed;
        string? failure = null;
        bool tornHeader = false;
        Span<byte> hash = stackalloc byte[JournalRecordHeader.HashLength];
        while (pos + JournalRecordHeader.Size <= layout.JournalLength)
        {
            ReadOnlySpan<byte> head = reader.Get(pos, JournalRecordHeader.Size);
            if (!JournalRecordHeader.TryDecode(head, out JournalRecordHeader? h, out string error))
            {
                failure = error;
                // Our magic with a bad header CRC is a torn header write, not stale bytes.
                tornHeader = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(head) == JournalRecordHeader.MagicValue;
                break;
            }
            if (h!.Epoch != root.JournalEpoch)
            {
                failure = $"record of epoch {h.Epoch}, expected {root.JournalEpoch}";
                break;
            }
            int padded = JournalRecordHeader.PaddedLength(h.PayloadLength);
            var info = new JournalRecordInfo(pos, padded, h.Epoch, h.FirstTxId, h.TxId, h.OpCount, false, null);
            string? bad = null;
            if (pos + padded > layout.JournalLength)
            {
                bad = "record runs past the end of the journal region";
            }
            else if (h.FirstTxId.Value != last.Value + 1)
            {
                bad = $"txid gap: record starts at {h.FirstTxId.Value}, expected {last.Value + 1}";
            }
            else if (!h.PrevHash.AsSpan().SequenceEqual(prev))
            {
                bad = "hash chain break: prev_hash does not match the previous record";
            }
            ReadOnlySpan<byte> whole = default;
            if (bad is null)
            {
                whole = reader.Get(pos, JournalRecordHeader.Size + h.PayloadLength);
                JournalRecordHeader.ComputeHash(whole, hash);
                if (!hash.SequenceEqual(h.RecordHash))
                {
                    bad = "record hash mismatch (torn or corrupt record)";
                }
            }
            if (bad is not null)
            {
                records.Add(info with { Reason = bad });
                failure = bad;
                break;
            }
            if (visit is not null)
            {
                visit(h, whole[JournalRecordHeader.Size..]);
            }
            records.Add(info with { Valid = true });
            last = h.TxId;
            prev = h.RecordHash;
            pos += padded;
        }

        // Decide between a clean end and a cut: look for records of this epoch beyond the failure.
        int validCount = records.Count(r => r.Valid);
        bool headerFailed = records.Count == validCount; // the failing position held no decodable record of this epoch
        long probeFrom = headerFailed ? pos + JournalRecordHeader.Alignment : records[^1].OffsetBytes + JournalRecordHeader.Alignment;
        long lastEnd = headerFailed ? pos : records[^1].OffsetBytes + Math.Min(records[^1].PaddedLength, layout.JournalLength - records[^1].OffsetBytes);
        int beyond = 0;
        for (long p = probeFrom; failure is not null && p + JournalRecordHeader.Size <= layout.JournalLength; p += JournalRecordHeader.Alignment)
        {
            ReadOnlySpan<byte> head = reader.Get(p, JournalRecordHeader.Size);
            if (JournalRecordHeader.TryDecode(head, out JournalRecordHeader? h, out _) && h!.Epoch == root.JournalEpoch && h.FirstTxId.Value > last.Value)
            {
                int padded = JournalRecordHeader.PaddedLength(h.PayloadLength);
                string reason = $"cut: follows the break at journal offset {pos}";
                records.Add(new JournalRecordInfo(p, padded, h.Epoch, h.FirstTxId, h.TxId, h.OpCount, false, reason));
                beyond++;
                lastEnd = Math.Min(layout.JournalLength, p + padded);
                p += padded - JournalRecordHeader.Alignment;
            }
        }
        bool cut = failure is not null && (!headerFailed || tornHeader || beyond > 0);
        return new JournalReport
        {
            Member = member,
            Path = path,
            Epoch = root.JournalEpoch,
            CheckpointTxId = root.CheckpointTxId,
            Records = records,
            TipOffset = pos,
            LastTxId = last,
            LastHash = prev,
            CutReason = cut ? failure : null,
            CutBytes = cut ? Math.Max(0, lastEnd - pos) : 0,
            CutRecords = cut ? records.Count - validCount : 0,
        };
    }

    /// <summary>Sequential reader over a region with a sliding window (records may exceed the window).</summary>
    private sealed class RegionReader(IMemberDevice device, long regionOffset, long regionLength)
    {
        private byte[] _buffer = new byte[WindowBytes];
        private long _start = -1;
        private int _length;

        public ReadOnlySpan<byte> Get(long offset, int length)
        {
            if (_start < 0 || offset < _start || offset + length > _start + _length)
            {
                if (_buffer.Length < length)
                {
                    _buffer = new byte[length];
                }
                _length = (int)Math.Min(_buffer.Length, regionLength - offset);
                device.ReadAt(regionOffset + offset, _buffer.AsSpan(0, _length));
                _start = offset;
            }
            return _buffer.AsSpan((int)(offset - _start), length);
        }
    }
}
