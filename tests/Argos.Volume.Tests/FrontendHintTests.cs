using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Xunit;
using static Argos.Volume.Tests.FsckTestSupport;

namespace Argos.Volume.Tests;

/// <summary>
/// What the volume tells the FUSE frontend about a request before it waits: a READ that goes to the members
/// calls its hint (the frontend then passes its read turn on), so does a WRITE that reads or stores stripes,
/// and a close with little buffered data is cheap.
/// </summary>
public sealed class FrontendHintTests
{
    [Fact]
    public void Read_CallsItsHintBeforeWaitingOnTheMembers_NotForInlineBufferedOrCachedData()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var stripe = v.StripeDataBytes;
        var stored = RandomBytes(3 * stripe, 1);
        var storedIno = WriteFile(v, "stored", stored);
        var inlineIno = WriteFile(v, "inline", RandomBytes(1000, 2));
        var bufferedIno = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes("buffered"), 0x81A4, Root)).Ino;
        v.Write(bufferedIno, 0, RandomBytes(300_000, 3), Root);

        int hints = 0;
        void Hint() => hints++;
        var buffer = new byte[64 * 1024];

        Assert.Equal(1000, v.Read(inlineIno, 0, buffer, Hint));
        Assert.Equal(buffer.Length, v.Read(bufferedIno, 0, buffer, Hint));
        Assert.Equal(0, hints);

        // A sequential reader in 64 KiB READs: the first READ of a stripe waits on the members (and caches
        // the decoded stripe), the rest of that stripe comes from the cache.
        var perStripe = new List<int>();
        for (int s = 0; s < 2; s++)
        {
            int before = hints;
            for (int offset = 0; offset < stripe; offset += buffer.Length)
            {
                long at = (long)s * stripe + offset;
                Assert.Equal(buffer.Length, v.Read(storedIno, (ulong)at, buffer, Hint));
                Assert.True(stored.AsSpan((int)at, buffer.Length).SequenceEqual(buffer), $"bytes at {at}");
            }

            perStripe.Add(hints - before);
        }

        Assert.True(perStripe[0] >= 1, "the first READ of a stripe on the members gave no hint");
        // At most the READs until the stripe is decoded into the cache (a first READ may read just its blocks,
        // a readahead may be decoding it); of 8 READs per stripe, most come from the cache.
        Assert.True(perStripe.All(n => n <= 4), $"hints per stripe {string.Join(", ", perStripe)}: cached READs gave hints");
    }

    [Fact]
    public void Flush_CallsItsHintToStoreMoreThanASmallFile_OrToMakeItDurable_NotForAFewKiB()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var small = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes("small"), 0x81A4, Root)).Ino;
        var large = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes("large"), 0x81A4, Root)).Ino;
        int hints = 0;
        void Hint() => hints++;

        v.Flush(small, beforeMemberIo: Hint); // nothing buffered
        var smallData = RandomBytes(4096, 4);
        v.Write(small, 0, smallData, Root);
        v.Flush(small, beforeMemberIo: Hint); // one small store
        Assert.Equal(0, hints);

        var largeData = RandomBytes(v.StripeDataBytes - 1, 5); // one stripe, not complete: stays buffered
        v.Write(large, 0, largeData, Root);
        Assert.True(largeData.Length > ArgosVolume.SmallStoreBytes);
        v.Flush(large, beforeMemberIo: Hint);
        Assert.Equal(1, hints);

        v.Flush(small, durable: true, beforeMemberIo: Hint);
        Assert.Equal(2, hints);
        Assert.True(smallData.AsSpan().SequenceEqual(ReadAll(v, small)));
        Assert.True(largeData.AsSpan().SequenceEqual(ReadAll(v, large)));
    }

    [Fact]
    public void Write_CallsItsHintBeforeReadingAStoredStripe_NotForACopyIntoTheBuffer()
    {
        using var pool = new TempPool();
        using var v = pool.Open();
        var stored = RandomBytes(2 * v.StripeDataBytes, 6);
        var ino = WriteFile(v, "f", stored);
        var fresh = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes("fresh"), 0x81A4, Root)).Ino;

        int hints = 0;
        void Hint() => hints++;
        v.Write(fresh, 0, RandomBytes(4096, 7), Root, Hint);
        v.Write(fresh, 4096, RandomBytes(60_000, 8), Root, Hint);
        Assert.Equal(0, hints);

        // Changing 100 bytes of a stored stripe reads the stripe first (read-modify-write).
        var patch = RandomBytes(100, 9);
        v.Write(ino, 1000, patch, Root, Hint);
        Assert.Equal(1, hints);
        v.Write(ino, 2000, patch, Root, Hint); // the stripe is in the buffer now: a copy
        Assert.Equal(1, hints);
        v.Flush(ino);
        patch.CopyTo(stored, 1000);
        patch.CopyTo(stored, 2000);
        Assert.True(stored.AsSpan().SequenceEqual(ReadAll(v, ino)));
    }
}
