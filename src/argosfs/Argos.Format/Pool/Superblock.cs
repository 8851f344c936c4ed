// Superblock, 4096 bytes at member offset 4096 (primary) and at backup_offset (backup) (docs/format.md §2.2):
//
//   0    8   magic "ARGOSFS1"  (fixed at member offset 4096: a scan reads one block per device, I-6)
//   8    u32 version (1)
//   12   u32 minimum compatible version (1): readers older than this refuse
//   16   u64 compat features     (unknown bits ignored)
//   24   u64 incompat features   (unknown bits: refuse to open)
//   32   u64 ro-compat features  (unknown bits: open read-only only)
//   40   16  pool UUID (RFC 4122 byte order)
//   56   16  member UUID
//   72   u32 member index
//   76   u32 member count at mkfs
//   80   u16 k (data shards, 1..254)
//   82   u16 m (parity shards, 0..254, k+m ≤ 255)
//   84   u32 block size (4096)
//   88   u32 chunk size (bytes, multiple of 4096)
//   92   u32 flags (bit 0: clean)
//   96   u64 generation
//   104  u64 capacity bytes (at mkfs; the device may not be smaller)
//   112  u64 journal offset     120 u64 journal length
//   128  u64 data offset        136 u64 data length
//   144  u64 backup offset
//   152  i64 created (ns since the Unix epoch)
//   160  i64 last read-write open (ns)
//   168  i64 last clean close (ns)
//   176  u8 pool name length, 63 bytes UTF-8 pool name (zero padded)
//   240  ..  zero
//   4092 u32 CRC32C of the 4096 bytes with this field zeroed
using System.Buffers.Binary;

namespace Argos.Format.Pool;

public sealed record Superblock
{
    public const int Size = MemberLayout.BlockSize;
    public const int MagicOffset = 0;
    public const int VersionOffset = MagicOffset + 8;                  // 8
    public const int MinVersionOffset = VersionOffset + 4;             // 12
    public const int CompatOffset = MinVersionOffset + 4;              // 16
    public const int IncompatOffset = CompatOffset + 8;                // 24
    public const int RoCompatOffset = IncompatOffset + 8;              // 32
    public const int PoolUuidOffset = RoCompatOffset + 8;              // 40
    public const int MemberUuidOffset = PoolUuidOffset + 16;           // 56
    public const int MemberIndexOffset = MemberUuidOffset + 16;        // 72
    public const int MemberCountOffset = MemberIndexOffset + 4;        // 76
    public const int KOffset = MemberCountOffset + 4;                  // 80
    public const int MOffset = KOffset + 2;                            // 82
    public const int BlockSizeOffset = MOffset + 2;                    // 84
    public const int ChunkSizeOffset = BlockSizeOffset + 4;            // 88
    public const int FlagsOffset = ChunkSizeOffset + 4;                // 92
    public const int GenerationOffset = FlagsOffset + 4;               // 96
    public const int CapacityOffset = GenerationOffset + 8;            // 104
    public const int JournalOffsetOffset = CapacityOffset + 8;         // 112
    public const int JournalLengthOffset = JournalOffsetOffset + 8;    // 120
    public const int DataOffsetOffset = JournalLengthOffset + 8;       // 128
    public const int DataLengthOffset = DataOffsetOffset + 8;          // 136
    public const int BackupOffsetOffset = DataLengthOffset + 8;        // 144
    public const int CreatedOffset = BackupOffsetOffset + 8;           // 152
    public const int LastOpenOffset = CreatedOffset + 8;               // 160
    public const int LastCleanCloseOffset = LastOpenOffset + 8;        // 168
    public const int PoolNameOffset = LastCleanCloseOffset + 8;        // 176
    public const int PoolNameCapacity = 63;
    public const int EndOfFields = PoolNameOffset + 1 + PoolNameCapacity; // 240
    public const int ChecksumOffset = Size - 4;                        // 4092

    public const uint CurrentVersion = 1;
    public const uint CurrentMinVersion = 1;
    public const uint FlagClean = 1;
    public const int MaxShards = 255;

    public static ReadOnlySpan<byte> Magic => "ARGOSFS1"u8;

    public uint Version { get; init; } = CurrentVersion;
    public uint MinVersion { get; init; } = CurrentMinVersion;
    public ulong CompatFeatures { get; init; }
    public ulong IncompatFeatures { get; init; }
    public ulong RoCompatFeatures { get; init; }
    public Guid PoolUuid { get; init; }
    public Guid MemberUuid { get; init; }
    public MemberIndex MemberIndex { get; init; }
    public int MemberCount { get; init; }
    public int K { get; init; }
    public int M { get; init; }
    public int BlockSize { get; init; } = MemberLayout.BlockSize;
    public int ChunkSize { get; init; }
    public bool Clean { get; init; }
    public Generation Generation { get; init; }
    public MemberLayout Layout { get; init; }
    public long CreatedNs { get; init; }
    public long LastOpenNs { get; init; }
    public long LastCleanCloseNs { get; init; }
    public string PoolName { get; init; } = "";

    /// <summary>True when unknown ro-compat bits are set: the member may only be opened read-only.</summary>
    public bool RequiresReadOnly => (RoCompatFeatures & ~FeatureFlags.KnownRoCompat) != 0;

    public void Encode(Span<byte> destination)
    {
        Span<byte> b = destination[..Size];
        b.Clear();
        Magic.CopyTo(b);
        BinaryPrimitives.WriteUInt32LittleEndian(b[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(b[MinVersionOffset..], MinVersion);
        BinaryPrimitives.WriteUInt64LittleEndian(b[CompatOffset..], CompatFeatures);
        BinaryPrimitives.WriteUInt64LittleEndian(b[IncompatOffset..], IncompatFeatures);
        BinaryPrimitives.WriteUInt64LittleEndian(b[RoCompatOffset..], RoCompatFeatures);
        FieldWriter.WriteUuid(b[PoolUuidOffset..], PoolUuid);
        FieldWriter.WriteUuid(b[MemberUuidOffset..], MemberUuid);
        BinaryPrimitives.WriteUInt32LittleEndian(b[MemberIndexOffset..], (uint)MemberIndex.Value);
        BinaryPrimitives.WriteUInt32LittleEndian(b[MemberCountOffset..], (uint)MemberCount);
        BinaryPrimitives.WriteUInt16LittleEndian(b[KOffset..], (ushort)K);
        BinaryPrimitives.WriteUInt16LittleEndian(b[MOffset..], (ushort)M);
        BinaryPrimitives.WriteUInt32LittleEndian(b[BlockSizeOffset..], (uint)BlockSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[ChunkSizeOffset..], (uint)ChunkSize);
        BinaryPrimitives.WriteUInt32LittleEndian(b[FlagsOffset..], Clean ? FlagClean : 0);
        BinaryPrimitives.WriteUInt64LittleEndian(b[GenerationOffset..], Generation.Value);
        BinaryPrimitives.WriteInt64LittleEndian(b[CapacityOffset..], Layout.CapacityBytes);
        BinaryPrimitives.WriteInt64LittleEndian(b[JournalOffsetOffset..], Layout.JournalOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[JournalLengthOffset..], Layout.JournalLength);
        BinaryPrimitives.WriteInt64LittleEndian(b[DataOffsetOffset..], Layout.DataOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[DataLengthOffset..], Layout.DataLength);
        BinaryPrimitives.WriteInt64LittleEndian(b[BackupOffsetOffset..], Layout.BackupOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[CreatedOffset..], CreatedNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[LastOpenOffset..], LastOpenNs);
        BinaryPrimitives.WriteInt64LittleEndian(b[LastCleanCloseOffset..], LastCleanCloseNs);
        FieldWriter.WriteFixedString(b[PoolNameOffset..], PoolNameCapacity, PoolName, "pool name");
        BlockChecksum.Seal(b);
    }

    /// <summary>Parses and validates; never throws on bad bytes (I-7).</summary>
    public static bool TryDecode(ReadOnlySpan<byte> source, out Superblock? superblock, out string error)
    {
        superblock = null;
        if (source.Length < Size)
        {
            error = $"superblock is {source.Length} bytes, expected {Size}";
            return false;
        }
        ReadOnlySpan<byte> b = source[..Size];
        if (!b[..8].SequenceEqual(Magic))
        {
            error = b.IndexOfAnyExcept((byte)0) < 0 ? "superblock is all zeros" : "wrong superblock magic (not an ArgosFS member)";
            return false;
        }
        if (!BlockChecksum.Verify(b))
        {
            error = "superblock checksum mismatch";
            return false;
        }
        var c = new SpanCursor(b);
        c.TrySkip(8);
        c.TryReadU32(out uint version);
        c.TryReadU32(out uint minVersion);
        c.TryReadU64(out ulong compat);
        c.TryReadU64(out ulong incompat);
        c.TryReadU64(out ulong roCompat);
        c.TryReadUuid(out Guid poolUuid);
        c.TryReadUuid(out Guid memberUuid);
        c.TryReadU32(out uint index);
        c.TryReadU32(out uint count);
        c.TryReadU16(out ushort k);
        c.TryReadU16(out ushort m);
        c.TryReadU32(out uint blockSize);
        c.TryReadU32(out uint chunkSize);
        c.TryReadU32(out uint flags);
        c.TryReadU64(out ulong generation);
        c.TryReadI64(out long capacity);
        c.TryReadI64(out long journalOffset);
        c.TryReadI64(out long journalLength);
        c.TryReadI64(out long dataOffset);
        c.TryReadI64(out long dataLength);
        c.TryReadI64(out long backupOffset);
        c.TryReadI64(out long created);
        c.TryReadI64(out long lastOpen);
        c.TryReadI64(out long lastClose);
        if (!c.TryReadFixedString(PoolNameCapacity, out string name))
        {
            error = "superblock pool name is not valid UTF-8 of at most 63 bytes";
            return false;
        }
        if (minVersion > CurrentVersion)
        {
            error = $"superblock needs format version {minVersion} or newer (this argosfs reads version {CurrentVersion}); upgrade argosfs";
            return false;
        }
        if ((incompat & ~FeatureFlags.KnownIncompat) != 0)
        {
            error = $"unknown incompatible features 0x{incompat & ~FeatureFlags.KnownIncompat:x}; upgrade argosfs";
            return false;
        }
        if (blockSize != MemberLayout.BlockSize)
        {
            error = $"block size {blockSize} is not {MemberLayout.BlockSize}";
            return false;
        }
        if (k < 1 || k + m > MaxShards || count < 1 || count > MaxShards || index >= count + 4096)
        {
            error = $"k={k} m={m} member count={count} out of range";
            return false;
        }
        if (chunkSize == 0 || chunkSize % MemberLayout.BlockSize != 0)
        {
            error = $"chunk size {chunkSize} is not a multiple of {MemberLayout.BlockSize}";
            return false;
        }
        var layout = new MemberLayout(capacity, journalOffset, journalLength, dataOffset, dataLength, backupOffset);
        string? layoutError = layout.Validate();
        if (layoutError is not null)
        {
            error = "superblock regions invalid: " + layoutError;
            return false;
        }
        superblock = new Superblock
        {
            Version = version,
            MinVersion = minVersion,
            CompatFeatures = compat,
            IncompatFeatures = incompat,
            RoCompatFeatures = roCompat,
            PoolUuid = poolUuid,
            MemberUuid = memberUuid,
            MemberIndex = new MemberIndex((int)index),
            MemberCount = (int)count,
            K = k,
            M = m,
            BlockSize = (int)blockSize,
            ChunkSize = (int)chunkSize,
            Clean = (flags & FlagClean) != 0,
            Generation = new Generation(generation),
            Layout = layout,
            CreatedNs = created,
            LastOpenNs = lastOpen,
            LastCleanCloseNs = lastClose,
            PoolName = name,
        };
        error = "";
        return true;
    }
}
