// Allocation bitmap of one member's data region: bit b set = 4 KiB block b of [data_offset, +data_length)
// is allocated. Next-fit: searches start where the last allocation ended and wrap once.
using System.Numerics;
using Argos.Format;
using Argos.Format.Pool;

namespace Argos.Storage;

internal sealed class MemberBitmap
{
    private readonly ulong[] _words;
    private long _cursor;

    public MemberBitmap(MemberIndex member, long dataOffset, long dataLength)
    {
        Member = member;
        DataOffset = dataOffset;
        BlockCount = dataLength / MemberLayout.BlockSize;
        _words = new ulong[(BlockCount + 63) / 64];
        FreeBlocks = BlockCount;
    }

    public MemberIndex Member { get; }
    public long DataOffset { get; }
    public long BlockCount { get; }
    public long FreeBlocks { get; private set; }
    public long DataLength => BlockCount * MemberLayout.BlockSize;
    public int PageCount => (int)((BlockCount + AllocRecords.BlocksPerBitmapPage - 1) / AllocRecords.BlocksPerBitmapPage);

    public bool IsSet(long block) => (_words[block >> 6] & (1UL << (int)(block & 63))) != 0;

    public void SetRange(long first, long count, bool value)
    {
        for (long b = first; b < first + count; b++)
        {
            ref ulong w = ref _words[b >> 6];
            ulong bit = 1UL << (int)(b & 63);
            bool was = (w & bit) != 0;
            if (was == value)
            {
                continue;
            }
            w ^= bit;
            FreeBlocks += value ? -1 : 1;
        }
    }

    public bool AllSet(long first, long count)
    {
        for (long b = first; b < first + count; b++)
        {
            if (!IsSet(b)) return false;
        }
        return true;
    }

    public bool AnySet(long first, long count)
    {
        for (long b = first; b < first + count; b++)
        {
            if (IsSet(b)) return true;
        }
        return false;
    }

    /// <summary>First block of a free run of count blocks, or −1. Also reports the longest run seen.</summary>
    public long FindRun(long count, out long longestRun)
    {
        longestRun = 0;
        long start = _cursor;
        long found = Scan(start, BlockCount, count, ref longestRun);
        if (found < 0 && start > 0)
        {
            found = Scan(0, Math.Min(BlockCount, start + count), count, ref longestRun);
        }
        if (found >= 0)
        {
            _cursor = found + count >= BlockCount ? 0 : found + count;
        }
        return found;
    }

    private long Scan(long from, long to, long count, ref long longestRun)
    {
        long b = from;
        while (b < to)
        {
            // Skip fully allocated words quickly.
            if ((b & 63) == 0 && b + 64 <= to && _words[b >> 6] == ulong.MaxValue)
            {
                b += 64;
                continue;
            }
            if (IsSet(b))
            {
                b++;
                continue;
            }
            long runStart = b;
            while (b < to && b - runStart < count)
            {
                if ((b & 63) == 0 && b + 64 <= to && _words[b >> 6] == 0 && b - runStart + 64 <= count)
                {
                    b += 64;
                    continue;
                }
                if (IsSet(b)) break;
                b++;
            }
            long run = b - runStart;
            longestRun = Math.Max(longestRun, run);
            if (run >= count)
            {
                return runStart;
            }
        }
        return -1;
    }

    /// <summary>Copies bitmap page p (4096 bytes = 32768 blocks, little-endian words) into destination.</summary>
    public void CopyPage(int page, Span<byte> destination)
    {
        destination[..AllocRecords.BitmapPageBytes].Clear();
        int wordsPerPage = AllocRecords.BitmapPageBytes / 8;
        int first = page * wordsPerPage;
        for (int i = 0; i < wordsPerPage && first + i < _words.Length; i++)
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(destination[(i * 8)..], _words[first + i]);
        }
    }

    public void LoadPage(int page, ReadOnlySpan<byte> source)
    {
        int wordsPerPage = AllocRecords.BitmapPageBytes / 8;
        int first = page * wordsPerPage;
        for (int i = 0; i < wordsPerPage && first + i < _words.Length; i++)
        {
            ulong w = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(source[(i * 8)..]);
            if (first + i == _words.Length - 1 && BlockCount % 64 != 0)
            {
                w &= (1UL << (int)(BlockCount % 64)) - 1; // bits past the region stay clear
            }
            FreeBlocks += BitOperations.PopCount(_words[first + i]) - BitOperations.PopCount(w);
            _words[first + i] = w;
        }
    }

    public MemberBitmap Clone()
    {
        var c = new MemberBitmap(Member, DataOffset, DataLength);
        Array.Copy(_words, c._words, _words.Length);
        c.FreeBlocks = FreeBlocks;
        return c;
    }

    public void Clear()
    {
        Array.Clear(_words);
        FreeBlocks = BlockCount;
        _cursor = 0;
    }
}
