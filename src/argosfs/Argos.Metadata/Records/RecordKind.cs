namespace Argos.Metadata.Records;

/// <summary>
/// The kinds of metadata record. Every piece of pool metadata is a (kind, key) → value record;
/// the journal carries puts and deletes of records, a checkpoint is every live record as a put.
/// Values are stable on disk: never renumber, only add. Key and value layouts: docs/format.md §5.
/// </summary>
public enum RecordKind : byte
{
    /// <summary>key: empty. value: pool configuration (layout, compression, encryption, counters).</summary>
    PoolConfig = 0x01,
    /// <summary>key: u32 member index. value: member identity, state, capacity, weight, tier, health.</summary>
    Member = 0x02,
    /// <summary>key: u64 inode number. value: attributes (+ inline data for tiny files).</summary>
    Inode = 0x03,
    /// <summary>key: u64 parent inode ‖ name bytes. value: u64 child, u8 file type, u64 cookie.</summary>
    Dirent = 0x04,
    /// <summary>key: u64 inode ‖ xattr name bytes. value: xattr bytes.</summary>
    Xattr = 0x05,
    /// <summary>key: u64 inode ‖ u64 stripe index. value: stripe descriptor with shard locations.</summary>
    Stripe = 0x06,
    /// <summary>key: snapshot name bytes. value: snapshot descriptor.</summary>
    Snapshot = 0x07,
    /// <summary>key: u32 member ‖ u32 bitmap page. value: allocator bitmap page (checkpoints only).</summary>
    AllocBitmap = 0x08,
    /// <summary>key: u32 member ‖ u64 offset ‖ u64 length. value: empty. Put = allocate, delete = free (build with Log.AllocOps).</summary>
    AllocExtent = 0x09,
    /// <summary>key: u64 inode. value: empty. An unlinked inode still open; reclaimed at next open.</summary>
    Orphan = 0x0A,
    /// <summary>key: u64 snapshot id ‖ u32 member ‖ u64 offset. value: u64 length. Extents pinned by a snapshot.</summary>
    PinnedExtent = 0x0B,
    /// <summary>key: empty. value: namespace counters (next inode number, generation epoch). Layout: Namespace/Encoding/CounterCodec.cs.</summary>
    NamespaceCounter = 0x0C,
    /// <summary>key: u32 member ‖ u64 offset ‖ u64 length. value: empty. The extents holding the checkpoint itself (checkpoints only; consumed by the log).</summary>
    CheckpointExtent = 0x0D,
    /// <summary>key: u64 snapshot id ‖ u8 frozen kind ‖ frozen key. value: the frozen record's value. A named snapshot's copy of one namespace record (Namespace/Encoding/SnapshotDataCodec.cs).</summary>
    SnapshotData = 0x0E,
}
