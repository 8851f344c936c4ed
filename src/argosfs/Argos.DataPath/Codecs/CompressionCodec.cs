namespace Argos.DataPath.Codecs;

/// <summary>
/// The transform applied to a stripe's payload before encryption. The numeric values are on-disk
/// (stored in stripe headers): never renumber, only append.
/// </summary>
public enum CompressionCodec : byte
{
    /// <summary>Stored raw (chosen, or compression did not save enough).</summary>
    None = 0,

    /// <summary>One zstd frame with the content size in its header.</summary>
    Zstd = 1,

    /// <summary>One LZ4 block (no frame); the decompressed size comes from the stripe header.</summary>
    Lz4 = 2,
}
