using Argos.Format.Pool;
using Argos.Metadata.Records;

namespace Argos.Metadata.Log;

/// <summary>The AllocExtent ops a transaction carries next to the records that reference the extents.</summary>
public static class AllocOps
{
    /// <summary>"This extent is now referenced": include with the records that point at it.</summary>
    public static RecordOp Allocated(Extent extent) => RecordOp.Put(RecordKind.AllocExtent, AllocRecords.ExtentKey(extent), Array.Empty<byte>());

    /// <summary>"This extent is no longer referenced": it becomes reusable once the transaction is durable.</summary>
    public static RecordOp Freed(Extent extent) => RecordOp.Delete(RecordKind.AllocExtent, AllocRecords.ExtentKey(extent));
}

public sealed record LogOpenOptions
{
    public bool ReadOnly { get; init; }
    /// <summary>Wraps each opened member device (tests: fault injection, byte counting).</summary>
    public Func<Argos.Storage.IMemberDevice, Argos.Storage.IMemberDevice>? DeviceWrapper { get; init; }
}
