namespace Argos.Metadata.Records;

/// <summary>One change to one record: a put (Value is set) or a delete (Value is null).</summary>
public readonly record struct RecordOp(RecordKind Kind, ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte>? Value)
{
    public bool IsDelete => Value is null;

    public static RecordOp Put(RecordKind kind, ReadOnlyMemory<byte> key, ReadOnlyMemory<byte> value) => new(kind, key, value);

    public static RecordOp Delete(RecordKind kind, ReadOnlyMemory<byte> key) => new(kind, key, null);
}
