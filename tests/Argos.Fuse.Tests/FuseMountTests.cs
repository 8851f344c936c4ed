using System.Diagnostics;
using System.Text;
using Argos.Platform;
using Xunit;

namespace Argos.Fuse.Tests;

/// <summary>
/// Real mounts through the kernel: mount(2) or fusermount3, then ordinary syscalls from this process (on
/// pool threads, each step bounded by a timeout) and from setfattr/getfattr/umount processes.
/// </summary>
[Trait("Requires", "root")]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class FuseMountTests
{
    private static readonly TimeSpan s_step = TimeSpan.FromSeconds(60);

    private static Task Bounded(Action action) => Task.Run(action).WaitAsync(s_step);

    private static (int Code, string Output) Run(string program, params string[] args) => FuseAbiTests.Run(program, args);

    [Fact]
    public async Task Mount_ReadWrite_FileOperationsXattrsAndUmountThroughTheKernel()
    {
        var fs = new MemoryFileSystem();
        using var mounted = new MountedFileSystem(fs);
        var mp = mounted.MountPoint;

        var line = MountedFileSystem.ProcMountsLine(mp);
        Assert.NotNull(line);
        var fields = line!.Split(' ');
        Assert.Equal("argosfs", fields[0]);
        Assert.Equal("fuse.argosfs", fields[2]);
        var options = fields[3].Split(',');
        Assert.Contains("rw", options);
        Assert.Contains("allow_other", options);
        Assert.Contains("default_permissions", options);
        Assert.DoesNotContain("nosuid", options);
        Assert.DoesNotContain("nodev", options);
        Assert.True(fs.Connection!.IsNegotiated(FuseAbi.FUSE_MAX_PAGES));

        await Bounded(() =>
        {
            File.WriteAllText(mounted.PathOf("hello.txt"), "hello, kernel");
            Assert.Equal("hello, kernel", File.ReadAllText(mounted.PathOf("hello.txt")));
            File.AppendAllText(mounted.PathOf("hello.txt"), "!");
            Assert.Equal(14, new FileInfo(mounted.PathOf("hello.txt")).Length);

            File.Move(mounted.PathOf("hello.txt"), mounted.PathOf("renamed.txt"));
            Assert.False(File.Exists(mounted.PathOf("hello.txt")));
            Assert.Equal("hello, kernel!", File.ReadAllText(mounted.PathOf("renamed.txt")));

            File.CreateSymbolicLink(mounted.PathOf("link"), "renamed.txt");
            Assert.Equal("renamed.txt", new FileInfo(mounted.PathOf("link")).LinkTarget);
            Assert.Equal("hello, kernel!", File.ReadAllText(mounted.PathOf("link")));

            Directory.CreateDirectory(mounted.PathOf("dir/sub"));
            Assert.True(Directory.Exists(mounted.PathOf("dir/sub")));
            Directory.Delete(mounted.PathOf("dir/sub"));
            Assert.False(Directory.Exists(mounted.PathOf("dir/sub")));

            File.SetUnixFileMode(mounted.PathOf("renamed.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(mounted.PathOf("renamed.txt")));
            var stamp = new DateTime(2001, 2, 3, 4, 5, 6, DateTimeKind.Utc);
            File.SetLastWriteTimeUtc(mounted.PathOf("renamed.txt"), stamp);
            Assert.Equal(stamp, File.GetLastWriteTimeUtc(mounted.PathOf("renamed.txt")));

            File.Delete(mounted.PathOf("link"));
            Assert.False(File.Exists(mounted.PathOf("link")));
        });

        await Bounded(() =>
        {
            var file = mounted.PathOf("renamed.txt");
            Assert.Equal(0, Run("setfattr", "-n", "user.color", "-v", "blue", file).Code);
            var (code, output) = Run("getfattr", "--absolute-names", "--only-values", "-n", "user.color", file);
            Assert.Equal(0, code);
            Assert.Equal("blue", output);
            (code, output) = Run("getfattr", "--absolute-names", "-d", file);
            Assert.Equal(0, code);
            Assert.Contains("user.color=\"blue\"", output);
            Assert.Equal(0, Run("setfattr", "-x", "user.color", file).Code);
            (code, output) = Run("getfattr", "--absolute-names", "-n", "user.color", file);
            Assert.NotEqual(0, code);
            Assert.Contains("No such attribute", output);
        });

        var (umountCode, umountOutput) = Run("umount", mp);
        Assert.True(umountCode == 0, umountOutput);
        Assert.Equal(FuseSessionEndReason.Unmounted, await mounted.Session.Completion.WaitAsync(s_step));
        Assert.Equal(1, fs.DestroyCount);
        Assert.Null(MountedFileSystem.ProcMountsLine(mp));
        Assert.DoesNotContain(mounted.LogLines, l => !l.Contains("ENOSYS"));
    }

    [Fact]
    public async Task Mount_DirectoryWithThousandEntries_IsListedCompletely()
    {
        var fs = new MemoryFileSystem();
        using var mounted = new MountedFileSystem(fs);
        var expected = Enumerable.Range(0, 1000).Select(i => $"file-{i:D4}-{new string('x', i % 50)}").ToHashSet();
        await Bounded(() =>
        {
            Directory.CreateDirectory(mounted.PathOf("many"));
            foreach (var name in expected)
            {
                File.WriteAllBytes(mounted.PathOf("many/" + name), []);
            }

            // READDIRPLUS (ls -l style enumeration with attributes) and plain READDIR both page through cookies.
            var listed = Directory.GetFiles(mounted.PathOf("many")).Select(Path.GetFileName).ToHashSet();
            Assert.Equal(expected.Count, listed.Count);
            Assert.True(expected.SetEquals(listed!));
            var (code, output) = Run("ls", "-1", "-U", mounted.PathOf("many"));
            Assert.Equal(0, code);
            Assert.True(expected.SetEquals(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        });
    }

    [Fact]
    public async Task Mount_LargeFile_UsesBigWritesAndParallelWorkers()
    {
        var fs = new MemoryFileSystem();
        using var mounted = new MountedFileSystem(fs);
        var data = new byte[8 * 1024 * 1024];
        new Random(7).NextBytes(data);
        await Bounded(() =>
        {
            using (var stream = new FileStream(mounted.PathOf("big"), FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 0))
            {
                stream.Write(data);
            }

            Assert.True(data.AsSpan().SequenceEqual(File.ReadAllBytes(mounted.PathOf("big"))));
            Parallel.For(0, 16, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
            {
                using var stream = new FileStream(mounted.PathOf("big"), FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 0, FileOptions.None);
                var buffer = new byte[256 * 1024];
                stream.Position = i * 512L * 1024;
                stream.ReadExactly(buffer);
                Assert.True(data.AsSpan((int)(i * 512L * 1024), buffer.Length).SequenceEqual(buffer));
            });
        });

        Assert.True(fs.MaxWriteSeen > 128 * 1024, $"largest WRITE was {fs.MaxWriteSeen} bytes: FUSE_MAX_PAGES/BIG_WRITES not in effect");
        Assert.True(fs.DistinctThreads > 1, "all requests were served by one worker thread: the 256 KiB READs (they call WillBlock) did not pass the read turn on");
    }

    [Fact]
    public async Task Mount_ARequestThatWillBlock_PassesTheReadTurnOn_SoTheRequestsBehindItAreServed()
    {
        var fs = new MemoryFileSystem();
        fs.SlowReadNode = fs.AddFile("slow", new byte[4096]);
        fs.AddFile("fast", "fast"u8.ToArray());
        using var mounted = new MountedFileSystem(fs);
        var slowRead = Task.Run(() => File.ReadAllBytes(mounted.PathOf("slow")));
        try
        {
            Assert.True(fs.SlowReadEntered.Wait(s_step), "the slow READ never reached the filesystem");
            // The worker serving the slow READ waits for the gate: another worker must read and answer these.
            await Task.Run(() =>
            {
                Assert.Equal("fast", File.ReadAllText(mounted.PathOf("fast")));
                Assert.False(File.Exists(mounted.PathOf("missing")));
            }).WaitAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            fs.SlowReadGate.Set();
        }

        Assert.Equal(4096, (await slowRead.WaitAsync(s_step)).Length);
    }

    [Fact]
    public async Task Mount_QuickRequestsOneAfterAnother_AreAnsweredByTheReadingWorker_WithoutHandOffs()
    {
        var fs = new MemoryFileSystem();
        using var mounted = new MountedFileSystem(fs);
        var lookups = await LookupBatches(fs, mounted, batches: 1, perBatch: 300);
        Assert.Equal(300, lookups[0].Count);
        Assert.Single(lookups[0].Select(l => l.Thread).Distinct());
    }

    [Fact]
    public async Task Mount_SpinningReader_AnswersBackToBackRequests_WithoutContextSwitches()
    {
        if (Environment.ProcessorCount < 2)
        {
            // One CPU: a spinning reader would only keep the caller off it, so the default is not to spin.
            Assert.Equal(TimeSpan.Zero, FuseSessionOptions.DefaultReadSpin);
            return;
        }

        Assert.Equal(TimeSpan.FromMicroseconds(50), FuseSessionOptions.DefaultReadSpin);
        double spinning = await SwitchesPerLookup(TimeSpan.FromMicroseconds(200));
        double sleeping = await SwitchesPerLookup(TimeSpan.Zero);
        Assert.True(sleeping > 0.5, $"without spinning the reader switched {sleeping:0.00} times per LOOKUP (expected about once)");
        Assert.True(spinning < 0.25, $"a spinning reader switched {spinning:0.00} times per LOOKUP (without spinning: {sleeping:0.00})");
    }

    /// <summary>
    /// The reading worker's context switches per LOOKUP over back-to-back lookups, the least of five batches.
    /// The caller runs on CPU 0 and the worker on CPU 1: on one CPU the two take turns whatever the reader
    /// does, and the scheduler picks either placement.
    /// </summary>
    private static async Task<double> SwitchesPerLookup(TimeSpan spin)
    {
        var fs = new MemoryFileSystem { OnLookup = () => PinThisThread(1) };
        using var mounted = new MountedFileSystem(fs, sessionOptions: new FuseSessionOptions { WorkerCount = 4, ReadSpin = spin, Log = line => { } });
        var batches = await LookupBatches(fs, mounted, batches: 5, perBatch: 200, callerCpu: 0);
        return batches.Min(b =>
        {
            Assert.Single(b.Select(l => l.Thread).Distinct());
            return (double)(b[^1].ContextSwitches - b[0].ContextSwitches) / (b.Count - 1);
        });
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpuSetSize, ref ulong mask);

    private static void PinThisThread(int cpu)
    {
        ulong mask = 1UL << cpu;
        Assert.Equal(0, sched_setaffinity(0, sizeof(ulong), ref mask));
    }

    private static void UnpinThisThread()
    {
        ulong mask = ulong.MaxValue >> (64 - Math.Min(64, Environment.ProcessorCount));
        sched_setaffinity(0, sizeof(ulong), ref mask);
    }

    private static async Task<List<List<(int Thread, long ContextSwitches)>>> LookupBatches(MemoryFileSystem fs, MountedFileSystem mounted, int batches, int perBatch, int? callerCpu = null)
    {
        var result = new List<List<(int Thread, long ContextSwitches)>>();
        await Bounded(() =>
        {
            if (callerCpu is int cpu)
            {
                PinThisThread(cpu);
            }

            try
            {
                RunBatches();
            }
            finally
            {
                if (callerCpu is not null)
                {
                    UnpinThisThread();
                }
            }
        });
        return result;

        void RunBatches()
        {
            for (int b = 0; b < batches; b++)
            {
                fs.Lookups.Clear();
                fs.RecordLookups = true;
                for (int i = 0; i < perBatch; i++)
                {
                    Assert.False(File.Exists(mounted.PathOf($"missing-{b}-{i}")));
                }

                fs.RecordLookups = false;
                result.Add([.. fs.Lookups]);
            }
        }
    }

    [Fact]
    public async Task Mount_ReadOnly_ShowsRoInProcMountsAndRefusesWrites()
    {
        var fs = new MemoryFileSystem();
        fs.AddFile("existing", "content"u8.ToArray());
        using var mounted = new MountedFileSystem(fs, new FuseMountOptions { ReadOnly = true, FsName = "testpool" });
        var fields = MountedFileSystem.ProcMountsLine(mounted.MountPoint)!.Split(' ');
        Assert.Equal("testpool", fields[0]);
        Assert.Equal("fuse.argosfs", fields[2]);
        Assert.Contains("ro", fields[3].Split(','));

        await Bounded(() =>
        {
            Assert.Equal("content", File.ReadAllText(mounted.PathOf("existing")));
            var error = Assert.ThrowsAny<IOException>(() => File.WriteAllText(mounted.PathOf("new"), "x"));
            Assert.Contains("Read-only file system", error.Message);
        });
    }

    [Fact]
    public async Task Mount_ThroughFusermount3_ReceivesTheFdAndUnmountsWithFusermount()
    {
        var fs = new MemoryFileSystem();
        fs.AddFile("via-fusermount", "yes"u8.ToArray());
        using var mounted = new MountedFileSystem(fs, new FuseMountOptions { Method = FuseMountMethod.Fusermount3 });
        Assert.Equal(FuseMountMethod.Fusermount3, mounted.Mount.Method);
        var fields = MountedFileSystem.ProcMountsLine(mounted.MountPoint)!.Split(' ');
        Assert.Equal("fuse.argosfs", fields[2]);
        Assert.Equal("argosfs", fields[0]);

        await Bounded(() => Assert.Equal("yes", File.ReadAllText(mounted.PathOf("via-fusermount"))));

        FuseMount.Unmount(mounted.MountPoint, lazy: false, useFusermount: true);
        Assert.Equal(FuseSessionEndReason.Unmounted, await mounted.Session.Completion.WaitAsync(s_step));
        Assert.Equal(1, fs.DestroyCount);
    }

    [Fact]
    public async Task Stop_WithNothingOpen_EndsCleanlyAndDestroysOnce()
    {
        var fs = new MemoryFileSystem();
        using var mounted = new MountedFileSystem(fs);
        await Bounded(() => File.WriteAllText(mounted.PathOf("f"), "data"));
        bool clean = await Task.Run(() => mounted.Session.Stop(TimeSpan.FromSeconds(20))).WaitAsync(s_step);
        Assert.True(clean);
        Assert.Equal(1, fs.DestroyCount);
        Assert.Null(MountedFileSystem.ProcMountsLine(mounted.MountPoint));
    }

    [Fact]
    public async Task Stop_WithAFileStillOpen_ForcesTheEndAfterTheGraceAndDestroysOnce()
    {
        var fs = new MemoryFileSystem();
        using var mounted = new MountedFileSystem(fs);
        FileStream? held = null;
        await Bounded(() => held = new FileStream(mounted.PathOf("held"), FileMode.Create, FileAccess.ReadWrite));
        try
        {
            bool clean = await Task.Run(() => mounted.Session.Stop(TimeSpan.FromSeconds(1))).WaitAsync(s_step);
            Assert.False(clean);
            Assert.Equal(FuseSessionEndReason.Aborted, await mounted.Session.Completion);
            Assert.Equal(1, fs.DestroyCount);
            Assert.Null(MountedFileSystem.ProcMountsLine(mounted.MountPoint)); // detached from the namespace
        }
        finally
        {
            if (mounted.ConnectionId is not null && Directory.Exists($"/sys/fs/fuse/connections/{mounted.ConnectionId}"))
            {
                File.WriteAllText($"/sys/fs/fuse/connections/{mounted.ConnectionId}/abort", "1");
            }

            held?.Dispose();
        }

        Assert.Equal(1, fs.DestroyCount);
    }
}

/// <summary>Errors name the fix (STYLE habit 6).</summary>
public sealed class FuseMountErrorTests
{
    [Fact]
    public void OpenDevice_Missing_SaysToLoadTheModule()
    {
        var error = Assert.Throws<SystemCallException>(() => FuseDevice.Open("/nonexistent/fuse"));
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Equal("open /nonexistent/fuse: ENOENT — is the fuse module loaded? try 'modprobe fuse'", error.Message);
    }

    [Fact]
    [Trait("Requires", "root")]
    public void Mount_MissingMountPoint_SaysToCreateIt()
    {
        var missing = Path.Combine(Path.GetTempPath(), "argos-no-such-dir-" + Guid.NewGuid().ToString("N"));
        var error = Assert.Throws<SystemCallException>(() => FuseMount.Mount(missing, new FuseMountOptions { Method = FuseMountMethod.Syscall }));
        Assert.Equal(Errno.ENOENT, error.Errno);
        Assert.Contains("create it first", error.Message);
    }

    [Fact]
    public void Mount_MissingFusermount_SaysToInstallFuse3()
    {
        var dir = Directory.CreateTempSubdirectory("argos-mnt-");
        try
        {
            var error = Assert.Throws<FuseMountException>(() => FuseMount.Mount(dir.FullName,
                new FuseMountOptions { Method = FuseMountMethod.Fusermount3, FusermountPath = "/nonexistent/fusermount3" }));
            Assert.Contains("install fuse3", error.Message);
        }
        finally
        {
            dir.Delete();
        }
    }

    [Theory]
    [InlineData("pool,with,commas", "argosfs")]
    [InlineData("argosfs", "bad type")]
    public void Mount_BadNames_AreRefusedBeforeAnySyscall(string fsName, string subtype)
    {
        var error = Assert.Throws<ArgumentException>(() => FuseMount.Mount("/mnt", new FuseMountOptions { FsName = fsName, Subtype = subtype }));
        Assert.Contains("FuseMountOptions", error.Message);
    }

    [Fact]
    public void MountDataAndFlags_ForARootFilesystem()
    {
        var options = new FuseMountOptions();
        Assert.Equal("fd=7,rootmode=40000,user_id=0,group_id=0,default_permissions,allow_other", FuseMount.KernelMountData(7, options, 0, 0));
        Assert.Equal(Argos.Platform.Interop.LibC.MS_RELATIME, FuseMount.KernelMountFlags(options)); // no MS_NOSUID, no MS_NODEV
        var ro = new FuseMountOptions { ReadOnly = true, Suid = false, Dev = false, Atime = FuseAtimeMode.NoAtime };
        Assert.Equal(Argos.Platform.Interop.LibC.MS_RDONLY | Argos.Platform.Interop.LibC.MS_NOSUID | Argos.Platform.Interop.LibC.MS_NODEV | Argos.Platform.Interop.LibC.MS_NOATIME,
            FuseMount.KernelMountFlags(ro));
        Assert.Equal("rw,suid,dev,exec,fsname=argosfs,subtype=argosfs,default_permissions,allow_other", FuseMount.FusermountOptions(options));
    }
}
