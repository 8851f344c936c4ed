// CRC-32C (Castagnoli), as used by iSCSI, ext4, btrfs and SSE4.2's CRC32 instruction.
//
//   polynomial  0x1EDC6F41 (normal), 0x82F63B78 (reflected; this code works reflected, LSB first)
//   init        0xFFFFFFFF, xorout 0xFFFFFFFF, refin = refout = true
//   check       CRC("123456789") = 0xE3069283;  CRC(32 × 0x00) = 0x8A9136AA
//
// Conventions: Compute(data) = Append(0, data), and Append(Compute(a), b) = Compute(a ‖ b), so a CRC can
// be continued over later buffers. Internally the "raw" state is the complement of the public CRC.
//
// Hardware path (SSE4.2 CRC32 r64, 8 bytes per instruction). The instruction has a latency of 3 cycles
// and a throughput of 1 per cycle, so long inputs run three independent streams over three adjacent
// blocks of n bytes and then merge them. The raw CRC is linear over GF(2):
//
//   raw(s, A ‖ B) = Z_|B|(raw(s, A)) ⊕ raw(0, B)
//
// where Z_n (feeding n zero bytes) is a 32×32 GF(2) matrix. Z_n is applied with four 256-entry tables
// (one per state byte), built at first use from its 32 columns Z_n(1 << i) — see ShiftTable.Build.
// Block sizes: 8192 bytes (big buffers) and 256 bytes (the tail), after Mark Adler's crc32c.c design.
//
// Software path (no SSE4.2: e.g. QEMU TCG's default CPU models): slicing-by-8, eight 256-entry tables
// T_k[b] = CRC of byte b followed by k zero bytes, generated below from the polynomial.
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Argos.Format;

/// <summary>CRC-32C (Castagnoli), hardware-accelerated with SSE4.2 when present, slicing-by-8 otherwise.</summary>
public static class Crc32C
{
    public const uint ReflectedPolynomial = 0x82F63B78;

    /// <summary>Setting the environment variable of this name to 1 forces the software path (for testing the fallback in a real binary).</summary>
    public const string ForceSoftwareVariable = "ARGOSFS_CRC32C_SOFTWARE";

    private const int LongBlock = 8192;
    private const int ShortBlock = 256;

    private static readonly uint[] s_slicing = BuildSlicingTables();

    /// <summary>True when this CPU has the SSE4.2 CRC32 instruction (64-bit form).</summary>
    public static bool IsHardwareAccelerated => Sse42.X64.IsSupported;

    /// <summary>
    /// Routes <see cref="Compute"/> and <see cref="Append"/> to the software path (tests; the
    /// <see cref="ForceSoftwareVariable"/> environment variable sets it at startup).
    /// </summary>
    public static bool ForceSoftware { get; set; } = Environment.GetEnvironmentVariable(ForceSoftwareVariable) == "1";

    public static uint Compute(ReadOnlySpan<byte> data) => Append(0, data);

    public static uint Append(uint crc, ReadOnlySpan<byte> data)
        => IsHardwareAccelerated && !ForceSoftware ? ~AppendRawHardware(~crc, data) : ~AppendRawSoftware(~crc, data);

    /// <summary>The slicing-by-8 path, whatever the CPU.</summary>
    public static uint AppendSoftware(uint crc, ReadOnlySpan<byte> data) => ~AppendRawSoftware(~crc, data);

    /// <summary>The SSE4.2 path; throws <see cref="PlatformNotSupportedException"/> on CPUs without it.</summary>
    public static uint AppendHardware(uint crc, ReadOnlySpan<byte> data)
    {
        if (!IsHardwareAccelerated)
        {
            throw new PlatformNotSupportedException("CRC32C hardware path needs SSE4.2 (CRC32 instruction); this CPU lacks it — use Crc32C.Append, which falls back to software");
        }

        return ~AppendRawHardware(~crc, data);
    }

    private static uint AppendRawSoftware(uint raw, ReadOnlySpan<byte> data)
    {
        ReadOnlySpan<uint> t = s_slicing;
        while (data.Length >= 8)
        {
            uint lo = raw ^ BinaryPrimitives.ReadUInt32LittleEndian(data);
            uint hi = BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            raw = t[(7 * 256) + (int)(lo & 0xFF)] ^ t[(6 * 256) + (int)((lo >> 8) & 0xFF)]
                ^ t[(5 * 256) + (int)((lo >> 16) & 0xFF)] ^ t[(4 * 256) + (int)(lo >> 24)]
                ^ t[(3 * 256) + (int)(hi & 0xFF)] ^ t[(2 * 256) + (int)((hi >> 8) & 0xFF)]
                ^ t[256 + (int)((hi >> 16) & 0xFF)] ^ t[(int)(hi >> 24)];
            data = data[8..];
        }

        foreach (byte b in data)
        {
            raw = (raw >> 8) ^ t[(int)((raw ^ b) & 0xFF)];
        }

        return raw;
    }

    private static uint AppendRawHardware(uint raw, ReadOnlySpan<byte> data)
    {
        ref byte p = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint offset = 0;
        ulong crc = raw;

        if (length - offset >= 3 * LongBlock)
        {
            crc = ThreeWay(crc, ref p, ref offset, length, LongBlock, ShiftTable.Long);
        }

        if (length - offset >= 3 * ShortBlock)
        {
            crc = ThreeWay(crc, ref p, ref offset, length, ShortBlock, ShiftTable.Short);
        }

        while (length - offset >= 8)
        {
            crc = Sse42.X64.Crc32(crc, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref p, offset)));
            offset += 8;
        }

        uint c = (uint)crc;
        while (offset < length)
        {
            c = Sse42.Crc32(c, Unsafe.Add(ref p, offset));
            offset++;
        }

        return c;
    }

    // Runs three streams over blocks [o, o+n), [o+n, o+2n), [o+2n, o+3n) while 3n bytes remain.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ThreeWay(ulong crc0, ref byte p, ref nuint offset, nuint length, int block, uint[] shift)
    {
        nuint n = (nuint)block;
        while (length - offset >= 3 * n)
        {
            ulong crc1 = 0;
            ulong crc2 = 0;
            ref byte b0 = ref Unsafe.Add(ref p, offset);
            ref byte b1 = ref Unsafe.Add(ref b0, n);
            ref byte b2 = ref Unsafe.Add(ref b1, n);
            for (nuint i = 0; i < n; i += 8)
            {
                crc0 = Sse42.X64.Crc32(crc0, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b0, i)));
                crc1 = Sse42.X64.Crc32(crc1, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b1, i)));
                crc2 = Sse42.X64.Crc32(crc2, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref b2, i)));
            }

            crc0 = ShiftTable.Apply(shift, (uint)crc0) ^ crc1;
            crc0 = ShiftTable.Apply(shift, (uint)crc0) ^ crc2;
            offset += 3 * n;
        }

        return crc0;
    }

    // T_0[b] = raw CRC of byte b from state 0; T_k[b] = T_{k-1}[b] advanced by one zero byte.
    private static uint[] BuildSlicingTables()
    {
        var t = new uint[8 * 256];
        for (uint b = 0; b < 256; b++)
        {
            uint c = b;
            for (int bit = 0; bit < 8; bit++)
            {
                c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            }

            t[b] = c;
        }

        for (int k = 1; k < 8; k++)
        {
            for (int b = 0; b < 256; b++)
            {
                uint prev = t[((k - 1) * 256) + b];
                t[(k * 256) + b] = (prev >> 8) ^ t[(int)(prev & 0xFF)];
            }
        }

        return t;
    }

    /// <summary>
    /// The CRC of A ‖ B from the CRCs of A and B and the length of B, without reading either:
    /// Combine(crcA, crcB, |B|) = Z_|B|(crcA) ⊕ crcB (the init and xorout terms cancel; see the header).
    /// The shift tables for a length are built by squaring (microseconds) and the first 64 lengths
    /// are cached: callers combine shards of a few common sizes.
    /// </summary>
    public static uint Combine(uint crcA, uint crcB, int lengthB)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(lengthB);
        return lengthB == 0 ? crcA : ShiftTable.Apply(ShiftTable.For(lengthB), crcA) ^ crcB;
    }

    /// <summary>How many blocks of <paramref name="blockBytes"/> cover <paramref name="length"/> bytes (the last may be short).</summary>
    public static int BlockCount(int length, int blockBytes) => (length + blockBytes - 1) / blockBytes;

    /// <summary>
    /// The CRC of each <paramref name="blockBytes"/> block of <paramref name="data"/> (the last block may
    /// be short) into <paramref name="blockCrcs"/> (<see cref="BlockCount"/> entries), and the CRC of
    /// the whole, combined from them: one pass over the data for both.
    /// </summary>
    public static uint ComputeBlocks(ReadOnlySpan<byte> data, int blockBytes, Span<uint> blockCrcs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockBytes);
        var count = BlockCount(data.Length, blockBytes);
        if (blockCrcs.Length < count)
        {
            throw new ArgumentException($"{count} blocks of {blockBytes} bytes need {count} CRC slots, got {blockCrcs.Length}", nameof(blockCrcs));
        }
        if (count == 0) return Compute(data);
        uint whole = 0;
        for (var i = 0; i < count; i++)
        {
            var block = data.Slice(i * blockBytes, Math.Min(blockBytes, data.Length - (i * blockBytes)));
            blockCrcs[i] = Compute(block);
            whole = i == 0 ? blockCrcs[0] : Combine(whole, blockCrcs[i], block.Length);
        }
        return whole;
    }

    /// <summary>The CRC of the whole from the CRCs of its blocks (as <see cref="ComputeBlocks"/> cut it) and its length.</summary>
    public static uint CombineBlocks(ReadOnlySpan<uint> blockCrcs, int length, int blockBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blockBytes);
        if (blockCrcs.Length != BlockCount(length, blockBytes))
        {
            throw new ArgumentException($"{length} bytes in blocks of {blockBytes} are {BlockCount(length, blockBytes)} blocks, got {blockCrcs.Length} CRCs", nameof(blockCrcs));
        }
        if (blockCrcs.IsEmpty) return Compute([]);
        var whole = blockCrcs[0];
        for (var i = 1; i < blockCrcs.Length; i++)
        {
            whole = Combine(whole, blockCrcs[i], Math.Min(blockBytes, length - (i * blockBytes)));
        }
        return whole;
    }

    // Z_n as four byte-indexed tables: Apply(Z_n, s) = Z_n(s) = raw CRC of n zero bytes from state s.
    private static class ShiftTable
    {
        public static readonly uint[] Long = Build(LongBlock);
        public static readonly uint[] Short = Build(ShortBlock);
        private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, uint[]> s_byLength = new();

        public static uint[] For(int zeroBytes)
        {
            if (s_byLength.TryGetValue(zeroBytes, out var table)) return table;
            if (s_byLength.Count >= 64) return Build(zeroBytes); // odd lengths: not kept
            return s_byLength.GetOrAdd(zeroBytes, Build);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static uint Apply(uint[] table, uint s)
            => table[(int)(s & 0xFF)] ^ table[256 + (int)((s >> 8) & 0xFF)]
             ^ table[512 + (int)((s >> 16) & 0xFF)] ^ table[768 + (int)(s >> 24)];

        private static uint[] Build(int zeroBytes)
        {
            // Columns of Z_n (the image of each single-bit state after n zero bytes), as Z_1 raised to
            // the n-th power by squaring: O(32 × 32 × log n), so a length that is not cached costs
            // microseconds, not 32 × n table steps (8 M for a 256 KiB shard).
            Span<uint> column = stackalloc uint[32];
            Span<uint> power = stackalloc uint[32];
            Span<uint> scratch = stackalloc uint[32];
            ReadOnlySpan<uint> t0 = s_slicing.AsSpan(0, 256);
            for (int bit = 0; bit < 32; bit++)
            {
                uint s = 1u << bit;
                power[bit] = (s >> 8) ^ t0[(int)(s & 0xFF)]; // Z_1
                column[bit] = s; // the identity
            }

            for (int n = zeroBytes; n != 0; n >>= 1)
            {
                if ((n & 1) != 0)
                {
                    Multiply(power, column, scratch); // column = power × column (the factors commute)
                    scratch.CopyTo(column);
                }

                if (n > 1)
                {
                    Multiply(power, power, scratch);
                    scratch.CopyTo(power);
                }
            }

            var table = new uint[4 * 256];
            for (int k = 0; k < 4; k++)
            {
                for (int b = 0; b < 256; b++)
                {
                    uint v = 0;
                    for (int j = 0; j < 8; j++)
                    {
                        if ((b & (1 << j)) != 0)
                        {
                            v ^= column[(8 * k) + j];
                        }
                    }

                    table[(k * 256) + b] = v;
                }
            }

            return table;
        }

        /// <summary>result = a × b over GF(2), matrices as 32 columns: column j of the product is a applied to column j of b.</summary>
        private static void Multiply(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b, Span<uint> result)
        {
            for (int j = 0; j < 32; j++)
            {
                uint v = 0;
                for (uint x = b[j]; x != 0; x &= x - 1)
                {
                    v ^= a[System.Numerics.BitOperations.TrailingZeroCount(x)];
                }

                result[j] = v;
            }
        }
    }
}
