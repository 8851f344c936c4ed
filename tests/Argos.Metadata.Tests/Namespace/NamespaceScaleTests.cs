using System.Diagnostics;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Records;
using Xunit;
using Xunit.Abstractions;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

/// <summary>O(change) transactions at a million inodes (and no runaway memory per inode).</summary>
public class NamespaceScaleTests(ITestOutputHelper output)
{
    [Fact]
    [Trait("Category", "Slow")]
    public void MillionInodes_SmallChangeTouchesFourRecords_MemoryBounded()
    {
        const int Directories = 1000;
        const int FilesPerDirectory = 999;
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        var ns = new FsNamespace();
        var sw = Stopwatch.StartNew();
        using (NamespaceTransaction tx = ns.Begin())
        {
            ns.InitializeRoot(tx, 0x1ED, 0, 0);
            tx.Complete();
        }
        byte[] name = new byte[16];
        for (int d = 0; d < Directories; d++)
        {
            using NamespaceTransaction tx = ns.Begin();
            InodeId dir = ns.Mkdir(tx, R, System.Text.Encoding.ASCII.GetBytes($"dir{d:D4}"), 0x1ED, Root).Ino;
            for (int f = 0; f < FilesPerDirectory; f++)
            {
                System.Text.Encoding.ASCII.GetBytes($"file-{f:D6}.so", name);
                ns.Create(tx, dir, name.AsSpan(0, 14), 0x1A4, Root);
            }
            tx.Complete();
        }
        sw.Stop();
        // Compact the large-object heap too: the inode table's grown-and-dropped arrays live there.
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        long used = GC.GetTotalMemory(forceFullCollection: true) - baseline;
        GCMemoryInfo info = GC.GetGCMemoryInfo();
        output.WriteLine($"heap {info.HeapSizeBytes / (1024 * 1024)} MiB, fragmented {info.FragmentedBytes / (1024 * 1024)} MiB");
        ulong inodes = ns.Stats().Inodes;
        double bytesPerInode = (double)used / inodes;
        output.WriteLine($"{inodes} inodes in {sw.Elapsed.TotalSeconds:F1} s; {used / (1024.0 * 1024.0):F0} MiB managed heap, {bytesPerInode:F0} bytes/inode");
        Assert.Equal(1UL + Directories + ((ulong)Directories * FilesPerDirectory), inodes);
        // The memory target lives in bench-meta (rss_mib per size, docs/performance.md); this bound
        // only catches a pathological regression such as a second copy of every record.
        Assert.True(used < 1024L * 1024 * 1024, $"{used / (1024 * 1024)} MiB for {inodes} inodes");

        // A small change at this size touches the same four records as on an empty pool.
        using (NamespaceTransaction tx = ns.Begin())
        {
            ns.Mkdir(tx, new InodeId(2), "one-more"u8, 0x1ED, Root);
            IReadOnlyList<RecordOp> ops = tx.Complete();
            Assert.Equal(4, ops.Count);
        }
        var small = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            using NamespaceTransaction tx = ns.Begin();
            ns.Create(tx, new InodeId(2), System.Text.Encoding.ASCII.GetBytes($"x{i}"), 0x1A4, Root);
            tx.Complete();
        }
        output.WriteLine($"1000 single-create transactions at 1M inodes: {small.Elapsed.TotalMilliseconds / 1000:F3} ms each");
        GC.KeepAlive(ns);
    }
}
