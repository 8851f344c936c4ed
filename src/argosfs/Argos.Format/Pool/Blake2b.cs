// BLAKE2b (RFC 7693), unkeyed, with a configurable digest length (1..64 bytes; Argos uses 16).
//
//   state h[0..7] = IV ⊕ parameter block (digest length, fanout 1, depth 1)
//   compress(h, m[16 × u64], t, last): 12 rounds of G over v[0..15] with the SIGMA message schedule,
//   rotations 32, 24, 16, 63.
//   test vectors (Blake2bTests.cs in the storage test project): BLAKE2b-512("abc") from RFC 7693 appendix A,
//   BLAKE2b-128 vectors produced by Python's hashlib.blake2b(digest_size=16).
//
// Managed rather than libsodium so that Format stays free of native dependencies and works after
// switch_root; journal records are small, so speed is not the concern here.
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;

namespace Argos.Format.Pool;

/// <summary>An incremental BLAKE2b hasher (a struct: no allocation per hash).</summary>
public struct Blake2b
{
    private static ReadOnlySpan<ulong> IV =>
    [
        0x6A09E667F3BCC908UL, 0xBB67AE8584CAA73BUL, 0x3C6EF372FE94F82BUL, 0xA54FF53A5F1D36F1UL,
        0x510E527FADE682D1UL, 0x9B05688C2B3E6C1FUL, 0x1F83D9ABFB41BD6BUL, 0x5BE0CD19137E2179UL,
    ];

    private static ReadOnlySpan<byte> Sigma =>
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
        11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4,
        7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8,
        9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13,
        2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9,
        12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11,
        13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10,
        6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5,
        10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
        14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3,
    ];

    [InlineArray(8)]
    private struct State8
    {
        private ulong _e;
    }

    [InlineArray(128)]
    private struct Block128
    {
        private byte _e;
    }

    private State8 _h;
    private Block128 _buffer;
    private int _bufferLength;
    private ulong _t0;
    private ulong _t1;
    private int _digestLength;

    public static Blake2b Create(int digestLength)
    {
        if (digestLength is < 1 or > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(digestLength), "BLAKE2b digests are 1..64 bytes");
        }
        var b = new Blake2b { _digestLength = digestLength };
        for (int i = 0; i < 8; i++)
        {
            b._h[i] = IV[i];
        }
        b._h[0] ^= 0x01010000UL ^ (ulong)digestLength;
        return b;
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        Span<byte> buffer = _buffer;
        while (data.Length > 0)
        {
            if (_bufferLength == 128)
            {
                // Only compress a full buffer once more input is known to follow (the last block is special).
                Increment(128);
                Compress(buffer, last: false);
                _bufferLength = 0;
            }
            int n = Math.Min(128 - _bufferLength, data.Length);
            data[..n].CopyTo(buffer[_bufferLength..]);
            _bufferLength += n;
            data = data[n..];
        }
    }

    public void Finish(Span<byte> digest)
    {
        if (digest.Length < _digestLength)
        {
            throw new ArgumentException("digest buffer too short", nameof(digest));
        }
        Span<byte> buffer = _buffer;
        Increment((ulong)_bufferLength);
        buffer[_bufferLength..].Clear();
        Compress(buffer, last: true);
        Span<byte> out64 = stackalloc byte[64];
        for (int i = 0; i < 8; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(out64[(i * 8)..], _h[i]);
        }
        out64[.._digestLength].CopyTo(digest);
    }

    /// <summary>One-shot BLAKE2b with a digest of digest.Length bytes.</summary>
    public static void Hash(ReadOnlySpan<byte> data, Span<byte> digest)
    {
        var b = Create(digest.Length);
        b.Update(data);
        b.Finish(digest);
    }

    private void Increment(ulong n)
    {
        _t0 += n;
        if (_t0 < n)
        {
            _t1++;
        }
    }

    private void Compress(ReadOnlySpan<byte> block, bool last)
    {
        Span<ulong> m = stackalloc ulong[16];
        Span<ulong> v = stackalloc ulong[16];
        for (int i = 0; i < 16; i++)
        {
            m[i] = BinaryPrimitives.ReadUInt64LittleEndian(block[(i * 8)..]);
        }
        for (int i = 0; i < 8; i++)
        {
            v[i] = _h[i];
            v[i + 8] = IV[i];
        }
        v[12] ^= _t0;
        v[13] ^= _t1;
        if (last)
        {
            v[14] = ~v[14];
        }
        ReadOnlySpan<byte> sigma = Sigma;
        for (int r = 0; r < 12; r++)
        {
            ReadOnlySpan<byte> s = sigma.Slice(r * 16, 16);
            G(v, 0, 4, 8, 12, m[s[0]], m[s[1]]);
            G(v, 1, 5, 9, 13, m[s[2]], m[s[3]]);
            G(v, 2, 6, 10, 14, m[s[4]], m[s[5]]);
            G(v, 3, 7, 11, 15, m[s[6]], m[s[7]]);
            G(v, 0, 5, 10, 15, m[s[8]], m[s[9]]);
            G(v, 1, 6, 11, 12, m[s[10]], m[s[11]]);
            G(v, 2, 7, 8, 13, m[s[12]], m[s[13]]);
            G(v, 3, 4, 9, 14, m[s[14]], m[s[15]]);
        }
        for (int i = 0; i < 8; i++)
        {
            _h[i] ^= v[i] ^ v[i + 8];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void G(Span<ulong> v, int a, int b, int c, int d, ulong x, ulong y)
    {
        v[a] = v[a] + v[b] + x;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 32);
        v[c] = v[c] + v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 24);
        v[a] = v[a] + v[b] + y;
        v[d] = BitOperations.RotateRight(v[d] ^ v[a], 16);
        v[c] = v[c] + v[d];
        v[b] = BitOperations.RotateRight(v[b] ^ v[c], 63);
    }
}
