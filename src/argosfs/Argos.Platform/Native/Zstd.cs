using System.Diagnostics.CodeAnalysis;
using System.Runtime.InteropServices;

namespace Argos.Platform.Native;

/// <summary>
/// libzstd one-shot compression with per-thread reusable contexts (zstd.h, v1.5).
/// </summary>
/// <remarks>
/// Every frame is written by <c>ZSTD_compressCCtx</c>, which records the content size in the frame header.
/// Decompression is bounds-safe by construction: the caller states the exact decompressed size (the
/// destination span's length); <c>ZSTD_decompressDCtx</c> never writes past its capacity and never reads
/// past the source, and any result other than exactly that size is a <see cref="NativeCodecException"/>.
/// Contexts: one ZSTD_CCtx and one ZSTD_DCtx per thread, created on first use and freed by their
/// SafeHandle's finalizer when the thread ends, so steady-state calls allocate nothing.
/// </remarks>
public static unsafe partial class Zstd
{
    public const int DefaultLevel = 3;

    // zstd_errors.h: ZSTD_error_dstSize_tooSmall.
    private const int ErrorDstSizeTooSmall = 70;

    [ThreadStatic] private static ContextHandle? t_compress;
    [ThreadStatic] private static ContextHandle? t_decompress;

    static Zstd() => NativeLibraries.EnsureFallbackRegistered();

    public static int MinLevel => ZSTD_minCLevel();
    public static int MaxLevel => ZSTD_maxCLevel();
    public static string Version => Marshal.PtrToStringUTF8(ZSTD_versionString()) ?? "?";

    /// <summary>Worst-case compressed size of <paramref name="sourceLength"/> bytes.</summary>
    public static int CompressBound(int sourceLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sourceLength);
        nuint bound = ZSTD_compressBound((nuint)sourceLength);
        if (ZSTD_isError(bound) != 0 || bound > int.MaxValue)
        {
            ThrowError("ZSTD_compressBound", $"source of {sourceLength} bytes is too large for one frame");
        }

        return (int)bound;
    }

    /// <summary>
    /// Compresses <paramref name="source"/> into <paramref name="destination"/>. Returns false (and
    /// <paramref name="written"/> = 0) when the frame does not fit: callers use a destination smaller
    /// than the source to learn cheaply that compression does not help.
    /// </summary>
    public static bool TryCompress(ReadOnlySpan<byte> source, Span<byte> destination, int level, out int written)
    {
        IntPtr cctx = Context(ref t_compress, compress: true);
        nuint result;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = ZSTD_compressCCtx(cctx, dst, (nuint)destination.Length, src, (nuint)source.Length, level);
        }

        if (ZSTD_isError(result) != 0)
        {
            written = 0;
            if (ZSTD_getErrorCode(result) == ErrorDstSizeTooSmall)
            {
                return false;
            }

            ThrowError("ZSTD_compressCCtx", ErrorName(result) + $" (level {level}, {source.Length} bytes)");
        }

        written = (int)result;
        return true;
    }

    /// <summary>Compresses; the destination must hold <see cref="CompressBound"/> bytes.</summary>
    public static int Compress(ReadOnlySpan<byte> source, Span<byte> destination, int level = DefaultLevel)
    {
        if (!TryCompress(source, destination, level, out int written))
        {
            ThrowError("ZSTD_compressCCtx",
                $"destination of {destination.Length} bytes is too small; size it with Zstd.CompressBound({source.Length})");
        }

        return written;
    }

    /// <summary>
    /// Decompresses one stripe: <paramref name="destination"/>'s length is the exact expected size.
    /// Corrupt, truncated, or wrongly sized input throws <see cref="NativeCodecException"/>.
    /// </summary>
    public static void Decompress(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        IntPtr dctx = Context(ref t_decompress, compress: false);
        nuint result;
        fixed (byte* src = source)
        fixed (byte* dst = destination)
        {
            result = ZSTD_decompressDCtx(dctx, dst, (nuint)destination.Length, src, (nuint)source.Length);
        }

        if (ZSTD_isError(result) != 0)
        {
            ThrowError("ZSTD_decompressDCtx",
                $"{ErrorName(result)} ({source.Length} compressed bytes, {destination.Length} expected): the frame is corrupt or truncated");
        }

        if (result != (nuint)destination.Length)
        {
            ThrowError("ZSTD_decompressDCtx",
                $"frame decompressed to {result} bytes, expected {destination.Length}: the frame is corrupt or belongs to another stripe");
        }
    }

    /// <summary>The content size recorded in a frame header, or null when absent or the header is invalid.</summary>
    public static ulong? GetFrameContentSize(ReadOnlySpan<byte> source)
    {
        ulong size;
        fixed (byte* src = source)
        {
            size = ZSTD_getFrameContentSize(src, (nuint)source.Length);
        }

        return size >= unchecked(0UL - 2) ? null : size;
    }

    private static IntPtr Context(ref ContextHandle? slot, bool compress)
    {
        ContextHandle? handle = slot;
        if (handle is null)
        {
            handle = slot = CreateContext(compress);
        }

        return handle.DangerousGetHandle();
    }

    private static ContextHandle CreateContext(bool compress)
    {
        IntPtr ctx = compress ? ZSTD_createCCtx() : ZSTD_createDCtx();
        if (ctx == IntPtr.Zero)
        {
            ThrowError(compress ? "ZSTD_createCCtx" : "ZSTD_createDCtx", "out of memory");
        }

        return new ContextHandle(ctx, compress);
    }

    private static string ErrorName(nuint code) => Marshal.PtrToStringUTF8(ZSTD_getErrorName(code)) ?? $"error {code}";

    [DoesNotReturn]
    private static void ThrowError(string function, string detail) => throw new NativeCodecException("libzstd", function, detail);

    private sealed class ContextHandle : SafeHandle
    {
        private readonly bool _compress;

        public ContextHandle(IntPtr ctx, bool compress) : base(IntPtr.Zero, ownsHandle: true)
        {
            _compress = compress;
            SetHandle(ctx);
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        protected override bool ReleaseHandle()
            => (_compress ? ZSTD_freeCCtx(handle) : ZSTD_freeDCtx(handle)) == 0;
    }

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial nuint ZSTD_compressBound(nuint srcSize);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial uint ZSTD_isError(nuint code);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial int ZSTD_getErrorCode(nuint functionResult);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial IntPtr ZSTD_getErrorName(nuint code);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial IntPtr ZSTD_versionString();

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial int ZSTD_minCLevel();

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial int ZSTD_maxCLevel();

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial IntPtr ZSTD_createCCtx();

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial nuint ZSTD_freeCCtx(IntPtr cctx);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial IntPtr ZSTD_createDCtx();

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial nuint ZSTD_freeDCtx(IntPtr dctx);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial nuint ZSTD_compressCCtx(IntPtr cctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize, int compressionLevel);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial nuint ZSTD_decompressDCtx(IntPtr dctx, byte* dst, nuint dstCapacity, byte* src, nuint srcSize);

    [LibraryImport(NativeLibraries.Zstd)]
    private static partial ulong ZSTD_getFrameContentSize(byte* src, nuint srcSize);
}
