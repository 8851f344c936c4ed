using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Argos.Platform.Native;

/// <summary>
/// liblz4 block format (lz4.h, v1.9): raw blocks, no frame header, so the caller keeps the
/// decompressed size (the stripe header does).
/// </summary>
/// <remarks>
/// <c>LZ4_decompress_safe</c> never reads past <c>compressedSize</c> nor writes past <c>dstCapacity</c>
/// and reports malformed input as a negative result; we additionally require the output to be exactly
/// the expected size. LZ4_compress_default keeps its hash table on the C stack: no context to manage.
/// </remarks>
public static unsafe partial class Lz4
{
    // lz4.h: LZ4_MAX_INPUT_SIZE.
    public const int MaxInputSize = 0x7E000000;

    static Lz4() => NativeLibraries.EnsureFallbackRegistered();

    public static int VersionNumber => LZ4_versionNumber();

    public static int CompressBound(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        int bound = LZ4_compressBound(sourceLength);
        if (bound <= 0)
        {
            ThrowError("LZ4_compressBound", $"source of {sourceLength} bytes exceeds LZ4_MAX_INPUT_SIZE ({MaxInputSize})");
        }

        return bound;
    }

    /// <summary>Compresses; returns false when the block does not fit in <paramref name="destination"/>.</summary>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, out int written)
    {
        if (source.Length > MaxInputSize)
        {
            ThrowError("LZ4_compress_default", $"source of {source.Length} bytes exceeds LZ4_MAX_INPUT_SIZE ({MaxInputSize})");
        }

        byte empty = 0;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            // lz4 wants non-null pointers even for empty buffers.
            written = LZ4_compress_default(src == null ? &empty : src, dst == null ? &empty : dst, source.Length, destination.Length);
        }

        return written > 0;
    }

    /// <summary>Compresses; the destination must hold <see cref="CompressBound"/> bytes.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (!TryCompress(source, destination, out int written))
        {
            ThrowError("LZ4_compress_default",
                $"destination of {destination.Length} bytes is too small; size it with Lz4.CompressBound({source.Length})");
        }

        return written;
    }

    /// <summary>Decompresses a block whose decompressed size is exactly <paramref name="destination"/>'s length.</summary>
    public static void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int result;
        byte empty = 0;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = LZ4_decompress_safe(src == null ? &empty : src, dst == null ? &empty : dst, source.Length, destination.Length);
        }

        if (result < 0)
        {
            ThrowError("LZ4_decompress_safe",
                $"malformed block at input offset {-(long)result - 1} ({source.Length} compressed bytes, {destination.Length} expected): the block is corrupt or truncated");
        }

        if (result != destination.Length)
        {
            ThrowError("LZ4_decompress_safe",
                $"block decompressed to {result} bytes, expected {destination.Length}: the block is corrupt or belongs to another stripe");
        }
    }

    [DoesNotReturn]
    private static void ThrowError(string function, string detail) => throw new NativeCodecException("liblz4", function, detail);

    [LibraryImport(NativeLibraries.Lz4)]
    private static partial int LZ4_versionNumber();

    [LibraryImport(NativeLibraries.Lz4)]
    private static partial int LZ4_compressBound(int inputSize);

    [LibraryImport(NativeLibraries.Lz4)]
    private static partial int LZ4_compress_default(byte* src, byte* dst, int srcSize, int dstCapacity);

    [LibraryImport(NativeLibraries.Lz4)]
    private static partial int LZ4_decompress_safe(byte* src, byte* dst, int compressedSize, int dstCapacity);
}
