// Systematic Reed-Solomon erasure code over GF(2^8), byte-compatible with Intel ISA-L.
//
//   Field     GF(2^8), reduction polynomial x^8 + x^4 + x^3 + x^2 + 1 (0x11D), addition = XOR (Gf256.cs)
//   Layout    k data shards + m parity shards of equal length S; 1 <= k, 0 <= m, k + m <= 255
//   Matrix    the (k+m) x k Cauchy matrix of ISA-L's gf_gen_cauchy1_matrix (CodingMatrix.cs):
//               rows 0..k-1   identity (shard i < k IS data shard i: the code is systematic)
//               row  i >= k   a[i][j] = 1 / (i XOR j)
//   Encode    parity[i - k][b] = XOR over j < k of a[i][j] * data[j][b]   for every byte offset b < S,
//             exactly the bytes ISA-L's ec_encode_data(S, k, m, ec_init_tables(a[k..])) produces
//   Decode    every k x k submatrix of a is invertible (Cauchy), so ANY k surviving shards recover the
//             stripe: take the first k present shards s_0 < .. < s_{k-1}, invert B = a[s_*] (as ISA-L's
//             gf_invert_matrix), then
//               missing data shard e < k     row e of B^-1
//               missing parity shard e >= k  a[e] * B^-1
//             applied to the survivors. Only the shards asked for are computed.
//   Limits    decoding is impossible when more than m shards are missing (fewer than k survive):
//             TooManyErasuresException. Nothing here detects corrupt shards: a shard that is present
//             must be correct (checksums live in DataPath); Verify only says whether parity matches.
//   Update    the code is linear: when data shard d changes, parity[r] ^= a[k + r][d] * (old ^ new),
//             so a small overwrite touches only the changed byte range of each parity shard.
//
// Kernels (Kernels/): split-nibble table lookup with pshufb at 512, 256 or 128 bits, or scalar, chosen
// once from the CPU at startup. GFNI (gf2p8affineqb) would be faster still, but System.Runtime.Intrinsics
// .X86.Gfni first appears in .NET 10 and this project compiles against net9.0, so it is not used.
//
// Buffers: all shards of one call have the same length; outputs (parity, rebuilt shards) must not alias
// inputs. Calls are thread-safe (codecs are immutable; the decode-plan cache is concurrent) and
// allocate nothing once a layout's codec and an erasure pattern's plan exist.
using System.Buffers;
using System.Collections.Concurrent;
using Argos.Erasure.Kernels;

namespace Argos.Erasure;

/// <summary>A Reed-Solomon codec for one k+m layout. Obtain with <see cref="Get"/>; thread-safe.</summary>
public sealed unsafe partial class ReedSolomon
{
    /// <summary>GF(2^8) has 256 elements; the Cauchy construction needs distinct row labels.</summary>
    public const int MaxTotalShards = 255;

    private static readonly ConcurrentDictionary<int, ReedSolomon> s_codecs = new();

    [ThreadStatic]
    private static MemoryHandle[]? t_pins;

    private readonly byte[] _matrix;           // (k+m) x k, row-major
    private readonly NibbleTables _parity;     // the m parity rows, as kernel tables
    private readonly EcKernel _kernel;

    private ReedSolomon(int k, int m, EcKernel kernel)
    {
        DataShards = k;
        ParityShards = m;
        _kernel = kernel;
        _matrix = CodingMatrix.Cauchy(k, m);
        _parity = new NibbleTables(_matrix.AsSpan(k * k), m, k);
    }

    /// <summary>The shared codec for k data and m parity shards (built once, then cached).</summary>
    public static ReedSolomon Get(int dataShards, int parityShards)
    {
        ValidateLayout(dataShards, parityShards);
        int key = (dataShards << 8) | parityShards;
        return s_codecs.TryGetValue(key, out ReedSolomon? codec)
            ? codec
            : s_codecs.GetOrAdd(key, static (_, l) => new ReedSolomon(l.k, l.m, EcKernels.Best), (k: dataShards, m: parityShards));
    }

    /// <summary>A private codec computing with a given kernel (tests and benchmarks).</summary>
    internal static ReedSolomon Create(int dataShards, int parityShards, EcKernel kernel)
    {
        ValidateLayout(dataShards, parityShards);
        if (!EcKernels.IsSupported(kernel))
        {
            throw new PlatformNotSupportedException($"the {kernel} erasure kernel needs CPU instructions this machine lacks");
        }
        return new ReedSolomon(dataShards, parityShards, kernel);
    }

    public int DataShards { get; }

    public int ParityShards { get; }

    public int TotalShards => DataShards + ParityShards;

    /// <summary>Which kernel this codec runs: "avx512bw", "avx2", "ssse3" or "scalar".</summary>
    public string Implementation => _kernel switch
    {
        EcKernel.Vector512 => "avx512bw",
        EcKernel.Vector256 => "avx2",
        EcKernel.Vector128 => "ssse3",
        _ => "scalar",
    };

    internal EcKernel Kernel => _kernel;

    /// <summary>Entry (row, column) of the (k+m) x k coding matrix; rows k.. are the parity rows.</summary>
    public byte Coefficient(int row, int column)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, TotalShards);
        ArgumentOutOfRangeException.ThrowIfNegative(column);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(column, DataShards);
        return _matrix[(row * DataShards) + column];
    }

    /// <summary>
    /// Computes the m parity shards of a stripe whose k data shards lie back to back in
    /// <paramref name="data"/> (k * S bytes); <paramref name="parity"/> receives m * S bytes.
    /// </summary>
    public void Encode(ReadOnlySpan<byte> data, Span<byte> parity)
    {
        int k = DataShards, m = ParityShards;
        if (data.Length % k != 0)
        {
            ThrowHelper.Argument(nameof(data), $"data is {data.Length} bytes, not a whole number of {k} shards; pad the stripe to a multiple of {k}");
        }
        int shardBytes = data.Length / k;
        if (parity.Length != m * shardBytes)
        {
            ThrowHelper.Argument(nameof(parity), $"parity is {parity.Length} bytes but {m} shards of {shardBytes} bytes need {m * shardBytes}");
        }
        if (data.Overlaps(parity)) ThrowHelper.Argument(nameof(parity), "parity overlaps data; give parity its own buffer");
        if (shardBytes == 0 || m == 0) return;

        byte** inputs = stackalloc byte*[k];
        byte** outputs = stackalloc byte*[m];
        fixed (byte* d = data)
        fixed (byte* p = parity)
        {
            for (int j = 0; j < k; j++) inputs[j] = d + ((nint)j * shardBytes);
            for (int r = 0; r < m; r++) outputs[r] = p + ((nint)r * shardBytes);
            EncodeCore(inputs, outputs, shardBytes);
        }
    }

    /// <summary>Computes parity[0..m) from data[0..k); all buffers have the same length.</summary>
    public void Encode(ReadOnlySpan<ReadOnlyMemory<byte>> data, ReadOnlySpan<Memory<byte>> parity)
    {
        int k = DataShards, m = ParityShards;
        if (data.Length != k) ThrowHelper.Argument(nameof(data), $"{data.Length} data shards given to a {k}+{m} codec; pass exactly {k}");
        if (parity.Length != m) ThrowHelper.Argument(nameof(parity), $"{parity.Length} parity shards given to a {k}+{m} codec; pass exactly {m}");
        int len = data[0].Length;
        for (int j = 1; j < k; j++) CheckLength(nameof(data), j, data[j].Length, len);
        for (int r = 0; r < m; r++) CheckLength(nameof(parity), r, parity[r].Length, len);
        if (len == 0 || m == 0) return;

        byte** inputs = stackalloc byte*[k];
        byte** outputs = stackalloc byte*[m];
        MemoryHandle[] pins = t_pins ??= new MemoryHandle[MaxTotalShards];
        int pinned = 0;
        try
        {
            for (int j = 0; j < k; j++) inputs[j] = Pin(pins, ref pinned, data[j]);
            for (int r = 0; r < m; r++) outputs[r] = Pin(pins, ref pinned, parity[r]);
            EncodeCore(inputs, outputs, len);
        }
        finally
        {
            Unpin(pins, pinned);
        }
    }

    private void EncodeCore(byte** inputs, byte** outputs, nint shardBytes)
    {
        DotKernels.Run(_kernel, _parity.Pointer, _parity.Stride, DataShards, inputs, ParityShards, outputs, shardBytes);
        GC.KeepAlive(_parity);
    }

    private static void ValidateLayout(int k, int m)
    {
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, $"a stripe needs at least 1 data shard, got {k}");
        if (m < 0) throw new ArgumentOutOfRangeException(nameof(m), m, $"parity shard count cannot be negative, got {m}");
        if (k + m > MaxTotalShards)
        {
            throw new ArgumentOutOfRangeException(nameof(m), m,
                $"layout {k}+{m} has {k + m} shards; Reed-Solomon over GF(2^8) allows at most {MaxTotalShards} (k + m <= {MaxTotalShards})");
        }
    }

    private static void CheckLength(string paramName, int index, int actual, int expected)
    {
        if (actual != expected)
        {
            ThrowHelper.Argument(paramName, $"{paramName}[{index}] is {actual} bytes but shard 0 is {expected}; all shards of a stripe must have the same length");
        }
    }

    private static byte* Pin(MemoryHandle[] pins, ref int pinned, ReadOnlyMemory<byte> memory)
    {
        pins[pinned] = memory.Pin();
        return (byte*)pins[pinned++].Pointer;
    }

    private static void Unpin(MemoryHandle[] pins, int pinned)
    {
        for (int i = 0; i < pinned; i++)
        {
            pins[i].Dispose();
            pins[i] = default;
        }
    }
}
