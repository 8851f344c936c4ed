using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Storage;
using Xunit;

namespace Argos.Volume.Tests;

/// <summary>The group commit's transaction bound: what counts toward it and what only rides the interval.</summary>
public sealed class GroupCommitTests
{
    [Fact]
    public void AtimeUpdates_DoNotCountTowardTheTransactionBound_OtherChangesDo()
    {
        using var pool = new TempPool();
        var devices = new List<FlushCountingDevice>();
        var options = new VolumeOpenOptions
        {
            CommitMaxTransactions = 4,
            DeviceWrapper = d =>
            {
                var c = new FlushCountingDevice(d);
                lock (devices) devices.Add(c);
                return c;
            },
        };
        using var v = ArgosVolume.Open(pool.Images.ToList(), options);
        var files = Enumerable.Range(0, 12)
            .Select(i => v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes($"f{i}"), 0x81A4, Credentials.Root)).Ino)
            .ToList();
        v.Sync();
        Thread.Sleep(20); // reads come later than the creation: atime moves
        var flushes = devices.Sum(d => d.Flushes);
        foreach (var ino in files)
        {
            var before = v.GetAttr(ino).Atime;
            v.NoteAccess(ino); // a new file: atime is not newer than mtime, so relatime updates it
            Assert.True(v.GetAttr(ino).Atime.CompareTo(before) > 0, "relatime moves the atime of a file not read since its creation");
        }
        Assert.Equal(flushes, devices.Sum(d => d.Flushes)); // 12 atime transactions, bound 4: no commit
        for (var i = 0; i < 4; i++)
        {
            var name = Encoding.UTF8.GetBytes($"g{i}");
            v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, name, 0x81A4, Credentials.Root));
        }
        Assert.True(devices.Sum(d => d.Flushes) > flushes, "four counted transactions reach the bound of 4 and commit");
    }

    private sealed class FlushCountingDevice(IMemberDevice inner) : DelegatingDevice(inner)
    {
        private long _flushes;
        public long Flushes => Interlocked.Read(ref _flushes);
        public override void Flush()
        {
            Interlocked.Increment(ref _flushes);
            base.Flush();
        }
    }
}
