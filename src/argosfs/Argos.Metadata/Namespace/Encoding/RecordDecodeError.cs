using Argos.Metadata.Records;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>Why a record key or value did not decode.</summary>
public enum RecordDecodeError
{
    None = 0,
    /// <summary>Fewer bytes than the layout needs.</summary>
    Truncated,
    /// <summary>More bytes than the layout describes.</summary>
    TrailingBytes,
    /// <summary>A layout version this build does not know (written by a newer Argos).</summary>
    UnsupportedVersion,
    /// <summary>A field holds a value the layout forbids (bad type bits, nanoseconds ≥ 1e9, bad name, …).</summary>
    InvalidField,
}

/// <summary>A record that does not decode during replay or checkpoint load.</summary>
public sealed class RecordFormatException : IOException
{
    public RecordFormatException(RecordKind kind, ReadOnlySpan<byte> key, RecordDecodeError error, string part)
        : base($"metadata record {kind} key {Convert.ToHexString(key)}: {part} is {Describe(error)} — "
            + "the journal or checkpoint is damaged or from a newer Argos; run 'argosfs verify-journal' and 'argosfs fsck'")
    {
        Kind = kind;
        Error = error;
    }

    public RecordKind Kind { get; }
    public RecordDecodeError Error { get; }

    private static string Describe(RecordDecodeError e) => e switch
    {
        RecordDecodeError.Truncated => "truncated",
        RecordDecodeError.TrailingBytes => "longer than its layout",
        RecordDecodeError.UnsupportedVersion => "of an unsupported layout version",
        RecordDecodeError.InvalidField => "holding an invalid field",
        _ => "malformed",
    };
}
