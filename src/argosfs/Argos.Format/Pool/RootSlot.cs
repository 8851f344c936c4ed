// Root slot, 4096 bytes at member offset 64 KiB (slot A) and 68 KiB (slot B) (docs/format.md §3):
//
//   0    8   magic "ARGOSRT1"
//   8    u32 version (1)
//   12   u32 extent count (≤ 200)
//   16   u64 root sequence (the valid slot with the higher sequence is live, I-8)
//   24   16  pool UUID
//   40   u64 checkpoint txid (every transaction ≤ this is inside the checkpoint)
//   48   u64 checkpoint payload length (bytes)
//   56   16  checkpoint payload hash: BLAKE2b-128 of the payload bytes
//   72   u64 journal epoch that follows this checkpoint
//   80   16  hash-chain seed: prev_hash of the epoch's first journal record
//   96   u64 generation at the time of writing
//   104  i64 written (ns)
//   112  u32 member index (the slot describes extents on this member only)
//   116  u32 reserved
//   120  200 × (u64 offset, u64 length): the checkpoint extents on this member, in payload order
//   3320 ..  zero
//   4092 u32 CRC32C of the 4096 bytes with this field zeroed
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public sealed record RootSlot
{
    public const int Size = MemberLayout.BlockSize;
    public const int VersionOffset = 8;
    public const int ExtentCountOffset = VersionOffset + 4;        // 12
    public const int SequenceOffset = ExtentCountOffset + 4;       // 16
    public const int PoolUuidOffset = SequenceOffset + 8;          // 24
    public const int TxIdOffset = PoolUuidOffset + 16;             // 40
    public const int PayloadLengthOffset = TxIdOffset + 8;         // 48
    public const int PayloadHashOffset = PayloadLengthOffset + 8;  // 56
    public const int EpochOffset = PayloadHashOffset + 16;         // 72
    public const int ChainSeedOffset = EpochOffset + 8;            // 80
    public const int GenerationOffset = ChainSeedOffset + 16;      // 96
    public const int WrittenOffset = GenerationOffset + 8;         // 104
    public const int MemberIndexOffset = WrittenOffset + 8;        // 112
    public const int ReservedOffset = MemberIndexOffset + 4;       // 116
    public const int ExtentsOffset = ReservedOffset + 4;           // 120
    public const int MaxExtents = 200;
    public const int EndOfFields = ExtentsOffset + MaxExtents * 16; // 3320
    public const int ChecksumOffset = Size - 4;
    public const int HashLength = 16;
    public const uint CurrentVersion = 1;

    public static ReadOnlySpan<byte> Magic => "ARGOSRT1"u8;

    public ulong Sequence { get; init; }
    public Guid PoolUuid { get; init; }
    public TxId CheckpointTxId { get; init; }
    public long PayloadLength { get; init; }
    public byte[] PayloadHash { get; init; } = new byte[HashLength];
    public ulong JournalEpoch { get; init; }
    public byte[] ChainSeed { get; init; } = new byte[HashLength];
    public Generation Generation { get; init; }
    public long WrittenNs { get; init; }
    public MemberIndex MemberIndex { get; init; }
    public IReadOnlyList<Extent> Extents { get; init; } = [];

    public void Encode(Span<byte> destination)
    {
        if (Extents.Count > MaxExtents)
        {
            throw new InvalidOperationException($"a root slot holds at most {MaxExtents} checkpoint extents, got {Extents.Count}");
        }
        Span<byte> b = destination[..Size];
        b.Clear();
        Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[VersionOffset..], CurrentVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(b[ExtentCountOffset..], (uint)Extents.Count);
        BinaryPrimitives.WriteUInt64LittleEndian(b[SequenceOffset..], Sequence);
        FieldWriter.WriteUuid(b[PoolUuidOffset..], PoolUuid);
        BinaryPrimitives.WriteUInt64LittleEndian(b[TxIdOffset..], CheckpointTxId.Value);
        BinaryPrimitives.WriteInt64LittleEndian(b[PayloadLengthOffset..], PayloadLength);
        PayloadHash.AsSpan(0, HashLength).CopyTo(b[PayloadHashOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(b[EpochOffset..], JournalEpoch);
        ChainSeed.AsSpan(0, HashLength).CopyTo(b[ChainSeedOffset..]);
        BinaryPrimitives.WriteUInt64LittleEndian(b[GenerationOffset..], Generation.Value);
        BinaryPrimitives.WriteInt64LittleEndian(b[WrittenOffset..], WrittenNs);
        BinaryPrimitives.WriteUInt32LittleEndian(b[MemberIndexOffset..], (uint)MemberIndex.Value);
        for (int i = 0; i < Extents.Count; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(b[(ExtentsOffset + i * 16)..], Extents[i].OffsetBytes);
            BinaryPrimitives.WriteInt64LittleEndian(b[(ExtentsOffset + i * 16 + 8)..], Extents[i].LengthBytes);
        }
        BlockChecksum.Seal(b);
    }

    public static bool TryDecode(ReadOnlySpan<byte> source, out RootSlot? slot, out string error)
    {
        slot = null;
        if (source.Length < Size)
        {
            error = $"root slot is {source.Length} bytes, expected {Size}";
            return false;
        }
        ReadOnlySpan<byte> b = source[..Size];
        if (!b[..8].SequenceEqual(Magic))
        {
            error = b.IndexOfAnyExcept((byte)0) < 0 ? "root slot is empty" : "wrong root slot magic";
            return false;
        }
        if (!BlockChecksum.Verify(b))
        {
            error = "root slot checksum mismatch (torn or corrupt)";
            return false;
        }
        var c = new SpanCursor(b);
        c.TrySkip(8);
        c.TryReadU32(out uint version);
        c.TryReadU32(out uint count);
        c.TryReadU64(out ulong sequence);
        c.TryReadUuid(out Guid pool);
        c.TryReadU64(out ulong txid);
        c.TryReadI64(out long payloadLength);
        c.TryReadBytes(HashLength, out ReadOnlySpan<byte> hash);
        c.TryReadU64(out ulong epoch);
        c.TryReadBytes(HashLength, out ReadOnlySpan<byte> seed);
        c.TryReadU64(out ulong generation);
        c.TryReadI64(out long written);
        c.TryReadU32(out uint memberIndex);
        c.TryReadU32(out _);
        if (version != CurrentVersion)
        {
            error = $"root slot version {version} is not {CurrentVersion}";
            return false;
        }
        if (count > MaxExtents)
        {
            error = $"root slot extent count {count} exceeds {MaxExtents}";
            return false;
        }
        var extents = new Extent[count];
        long total = 0;
        for (int i = 0; i < count; i++)
        {
            c.TryReadI64(out long offset);
            c.TryReadI64(out long length);
            if (offset < 0 || length <= 0 || offset % MemberLayout.BlockSize != 0 || length % MemberLayout.BlockSize != 0)
            {
                error = $"root slot extent {i} [{offset}, +{length}) is not a positive 4 KiB-aligned range";
                return false;
            }
            extents[i] = new Extent(new MemberIndex((int)memberIndex), offset, length);
            total += length;
        }
        if (payloadLength < 0 || payloadLength > total)
        {
            error = $"root slot payload length {payloadLength} exceeds its extents ({total} bytes)";
            return false;
        }
        slot = new RootSlot
        {
            Sequence = sequence,
            PoolUuid = pool,
            CheckpointTxId = new TxId(txid),
            PayloadLength = payloadLength,
            PayloadHash = hash.ToArray(),
            JournalEpoch = epoch,
            ChainSeed = seed.ToArray(),
            Generation = new Generation(generation),
            WrittenNs = written,
            MemberIndex = new MemberIndex((int)memberIndex),
            Extents = extents,
        };
        error = "";
        return true;
    }
}
