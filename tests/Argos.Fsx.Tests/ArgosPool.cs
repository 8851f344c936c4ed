using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Argos.Fsx.Tests;

/// <summary>Result of one argosfs run.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}: {Stderr.Trim()} {Stdout.Trim()}";
}

/// <summary>
/// A 2+1 zstd pool of three sparse image files in a fresh directory under /tmp, mounted with the real
/// `argosfs mount` (src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll run by dotnet), which returns once
/// the mount is live and leaves a daemon serving it. Dispose unmounts (lazily if need be), waits for the
/// daemon and deletes the directory.
/// </summary>
internal sealed partial class ArgosPool : IDisposable
{
    private static readonly TimeSpan s_cliTimeout = TimeSpan.FromMinutes(3);

    private static readonly Lazy<string> s_dll = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Argos.sln"))) dir = dir.Parent;
        if (dir is null) throw new InvalidOperationException("Argos.sln not found above " + AppContext.BaseDirectory);
        var dll = Path.Combine(dir.FullName, "src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build src/argosfs/Argos.Cli first");
    });

    private readonly string[] _extraMountArgs;

    public ArgosPool(string label, long imageBytes = 512L << 20, params string[] extraMountArgs)
    {
        _extraMountArgs = extraMountArgs;
        Root = Directory.CreateTempSubdirectory($"argos-{label}-").FullName;
        Images = string.Join(',', new[] { "a", "b", "c" }.Select(n => Path.Combine(Root, n + ".img")));
        MountPoint = Path.Combine(Root, "mnt");
        Directory.CreateDirectory(MountPoint);
        Ok("mkfs", "--images", Images, "--image-size", $"{imageBytes >> 20}MiB", "--k", "2", "--m", "1", "--compression", "zstd");
    }

    public string Root { get; }

    public string Images { get; }

    public string MountPoint { get; }

    public string LogPath => Path.Combine(Root, "daemon.log");

    /// <summary>The daemon serving the current mount, or 0 when not mounted.</summary>
    public int DaemonPid { get; private set; }

    public string PathOf(string relative) => Path.Combine(MountPoint, relative);

    public void Mount()
    {
        var run = Ok(["mount", "--images", Images, MountPoint, "--log", LogPath, .. _extraMountArgs]);
        var m = DaemonPidPattern().Match(run.Stderr + run.Stdout);
        if (!m.Success) throw new InvalidOperationException($"argosfs mount printed no daemon pid: {run}");
        DaemonPid = int.Parse(m.Groups[1].Value);
        if (!IsMounted()) throw new InvalidOperationException($"argosfs mount returned but {MountPoint} is not in /proc/self/mounts: {run}");
    }

    /// <summary>umount(8), then the daemon must flush, write the clean flag and exit 0.</summary>
    public void Unmount()
    {
        var (code, output) = RunTool("umount", MountPoint);
        if (code != 0) throw new InvalidOperationException($"umount {MountPoint} failed ({code}): {output}; daemon log: {DaemonLog()}");
        WaitForDaemonExit(TimeSpan.FromSeconds(120));
    }

    /// <summary>SIGKILL the daemon, then take the dead mount away (umount -l; fusermount3 -u if that fails).</summary>
    public void KillDaemon()
    {
        var pid = DaemonPid;
        if (pid <= 0) throw new InvalidOperationException("not mounted");
        Posix.KillHard(pid);
        WaitForDaemonExit(TimeSpan.FromSeconds(60));
        if (IsMounted() && RunTool("umount", "-l", MountPoint).Code != 0)
        {
            RunTool("fusermount3", "-u", "-z", MountPoint);
        }
        if (IsMounted()) throw new InvalidOperationException($"{MountPoint} is still mounted after the daemon was killed");
    }

    public void Remount()
    {
        Unmount();
        Mount();
    }

    /// <summary>`argosfs fsck --full`: every shard read and verified.</summary>
    public CliRun FsckFull() => Run("fsck", "--images", Images, "--full");

    public bool IsMounted() =>
        File.ReadLines("/proc/self/mounts").Any(l => l.Split(' ') is [_, var target, ..] && target == MountPoint);

    public string DaemonLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "(no daemon log)";

    private void WaitForDaemonExit(TimeSpan timeout)
    {
        var pid = DaemonPid;
        DaemonPid = 0;
        if (pid == 0) return;
        var deadline = DateTime.UtcNow + timeout;
        while (Directory.Exists($"/proc/{pid}") && !IsZombieOrGone(pid))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"argosfs daemon {pid} still running {timeout.TotalSeconds} s after it was told to stop");
            Thread.Sleep(50);
        }
    }

    private static bool IsZombieOrGone(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    public static CliRun Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(s_dll.Value);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(s_cliTimeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"argosfs {string.Join(' ', args)} did not finish in {s_cliTimeout.TotalSeconds} s");
        }
        // The detached daemon inherits no pipe of ours (FuseDaemonLauncher), so the reads end with the CLI.
        return new CliRun(p.ExitCode, stdout.Result, stderr.Result);
    }

    private static CliRun Ok(params string[] args)
    {
        var r = Run(args);
        if (r.ExitCode != 0) throw new InvalidOperationException($"argosfs {string.Join(' ', args)} failed: {r}");
        return r;
    }

    public static (int Code, string Output) RunTool(string program, params string[] args)
    {
        var info = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 2 min");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        try
        {
            if (IsMounted())
            {
                if (RunTool("umount", MountPoint).Code != 0) RunTool("umount", "-l", MountPoint);
            }
            var pid = DaemonPid;
            if (pid > 0)
            {
                try { WaitForDaemonExit(TimeSpan.FromSeconds(60)); }
                catch (TimeoutException) { Posix.KillHard(pid); }
            }
        }
        finally
        {
            if (!IsMounted()) Directory.Delete(Root, recursive: true);
        }
    }

    [GeneratedRegex(@"daemon pid (\d+)")]
    private static partial Regex DaemonPidPattern();
}
