// Journal record (docs/format.md §4): a 96-byte header, the op payload, zero padding to a multiple of 512.
//
//   0   u32 magic "AJR1"
//   4   u16 version (1)
//   6   u16 header length (96)
//   8   u32 payload length (bytes of ops after the header)
//   12  u32 op count
//   16  u64 epoch (must equal the live root slot's journal epoch)
//   24  u64 txid: the last transaction in this record
//   32  u32 transaction count (group commit: txids txid−count+1 … txid)
//   36  u32 reserved (0)
//   40  i64 written (ns)
//   48  16  prev_hash: record_hash of the previous record of the epoch, or the root slot's chain seed
//   64  16  record_hash = BLAKE2b-128(header with record_hash and crc zeroed ‖ payload)
//   80  12  reserved (0)
//   92  u32 CRC32C of the 96 header bytes with this field zeroed (cheap garbage rejection)
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public sealed record JournalRecordHeader
{
    public const int Size = 96;
    public const int Alignment = 512;
    public const int VersionOffset = 4;
    public const int HeaderLengthOffset = VersionOffset + 2;        // 6
    public const int PayloadLengthOffset = HeaderLengthOffset + 2;  // 8
    public const int OpCountOffset = PayloadLengthOffset + 4;       // 12
    public const int EpochOffset = OpCountOffset + 4;               // 16
    public const int TxIdOffset = EpochOffset + 8;                  // 24
    public const int TxCountOffset = TxIdOffset + 8;                // 32
    public const int ReservedOffset = TxCountOffset + 4;            // 36
    public const int WrittenOffset = ReservedOffset + 4;            // 40
    public const int PrevHashOffset = WrittenOffset + 8;            // 48
    public const int RecordHashOffset = PrevHashOffset + 16;        // 64
    public const int Reserved2Offset = RecordHashOffset + 16;       // 80
    public const int ChecksumOffset = Size - 4;                     // 92
    public const int HashLength = 16;
    public const ushort CurrentVersion = 1;
    public const uint MagicValue = 0x31524A41; // "AJR1" little-endian

    public int PayloadLength { get; init; }
    public int OpCount { get; init; }
    public ulong Epoch { get; init; }
    public TxId TxId { get; init; }
    public int TxCount { get; init; } = 1;
    public long WrittenNs { get; init; }
    public byte[] PrevHash { get; init; } = new byte[HashLength];
    public byte[] RecordHash { get; init; } = new byte[HashLength];

    public TxId FirstTxId => new(TxId.Value - (ulong)TxCount + 1);

    public static int PaddedLength(int payloadLength) => (int)MemberLayout.AlignUp(Size + (long)payloadLength, Alignment);

    /// <summary>Writes header + payload (already at destination[Size..]) + padding, computing the hash and CRC.</summary>
    public void Seal(Span<byte> record)
    {
        Span<byte> h = record[..Size];
        h.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(h, MagicValue);
        BinaryPrimitives.WriteUInt16LittleEndian(h[VersionOffset..], CurrentVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(h[HeaderLengthOffset..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(h[PayloadLengthOffset..], (uint)PayloadLength);
        BinaryPrimitives.WriteUInt32LittleEndian(h[OpCountOffset..], (uint)OpCount);
        BinaryPrimitives.WriteUInt64LittleEndian(h[EpochOffset..], Epoch);
        BinaryPrimitives.WriteUInt64LittleEndian(h[TxIdOffset..], TxId.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(h[TxCountOffset..], (uint)TxCount);
        BinaryPrimitives.WriteInt64LittleEndian(h[WrittenOffset..], WrittenNs);
        PrevHash.AsSpan(0, HashLength).CopyTo(h[PrevHashOffset..]);
        int padded = PaddedLength(PayloadLength);
        record[(Size + PayloadLength)..padded].Clear();
        ComputeHash(record[..(Size + PayloadLength)], h.Slice(RecordHashOffset, HashLength));
        BlockChecksum.Seal(h);
    }

    /// <summary>BLAKE2b-128 over header (record_hash and CRC zeroed) ‖ payload.</summary>
    public static void ComputeHash(ReadOnlySpan<byte> headerAndPayload, Span<byte> hash)
    {
        Span<byte> h = stackalloc byte[Size];
        headerAndPayload[..Size].CopyTo(h);
        h.Slice(RecordHashOffset, HashLength).Clear();
        h[ChecksumOffset..].Clear();
        var b = Blake2b.Create(HashLength);
        b.Update(h);
        b.Update(headerAndPayload[Size..]);
        b.Finish(hash);
    }

    public static bool TryDecode(ReadOnlySpan<byte> source, out JournalRecordHeader? header, out string error)
    {
        header = null;
        if (source.Length < Size)
        {
            error = "record header truncated";
            return false;
        }
        ReadOnlySpan<byte> h = source[..Size];
        var c = new SpanCursor(h);
        c.TryReadU32(out uint magic);
        if (magic != MagicValue)
        {
            error = h.IndexOfAnyExcept((byte)0) < 0 ? "end of journal (zeros)" : "no record magic";
            return false;
        }
        if (!BlockChecksum.Verify(h))
        {
            error = "record header checksum mismatch";
            return false;
        }
        c.TryReadU16(out ushort version);
        c.TryReadU16(out ushort headerLength);
        c.TryReadU32(out uint payloadLength);
        c.TryReadU32(out uint opCount);
        c.TryReadU64(out ulong epoch);
        c.TryReadU64(out ulong txid);
        c.TryReadU32(out uint txCount);
        c.TryReadU32(out _);
        c.TryReadI64(out long written);
        c.TryReadBytes(HashLength, out ReadOnlySpan<byte> prev);
        c.TryReadBytes(HashLength, out ReadOnlySpan<byte> hash);
        if (version != CurrentVersion || headerLength != Size)
        {
            error = $"record version {version} / header length {headerLength} unsupported";
            return false;
        }
        if (payloadLength > int.MaxValue / 2 || txCount == 0 || txCount > txid)
        {
            error = $"record lengths out of range (payload {payloadLength}, tx count {txCount})";
            return false;
        }
        header = new JournalRecordHeader
        {
            PayloadLength = (int)payloadLength,
            OpCount = (int)opCount,
            Epoch = epoch,
            TxId = new TxId(txid),
            TxCount = (int)txCount,
            WrittenNs = written,
            PrevHash = prev.ToArray(),
            RecordHash = hash.ToArray(),
        };
        error = "";
        return true;
    }
}
