using Argos.Platform.Native;

namespace Argos.DataPath.Codecs;

/// <summary>The outcome of compressing one stripe payload.</summary>
/// <param name="Codec">The codec actually used: <see cref="CompressionCodec.None"/> when compression did not help.</param>
/// <param name="Length">Bytes written to the destination.</param>
public readonly record struct CompressionResult(CompressionCodec Codec, int Length);

/// <summary>
/// First stage of the stripe pipeline: compress, or store raw when compression does not help.
/// </summary>
/// <remarks>
/// "Helps" means saving at least one eighth of the input (the rule ZFS uses; at least one byte for tiny
/// inputs): the compressor is given a destination window of <c>n − max(1, n/8)</c> bytes, and when the compressed form does not fit (zstd reports
/// dstSize_tooSmall, LZ4 returns 0) the input is copied raw instead. So the destination never needs the
/// codec's worst-case bound, only <c>n</c> bytes, and an incompressible stripe costs one failed attempt
/// and a copy. Decompression takes the exact decompressed length (kept in the stripe header) and throws
/// <see cref="NativeCodecException"/> (EIO) for corrupt, truncated or mis-sized input.
/// </remarks>
public static class StripeCompressor
{
    /// <summary>Compressed output must be at most n − n/MinimumSavingsDivisor bytes to be kept.</summary>
    public const int MinimumSavingsDivisor = 8;

    /// <summary>Largest compressed size kept for an input of <paramref name="sourceLength"/> bytes.</summary>
    public static int MaxKeptLength(int sourceLength)
        => sourceLength <= 0 ? 0 : sourceLength - Math.Max(1, sourceLength / MinimumSavingsDivisor);

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/> (at least source.Length
    /// bytes), or copies it raw. Source and destination must not overlap.
    /// </summary>
    public static CompressionResult Compress(CompressionSettings settings, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException(
                $"compression destination needs at least the source length ({source.Length} bytes), got {destination.Length}", nameof(destination));
        }

        if (source.Overlaps(destination))
        {
            throw new ArgumentException("compression source and destination overlap; use separate buffers", nameof(destination));
        }

        if (source.IsEmpty)
        {
            return new CompressionResult(CompressionCodec.None, 0);
        }

        Span<byte> window = destination[..MaxKeptLength(source.Length)];
        bool fits;
        int written;
        switch (settings.Codec)
        {
            case CompressionCodec.Zstd:
                fits = Zstd.TryCompress(source, window, settings.Level, out written);
                break;
            case CompressionCodec.Lz4:
                fits = Lz4.TryCompress(source, window, out written);
                break;
            default:
                fits = false;
                written = 0;
                break;
        }

        if (fits)
        {
            return new CompressionResult(settings.Codec, written);
        }

        source.CopyTo(destination);
        return new CompressionResult(CompressionCodec.None, source.Length);
    }

    /// <summary>
    /// Reverses <see cref="Compress"/>: <paramref name="destination"/>'s length is the exact
    /// decompressed size. Raw payloads must already have that size.
    /// </summary>
    public static void Decompress(CompressionCodec codec, ReadOnlySpan<byte> source, Span<byte> destination)
    {
        switch (codec)
        {
            case CompressionCodec.None:
                if (source.Length != destination.Length)
                {
                    throw new NativeCodecException("argosfs", "decompress",
                        $"raw stripe payload is {source.Length} bytes, expected {destination.Length}: the stripe header or payload is corrupt");
                }

                source.CopyTo(destination);
                break;
            case CompressionCodec.Zstd:
                Zstd.Decompress(source, destination);
                break;
            case CompressionCodec.Lz4:
                Lz4.Decompress(source, destination);
                break;
            default:
                throw new NativeCodecException("argosfs", "decompress",
                    $"unknown compression codec {(byte)codec} in stripe header: the header is corrupt or was written by a newer argosfs");
        }
    }
}
