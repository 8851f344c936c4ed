using System.Diagnostics;
using System.Text;
using Xunit;

namespace Argos.Fuse.Tests;

public sealed class RootDaemonTests
{
    private static byte[][] Argv(params string[] args) => args.Select(Encoding.UTF8.GetBytes).ToArray();

    private static string[] Strings(IReadOnlyList<byte[]> argv) => argv.Select(Encoding.UTF8.GetString).ToArray();

    [Fact]
    public void PlanReexec_PlainArgv0_ReplacesOnlyArgv0()
    {
        var plan = RootDaemon.PlanReexec(Argv("/usr/sbin/argosfs", "mount", "--images", "a.img,b.img", "/sysroot"), "@argosfs", alreadyReexeced: false);
        Assert.Equal(["@argosfs", "mount", "--images", "a.img,b.img", "/sysroot"], Strings(plan!));
    }

    [Fact]
    public void PlanReexec_AtSignArgv0_DoesNothing()
    {
        Assert.Null(RootDaemon.PlanReexec(Argv("@argosfs", "mount"), "@argosfs", alreadyReexeced: false));
        Assert.Null(RootDaemon.PlanReexec(Argv("@custom-name"), "@argosfs", alreadyReexeced: true));
    }

    [Fact]
    public void PlanReexec_StillNoAtSignAfterReexec_FailsInsteadOfLooping()
    {
        var error = Assert.Throws<InvalidOperationException>(() => RootDaemon.PlanReexec(Argv("argosfs"), "@argosfs", alreadyReexeced: true));
        Assert.Contains("exec -a @argosfs", error.Message);
    }

    [Fact]
    public void PlanReexec_Argv0WithoutAtSign_IsRefused()
    {
        Assert.Throws<ArgumentException>(() => RootDaemon.PlanReexec(Argv("argosfs"), "argosfs", alreadyReexeced: false));
    }

    [Fact]
    public void PlanReexec_KeepsNonUtf8ArgumentsByteForByte()
    {
        byte[] odd = [0xff, 0xfe, (byte)'x'];
        var plan = RootDaemon.PlanReexec([Encoding.UTF8.GetBytes("argosfs"), odd], "@argosfs", alreadyReexeced: false);
        Assert.Equal(odd, plan![1]);
    }

    [Fact]
    public void ReadOwnArgv_SplitsProcSelfCmdline()
    {
        var argv = RootDaemon.ReadOwnArgv();
        Assert.NotEmpty(argv);
        Assert.All(argv, a => Assert.DoesNotContain((byte)0, a));
    }

    [Fact]
    public void SupplementaryGroups_ParsedFromStatusText()
    {
        Assert.True(FuseContext.TryParseGroupsLine("Name:\tbash\nGroups:\t4 24 27 1000 \nNgid:\t0\n", out var groups));
        Assert.Equal([4u, 24u, 27u, 1000u], groups);
        Assert.True(FuseContext.TryParseGroupsLine("Groups:\n", out var none));
        Assert.Empty(none);
        Assert.False(FuseContext.TryParseGroupsLine("Name:\tx\n", out _));
    }

    [Fact]
    public void SupplementaryGroups_RefusedUnlessTheSessionAllowsProcLookups()
    {
        var context = new FuseContext(1, 0, 0, (uint)Environment.ProcessId);
        Assert.False(context.TryGetSupplementaryGroups(out _));
        Assert.True(FuseContext.TryReadSupplementaryGroups((uint)Environment.ProcessId, out _));
    }
}

public sealed class FuseDaemonLauncherTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public void ChildSignalsReady_LauncherReturnsReadyWhileTheChildKeepsRunning()
    {
        var output = new StringWriter();
        // The child says it is starting, reports ready, then keeps running as a daemon would.
        var result = FuseDaemonLauncher.StartDetached("/bin/bash",
            ["-c", "echo opening pool >&2; printf R >&\"$ARGOSFS_READY_FD\"; exec sleep 10"], s_timeout, output);
        Assert.True(result.IsReady, result.Error);
        Assert.Null(result.ExitCode);
        Assert.True(IsRunning(result.ProcessId), "the daemon child should outlive the launcher's wait");
        Assert.Contains("opening pool", output.ToString());
        Process.GetProcessById(result.ProcessId).Kill();
    }

    [Fact]
    public void ChildSignalsFailure_LauncherReportsItsMessage()
    {
        var result = FuseDaemonLauncher.StartDetached("/bin/bash",
            ["-c", "printf 'Ethe pool is missing member b.img' >&\"$ARGOSFS_READY_FD\"; exit 3"], s_timeout, new StringWriter());
        Assert.False(result.IsReady);
        Assert.Equal("the pool is missing member b.img", result.Error);
        Assert.Equal(3, result.ExitCode);
    }

    [Fact]
    public void ChildDiesSilently_LauncherReportsTheExitCodeAndRelaysStderr()
    {
        var output = new StringWriter();
        var result = FuseDaemonLauncher.StartDetached("/bin/bash", ["-c", "echo boom >&2; exit 7"], s_timeout, output);
        Assert.False(result.IsReady);
        Assert.Equal(7, result.ExitCode);
        Assert.Contains("exited with code 7 before the mount was live", result.Error);
        Assert.Contains("boom", output.ToString());
    }

    [Fact]
    public void ChildNeverReports_LauncherTimesOutAndStopsIt()
    {
        var result = FuseDaemonLauncher.StartDetached("/bin/bash", ["-c", "exec sleep 60"], TimeSpan.FromSeconds(1), new StringWriter());
        Assert.False(result.IsReady);
        Assert.Contains("did not report the mount live", result.Error);
        Assert.False(IsRunning(result.ProcessId));
    }

    [Fact]
    public void ReadyPipe_OnlyTheWriteEndReachesTheChild()
    {
        // The child prints its readiness fd number and where each of its fds points. The readiness pipe must
        // appear exactly once (the write end): the launcher's read end and its original write end are CLOEXEC.
        // (Other fds may show up when tests in parallel start processes while holding inheritable fds.)
        var output = new StringWriter();
        var result = FuseDaemonLauncher.StartDetached("/bin/bash",
            ["-c", "echo fd=$ARGOSFS_READY_FD >&2; for f in /proc/self/fd/*; do echo \"${f##*/} $(readlink $f)\" >&2; done; printf R >&\"$ARGOSFS_READY_FD\"; sleep 1"],
            s_timeout, output);
        Assert.True(result.IsReady, result.Error);
        Thread.Sleep(300); // let the relay finish
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var readyFd = Assert.Single(lines, l => l.StartsWith("fd=", StringComparison.Ordinal))[3..];
        var links = lines.Where(l => !l.StartsWith("fd=", StringComparison.Ordinal)).Select(l => l.Split(' ')).ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : "");
        var pipe = links[readyFd];
        Assert.StartsWith("pipe:", pipe);
        Assert.Single(links, kv => kv.Value == pipe);
    }

    [Fact]
    public void FromEnvironment_WithoutTheVariable_IsNull()
    {
        Assert.Null(Environment.GetEnvironmentVariable(FuseDaemonLauncher.ReadyFdVariable));
        Assert.Null(FuseReadyChannel.FromEnvironment());
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            var state = File.ReadAllText($"/proc/{pid}/stat").Split(' ')[2];
            return state != "Z";
        }
        catch (IOException)
        {
            return false;
        }
    }
}

public sealed class RootDaemonSignalTests
{
    [Fact]
    public async Task OnTerminationSignal_RunsTheHandlerOnceAndKeepsTheProcessAlive()
    {
        int calls = 0;
        var fired = new TaskCompletionSource<System.Runtime.InteropServices.PosixSignal>(TaskCreationOptions.RunContinuationsAsynchronously);
        using (RootDaemon.OnTerminationSignal(signal =>
        {
            Interlocked.Increment(ref calls);
            fired.TrySetResult(signal);
        }))
        {
            Assert.Equal(0, FuseAbiTests.Run("kill", ["-TERM", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).Code);
            Assert.Equal(System.Runtime.InteropServices.PosixSignal.SIGTERM, await fired.Task.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(0, FuseAbiTests.Run("kill", ["-INT", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]).Code);
            await Task.Delay(300);
        }

        Assert.Equal(1, calls);
    }
}
