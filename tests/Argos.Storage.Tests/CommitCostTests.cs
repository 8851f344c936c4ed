using Argos.Metadata.Log;
using Argos.Metadata.Records;

namespace Argos.Storage.Tests;

/// <summary>I-11: a small commit writes the same bytes whatever the size of the metadata.</summary>
public class CommitCostTests
{
    private static (long Bytes, int Writes, int Flushes) SmallCommitCost(int records)
    {
        using var dir = new TempDir();
        string[] paths = dir.CreatePool(3, 2, 1, sizeBytes: 128 * TempDir.MiB);
        var devices = new List<FaultInjectingDevice>();
        var store = new DictionaryStore();
        using MetadataLog log = MetadataLog.Open(paths, store, new LogOpenOptions
        {
            DeviceWrapper = d =>
            {
                var f = new FaultInjectingDevice(d);
                devices.Add(f);
                return f;
            },
        });
        var batch = new List<RecordOp>();
        for (int i = 0; i < records; i++)
        {
            batch.Add(RecordOp.Put(RecordKind.Inode, BitConverter.GetBytes((ulong)i), new byte[64]));
            if (batch.Count == 10_000 || i == records - 1)
            {
                store.Commit(log, batch.ToArray());
                batch.Clear();
            }
        }
        log.Checkpoint(); // both pools start the measured commit at the same journal position
        devices.ForEach(d => d.ResetCounters());
        store.Commit(log, RecordOp.Put(RecordKind.Inode, BitConverter.GetBytes(ulong.MaxValue), new byte[100]));
        return (devices.Sum(d => d.BytesWritten), devices.Sum(d => d.WriteCount), devices.Sum(d => d.FlushCount));
    }

    [Fact]
    public void Invariant_I11_SmallCommit_CostsTheSameWith10Or100kRecords()
    {
        var small = SmallCommitCost(10);
        var large = SmallCommitCost(100_000);
        Assert.Equal(small, large);
        Assert.Equal(3 * 512, small.Bytes); // one 512-byte record per member
        Assert.Equal(3, small.Writes);
        Assert.Equal(3, small.Flushes);
    }
}
