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

    [Fact]
    public void AtimeUpdates_AreLoggedInBatches_NotOneTransactionPerRead_AndTheLastBatchBySync()
    {
        using var pool = new TempPool();
        var options = new VolumeOpenOptions { CommitInterval = TimeSpan.FromHours(1) };
        List<InodeId> files;
        var atimes = new Dictionary<InodeId, Timespec>();
        using (var v = ArgosVolume.Open(pool.Images.ToList(), options))
        {
            files = Enumerable.Range(0, ArgosVolume.AccessTimeBatch + 10)
                .Select(i => v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes($"f{i}"), 0x81A4, Credentials.Root)).Ino)
                .ToList();
            v.Sync();
            Thread.Sleep(20);
            var tx0 = v.Log.LastTxId.Value;
            foreach (var ino in files.Take(ArgosVolume.AccessTimeBatch - 1)) v.NoteAccess(ino);
            Assert.Equal(tx0, v.Log.LastTxId.Value); // nothing logged yet: the atimes wait in memory
            Assert.True(v.GetAttr(files[0]).Atime.CompareTo(v.GetAttr(files[0]).Mtime) > 0, "stat sees the new atime at once");
            v.NoteAccess(files[ArgosVolume.AccessTimeBatch - 1]);
            Assert.Equal(tx0 + 1, v.Log.LastTxId.Value); // the read that fills the set logs it: one transaction
            foreach (var ino in files.Skip(ArgosVolume.AccessTimeBatch)) v.NoteAccess(ino);
            v.NoteAccess(files[0]); // atime newer than mtime: relatime leaves it, and nothing is queued
            Assert.Equal(tx0 + 1, v.Log.LastTxId.Value);
            v.Mutate(tx => v.Namespace.Unlink(tx, InodeId.Root, Encoding.UTF8.GetBytes($"f{files.Count - 1}")));
            foreach (var ino in files.SkipLast(1)) atimes[ino] = v.GetAttr(ino).Atime;
            // A close without the clean checkpoint: the reopen replays the journal, so the atimes still
            // queued (9; the removed file's is skipped) must have been logged by the final sync.
            v.Close(clean: false);
        }
        using (var v = ArgosVolume.Open(pool.Images.ToList(), options))
        {
            foreach (var (ino, atime) in atimes) Assert.Equal(atime, v.GetAttr(ino).Atime);
        }
    }

    [Fact]
    public void AtimeUpdates_AloneAreCommittedWithinTheInterval()
    {
        using var pool = new TempPool();
        var devices = new List<FlushCountingDevice>();
        var options = new VolumeOpenOptions
        {
            CommitInterval = TimeSpan.FromMilliseconds(200),
            BackgroundCommit = true,
            DeviceWrapper = d =>
            {
                var c = new FlushCountingDevice(d);
                lock (devices) devices.Add(c);
                return c;
            },
        };
        using var v = ArgosVolume.Open(pool.Images.ToList(), options);
        var ino = v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, "f"u8.ToArray(), 0x81A4, Credentials.Root)).Ino;
        v.Sync();
        Thread.Sleep(20);
        var tx0 = v.Log.LastTxId.Value;
        var flushes = devices.Sum(d => d.Flushes);
        v.NoteAccess(ino);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (devices.Sum(d => d.Flushes) == flushes && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.True(devices.Sum(d => d.Flushes) > flushes, "a lone atime update is committed by the interval, with no other transaction to carry it");
        Assert.Equal(tx0 + 1, v.Log.LastTxId.Value);
    }

    [Fact]
    public async Task ReachingTheBound_CommitsInTheBackground_AppendsGoOn_AndSyncWaitsForTheBatchInFlight()
    {
        using var pool = new TempPool();
        var hold = new ManualResetEventSlim(true);
        var held = new SemaphoreSlim(0);
        var options = new VolumeOpenOptions
        {
            CommitMaxTransactions = 4,
            CommitInterval = TimeSpan.FromHours(1),
            BackgroundCommit = true,
            DeviceWrapper = d => new HoldingDevice(d, hold, held),
        };
        var names = new List<string>();
        using (var v = ArgosVolume.Open(pool.Images.ToList(), options))
        try
        {
            void Create(string name)
            {
                names.Add(name);
                v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, Encoding.UTF8.GetBytes(name), 0x81A4, Credentials.Root));
            }
            hold.Reset(); // member flushes now block until released
            for (var i = 0; i < 4; i++) Create($"a{i}"); // the 4th reaches the bound and returns at once
            Assert.True(held.Wait(TimeSpan.FromSeconds(30)), "the committer thread did not start flushing the batch of 4");
            // The batch is being flushed: the log takes more transactions meanwhile.
            var more = Task.Run(() => Create("b0"));
            Assert.True(await Task.WhenAny(more, Task.Delay(TimeSpan.FromSeconds(30))) == more, "a transaction waited for the batch in flight");
            Assert.True(v.Log.DurableTxId.Value < v.Log.LastTxId.Value);
            hold.Set();
            v.Sync();
            Assert.Equal(v.Log.LastTxId, v.Log.DurableTxId);

            // A sync with nothing counted as pending (the committer took the batch) must still wait
            // until the batch in flight is durable.
            hold.Reset();
            while (held.CurrentCount > 0) held.Wait();
            for (var i = 0; i < 4; i++) Create($"c{i}");
            Assert.True(held.Wait(TimeSpan.FromSeconds(30)), "the committer thread did not start flushing the second batch");
            var sync = Task.Run(v.Sync);
            Assert.False(await Task.WhenAny(sync, Task.Delay(300)) == sync, "Sync returned while the batch was still being flushed");
            hold.Set();
            await sync.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(v.Log.LastTxId, v.Log.DurableTxId);
        }
        finally
        {
            hold.Set(); // a failed check must not leave the committer blocked (closing joins it)
        }
        using (var v = pool.Open(readOnly: true))
        {
            foreach (var name in names)
            {
                Assert.True(v.Namespace.TryLookup(InodeId.Root, Encoding.UTF8.GetBytes(name), out _), name + " is missing after reopen");
            }
        }
    }

    [Fact]
    public void ABackgroundBatchThatFailsToWrite_MakesTheNextSyncFail()
    {
        using var pool = new TempPool();
        var failing = false;
        var attempted = new SemaphoreSlim(0);
        var options = new VolumeOpenOptions
        {
            CommitMaxTransactions = 4,
            CommitInterval = TimeSpan.FromHours(1),
            BackgroundCommit = true,
            DeviceWrapper = d => new FailingFlushDevice(d, () => Volatile.Read(ref failing), attempted),
        };
        var v = ArgosVolume.Open(pool.Images.ToList(), options);
        Volatile.Write(ref failing, true);
        for (var i = 0; i < 4; i++)
        {
            var name = Encoding.UTF8.GetBytes($"f{i}");
            v.Mutate(tx => v.Namespace.Create(tx, InodeId.Root, name, 0x81A4, Credentials.Root));
        }
        Assert.True(attempted.Wait(TimeSpan.FromSeconds(30)), "the committer did not try to write the batch");
        Thread.Sleep(100); // let the committer finish failing
        // The batch is gone from the log's buffer but not on the members: the sync must not say durable.
        Assert.ThrowsAny<Exception>(v.Sync);
        Assert.ThrowsAny<Exception>(v.Dispose);
    }

    private sealed class FailingFlushDevice(IMemberDevice inner, Func<bool> failing, SemaphoreSlim attempted) : DelegatingDevice(inner)
    {
        public override void Flush()
        {
            if (failing())
            {
                attempted.Release();
                throw new IOException("injected: flush failed");
            }
            base.Flush();
        }
    }

    /// <summary>Flush blocks while <c>hold</c> is reset, signalling <c>held</c> once per blocked flush.</summary>
    private sealed class HoldingDevice(IMemberDevice inner, ManualResetEventSlim hold, SemaphoreSlim held) : DelegatingDevice(inner)
    {
        public override void Flush()
        {
            if (!hold.IsSet)
            {
                held.Release();
                hold.Wait();
            }
            base.Flush();
        }
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
