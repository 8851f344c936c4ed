namespace Argos.Metadata.Records;

/// <summary>
/// The in-memory side of the metadata log. Replay feeds it ops in commit order (checkpoint puts
/// first, then journal records); a checkpoint asks it for every live record.
/// Allocator kinds (AllocBitmap, AllocExtent) and Member records are consumed by the log itself and
/// never reach the store (the log keeps and checkpoints them; see MetadataLog.Members).
/// </summary>
public interface IRecordStore
{
    void Apply(in RecordOp op);

    /// <summary>Every live record as a put, in any order. Called with commits quiesced.</summary>
    IEnumerable<RecordOp> EnumerateAll();
}
