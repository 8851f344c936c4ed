using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

namespace Argos.Mount.Tests;

/// <summary>
/// A 2+1 pool of three sparse image files under a fresh /tmp directory (mode 0755 so non-root users can
/// traverse it), mounted with the built `argosfs mount` exactly as an operator runs it. Dispose always
/// cleans up, even after a hang: lazy unmount, abort the FUSE connection, end the daemon it started.
/// </summary>
internal sealed partial class MountedPool : IDisposable
{
    private static readonly TimeSpan s_daemonExit = TimeSpan.FromSeconds(120);
    private int _daemonPid;
    private string? _connectionId;

    public MountedPool(string imageSize = "1GiB")
    {
        Root = Path.Combine("/tmp", "argos-mount-" + Guid.NewGuid().ToString("N")[..10]);
        Directory.CreateDirectory(Root);
        File.SetUnixFileMode(Root, (UnixFileMode)0b111_101_101);
        MountPoint = Path.Combine(Root, "mnt");
        Directory.CreateDirectory(MountPoint);
        File.SetUnixFileMode(MountPoint, (UnixFileMode)0b111_101_101);
        Images = string.Join(',', new[] { "a", "b", "c" }.Select(x => Path.Combine(Root, x + ".img")));
        Cli.Ok("mkfs", "--images", Images, "--k", "2", "--m", "1", "--image-size", imageSize);
    }

    public string Root { get; }
    public string MountPoint { get; }
    public string Images { get; }
    public string LogPath => Path.Combine(Root, "daemon.log");
    public bool IsMounted => _daemonPid != 0;

    /// <summary>The serving daemon's pid while mounted (0 otherwise).</summary>
    public int DaemonProcessId => _daemonPid;

    public string PathOf(string relative) => Path.Combine(MountPoint, relative);

    /// <summary>`argosfs mount --images … MOUNTPOINT [extra]`; returns once the mount is live.</summary>
    public void Mount(params string[] extra)
    {
        Assert.False(IsMounted, "already mounted");
        var r = Cli.Ok(["mount", "--images", Images, MountPoint, "--log", LogPath, .. extra]);
        var m = DaemonPid().Match(r.Stderr);
        Assert.True(m.Success, "argosfs mount did not name its daemon pid: " + r.Stderr);
        _daemonPid = int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        var line = ProcMountsLine();
        Assert.True(line is not null, $"{MountPoint} is not in /proc/mounts after argosfs mount returned");
        _connectionId = ConnectionId();
    }

    /// <summary>umount(8), then wait for the daemon to flush, write the clean flag and exit.</summary>
    public void Unmount(bool lazy = false)
    {
        Assert.True(IsMounted, "not mounted");
        var (code, output) = Shell.Run("umount", lazy ? ["-l", MountPoint] : [MountPoint]);
        Assert.True(code == 0, $"umount {MountPoint} failed: {output}");
        WaitForDaemonExit();
    }

    public void WaitForDaemonExit()
    {
        var deadline = DateTime.UtcNow + s_daemonExit;
        while (Directory.Exists($"/proc/{_daemonPid}") && !IsZombie(_daemonPid) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(100);
        }

        Assert.False(Directory.Exists($"/proc/{_daemonPid}") && !IsZombie(_daemonPid),
            $"the argosfs daemon (pid {_daemonPid}) still runs {s_daemonExit.TotalSeconds:0} s after the unmount; log:\n{DaemonLog()}");
        _daemonPid = 0;
        Assert.Null(ProcMountsLine());
    }

    public string? ProcMountsLine() => File.ReadAllLines("/proc/mounts").FirstOrDefault(l => l.Split(' ')[1] == MountPoint);

    public string DaemonLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";

    /// <summary>
    /// Lines where the daemon's per-request exception boundary answered EIO, or a worker or Destroy
    /// failed: each one is a bug the syscall that hit it may not have surfaced.
    /// </summary>
    public IReadOnlyList<string> DaemonErrors() =>
        DaemonLog().Split('\n').Where(l => l.Contains("answering EIO") || l.Contains("crashed") || l.Contains("threw") || l.Contains("failed")).ToList();

    /// <summary>`argosfs scan --json`: every member valid and clean.</summary>
    public void AssertScanClean()
    {
        var r = Cli.Ok("scan", "--images", Images, "--json");
        var members = JsonNode.Parse(r.Stdout)!.AsArray();
        Assert.Equal(3, members.Count);
        foreach (var m in members)
        {
            Assert.True(m!["valid"]!.GetValue<bool>(), $"{m["path"]}: not valid: {m["error"]}");
            Assert.True(m["clean"]!.GetValue<bool>(), $"{m["path"]} is not marked clean after the unmount:\n{r.Stdout}\ndaemon log:\n{DaemonLog()}");
        }
    }

    /// <summary>`argosfs fsck --full` (reads and verifies every shard) exits 0 and says clean.</summary>
    public void AssertFsckClean()
    {
        var r = Cli.Run("fsck", "--images", Images, "--full");
        Assert.True(r.ExitCode == 0 && r.Stdout.Contains("clean"), $"fsck --full exited {r.ExitCode}:\n{r.Stdout}{r.Stderr}");
    }

    public void Dispose()
    {
        if (IsMounted)
        {
            Shell.Run("umount", "-l", MountPoint);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
            while (Directory.Exists($"/proc/{_daemonPid}") && !IsZombie(_daemonPid) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }

            if (_connectionId is not null && Directory.Exists($"/sys/fs/fuse/connections/{_connectionId}"))
            {
                try
                {
                    File.WriteAllText($"/sys/fs/fuse/connections/{_connectionId}/abort", "1");
                }
                catch (IOException)
                {
                }
            }

            if (Directory.Exists($"/proc/{_daemonPid}"))
            {
                try
                {
                    Process.GetProcessById(_daemonPid).Kill(); // the daemon this pool started, by its id
                }
                catch (ArgumentException)
                {
                }
            }
        }

        Shell.Run("rm", "-rf", "--one-file-system", Root);
    }

    private static bool IsZombie(int pid)
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

    /// <summary>The FUSE connection id is the minor of the mount's st_dev (mountinfo field 3, "major:minor").</summary>
    private string? ConnectionId()
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && fields[4] == MountPoint)
            {
                return fields[2].Split(':')[1];
            }
        }

        return null;
    }

    [GeneratedRegex(@"daemon pid (\d+)")]
    private static partial Regex DaemonPid();
}

/// <summary>One argosfs run.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs the built argosfs (src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll), as tests/Argos.Cli.Tests does.</summary>
internal static class Cli
{
    private static readonly Lazy<string> s_dll = new(() =>
    {
        var dll = Path.Combine(RepoRoot(), "src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build src/argosfs/Argos.Cli first");
    });

    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Argos.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Argos.sln not found above " + AppContext.BaseDirectory);
    }

    public static CliResult Run(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(s_dll.Value);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(180_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"argosfs {string.Join(' ', args)} did not finish in 180 s");
        }

        return new CliResult(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static CliResult Ok(params string[] args)
    {
        var r = Run(args);
        return r.ExitCode == 0 ? r : throw new InvalidOperationException($"argosfs {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}{r.Stdout}");
    }
}

internal static class Shell
{
    /// <summary>Runs a program (no shell); exit code and stdout+stderr.</summary>
    public static (int Code, string Output) Run(string program, params string[] args)
    {
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(600_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish in 600 s");
        }

        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>
    /// Runs one check of posix.py (its helpers plus the named check function) against <paramref name="root"/>;
    /// a failing check prints the assertion and traceback, which becomes the test's message.
    /// </summary>
    public static void Check(string check, string root, params string[] args)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "posix.py");
        var (code, output) = Run("python3", [script, check, root, .. args]);
        Assert.True(code == 0, $"posix.py {check} failed (exit {code}):\n{output}");
        Assert.Contains($"ok {check}", output);
    }
}
