using System.CommandLine;
using Argos.Cli.Mount;
using Argos.Fuse;
using Argos.Volume;

namespace Argos.Cli.Commands;

/// <summary>`argosfs mount`: serve a pool through FUSE.</summary>
public static class MountCommands
{
    public static Command Mount()
    {
        var sel = new PoolSelector();
        var mountPoint = new Argument<string>("MOUNTPOINT") { Description = "Directory to mount the pool on" };
        var mode = new Option<string>("--mode")
        {
            Description = "rw | ro | degraded-ro | degraded-rw: rw refuses a pool with members missing",
            DefaultValueFactory = _ => "rw",
        };
        var options = new Option<string[]>("-o", "--options")
        {
            Description = "Mount options: ro, rw, allow_other, default_permissions, nosuid, nodev, noexec, relatime (default), noatime, writeback_cache (the kernel buffers writes; close waits for the store), fsname=NAME, cache_timeout=SECONDS, readahead_kb=KIB (default: two stripes; 0 keeps the kernel's), read_spin_us=MICROSECONDS (how long the reading worker polls an empty FUSE queue before it sleeps; default 50 with two or more CPUs, 0 never spins)",
            CustomParser = r => PoolSelector.SplitList(r.Tokens.Select(t => t.Value)),
        };
        var foreground = new Option<bool>("--foreground", "-f") { Description = "Stay attached: serve until unmounted or SIGTERM" };
        var rootDaemon = new Option<bool>("--root-daemon")
        {
            Description = "Serve a root filesystem: argv[0] '@argosfs' (systemd spares it), long root cache, no path access after start",
        };
        var commitInterval = new Option<double>("--commit-interval") { Description = "Seconds between group commits", DefaultValueFactory = _ => 5 };
        var commitMax = new Option<int>("--commit-max-transactions") { Description = "Transactions per group commit at most", DefaultValueFactory = _ => 128 };
        var log = new Option<string?>("--log") { Description = "Daemon log file once detached (default: discard)" };
        var cmd = new Command("mount", "Mount a pool with FUSE; returns once the mount is live and keeps serving in the background");
        sel.AddTo(cmd);
        cmd.Arguments.Add(mountPoint);
        cmd.Options.Add(mode); cmd.Options.Add(options); cmd.Options.Add(foreground); cmd.Options.Add(rootDaemon);
        cmd.Options.Add(commitInterval); cmd.Options.Add(commitMax); cmd.Options.Add(log);
        cmd.SetAction(r =>
        {
            var target = r.GetValue(mountPoint)!;
            if (!Directory.Exists(target))
            {
                throw new UsageException($"mount point {target} is not a directory; create it first (mkdir -p {target})");
            }
            var settings = ParseMode(r.GetValue(mode)!, r.GetValue(options) ?? []);
            if (!r.GetValue(foreground))
            {
                return Detach(Environment.GetCommandLineArgs().Skip(1).ToList(), r.GetValue(rootDaemon));
            }
            if (r.GetValue(rootDaemon))
            {
                RootDaemon.EnsureAtSignArgv0(RootDaemon.DefaultArgv0);
            }
            var ready = FuseReadyChannel.FromEnvironment();
            try
            {
                return Serve(r, sel, target, settings, r.GetValue(rootDaemon), ready,
                    TimeSpan.FromSeconds(r.GetValue(commitInterval)), r.GetValue(commitMax), r.GetValue(log));
            }
            catch (Exception e) when (ready is not null)
            {
                ready.SignalFailure(e.Message);
                throw;
            }
        });
        return cmd;
    }

    internal sealed record Parsed(string Mode, bool ReadOnly, bool AllowDegraded, FuseMountOptions Mount, TimeSpan CacheTimeout, bool Atime = true, int? ReadaheadKb = null, bool WritebackCache = false, int? ReadSpinUs = null);

    internal static Parsed ParseMode(string mode, IReadOnlyList<string> options)
    {
        var (readOnly, degraded) = mode switch
        {
            "rw" => (false, false),
            "ro" => (true, false),
            "degraded-ro" => (true, true),
            "degraded-rw" => (false, true),
            "recovery" => (true, true),
            _ => throw new UsageException($"--mode '{mode}' is not known; use rw, ro, degraded-ro or degraded-rw"),
        };
        var mount = new FuseMountOptions();
        var cacheTimeout = TimeSpan.FromSeconds(60);
        var atime = true;
        int? readaheadKb = null;
        int? readSpinUs = null;
        var writeback = false;
        foreach (var o in options)
        {
            var (key, value) = o.Split('=', 2) is [var k, var v] ? (k, v) : (o, "");
            switch (key)
            {
                case "ro": readOnly = true; break;
                case "rw": if (mode is "ro" or "degraded-ro") throw new UsageException($"-o rw contradicts --mode {mode}"); readOnly = false; break;
                case "allow_other": mount = mount with { AllowOther = true }; break;
                case "default_permissions": mount = mount with { DefaultPermissions = true }; break;
                case "suid": mount = mount with { Suid = true }; break;
                case "nosuid": mount = mount with { Suid = false }; break;
                case "dev": mount = mount with { Dev = true }; break;
                case "nodev": mount = mount with { Dev = false }; break;
                case "exec": mount = mount with { Exec = true }; break;
                case "noexec": mount = mount with { Exec = false }; break;
                case "fsname": mount = mount with { FsName = value }; break;
                case "cache_timeout" when double.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var secs) && secs >= 0:
                    cacheTimeout = TimeSpan.FromSeconds(secs);
                    break;
                case "relatime" or "atime" or "strictatime": atime = true; break; // relatime is what every read gets
                case "noatime": atime = false; break;
                case "writeback_cache": writeback = true; break;
                case "no_writeback_cache": writeback = false; break;
                case "readahead_kb" when int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var kb) && kb >= 0:
                    readaheadKb = kb; // 0: leave the kernel's default
                    break;
                case "readahead_kb":
                    throw new UsageException($"-o readahead_kb={value}: give a whole number of KiB (0 keeps the kernel's default)");
                case "read_spin_us" when int.TryParse(value, System.Globalization.CultureInfo.InvariantCulture, out var us) && us is >= 0 and <= 10_000:
                    readSpinUs = us;
                    break;
                case "read_spin_us":
                    throw new UsageException($"-o read_spin_us={value}: give a whole number of microseconds from 0 (never spin) to 10000");
                case "nodiratime" or "async" or "auto" or "defaults": break; // (directories keep relatime)
                default: throw new UsageException($"mount option '{o}' is not known; see 'argosfs mount --help'");
            }
        }
        if (writeback && !mount.DefaultPermissions)
        {
            // The daemon trusts the kernel's checks of the times a writeback cache sends it.
            throw new UsageException("-o writeback_cache needs default_permissions; drop one of them");
        }
        return new Parsed(mode, readOnly, degraded, mount with { ReadOnly = readOnly }, cacheTimeout, atime, readaheadKb, writeback && !readOnly, readSpinUs);
    }

    private static int Detach(List<string> tokens, bool rootDaemon)
    {
        var exe = Environment.ProcessPath ?? throw new UsageException("cannot find my own executable to start the daemon; use --foreground");
        var args = new List<string>();
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
        {
            // Running under the JIT (tests): the entry assembly is the program.
            args.Add(Path.Combine(AppContext.BaseDirectory, "argosfs.dll"));
        }
        args.AddRange(tokens);
        args.Add("--foreground");
        var result = FuseDaemonLauncher.StartDetached(exe, args, TimeSpan.FromSeconds(120), Console.Error);
        if (!result.IsReady)
        {
            throw new InvalidOperationException(result.Error ?? $"the mount daemon exited with status {result.ExitCode} before the mount was live");
        }
        Console.Error.WriteLine($"argosfs: mounted (daemon pid {result.ProcessId}{(rootDaemon ? ", root daemon" : "")})");
        return 0;
    }

    private static int Serve(ParseResult r, PoolSelector sel, string target, Parsed settings, bool rootDaemon,
        FuseReadyChannel? ready, TimeSpan commitInterval, int commitMax, string? logPath)
    {
        var volume = VolumeFactory.Open(r, sel, settings.ReadOnly, new VolumeOpenOptions
        {
            BackgroundCommit = true,
            CommitInterval = commitInterval,
            CommitMaxTransactions = commitMax,
        });
        try
        {
            var info = volume.Info;
            if (info.Degraded && !settings.AllowDegraded)
            {
                throw new UsageException(
                    $"pool '{info.PoolName}' is degraded ({info.Missing.Count} of {info.Members.Count} members missing); "
                    + "mount it with --mode degraded-ro (or degraded-rw to accept writes without full redundancy)");
            }
            var mountOptions = settings.Mount with { FsName = settings.Mount.FsName == "argosfs" ? info.PoolName : settings.Mount.FsName };
            var fs = new VolumeFileSystem(volume, new MountSettings
            {
                CacheTimeout = settings.CacheTimeout, ReadOnly = settings.ReadOnly, Atime = settings.Atime, WritebackCache = settings.WritebackCache,
            });
            var session = new FuseSession(fs, new FuseSessionOptions
            {
                ReadSpin = settings.ReadSpinUs is int spinUs ? TimeSpan.FromMicroseconds(spinUs) : FuseSessionOptions.DefaultReadSpin,
                PosixAcl = true,
                // Opt in: dirty pages wait in the kernel (mtime and size with them) until writeback,
                // fsync or close, whose FLUSH then stores the file (the kernel sends it whatever
                // FOPEN_NOFLUSH says). Writes that must clear setuid/setgid still come through at once
                // (HANDLE_KILLPRIV_V2 below), with the writer's credentials.
                WritebackCache = settings.WritebackCache,
                // With FUSE_POSIX_ACL the kernel still applies the umask unless told not to; the namespace
                // applies it only when the directory has no default ACL (posix_acl_create).
                DontMask = true,
                HandleKillPriv = true,
                RootTimeout = rootDaemon ? TimeSpan.FromDays(1) : null,
                // supplementary groups from /proc/PID/status; a root daemon opens no path after switch_root
                AllowProcLookups = !rootDaemon,
                Log = line => Console.Error.WriteLine(line),
            });
            var mount = FuseMount.Mount(target, mountOptions);
            session.Start(mount);
            if (!session.WaitForInit(TimeSpan.FromSeconds(60)))
            {
                session.Abort();
                mount.Unmount(lazy: true);
                throw new InvalidOperationException($"the kernel did not answer FUSE INIT on {target} within 60 s");
            }
            // After INIT: its reply sets the window to min(kernel default, ours); two stripes by default.
            Argos.Cli.Mount.MountReadahead.TrySet(target, settings.ReadaheadKb ?? 2 * volume.StripeDataBytes / 1024, line => Console.Error.WriteLine(line));
            using var control = Control.MountControlServer.TryStart(volume, target, line => Console.Error.WriteLine(line));
            ready?.SignalReady(logPath);
            var code = RootDaemon.ServeUntilStopped(session, TimeSpan.FromSeconds(30));
            control?.Dispose(); // no maintenance request may start on a volume being closed
            fs.Destroy();
            return code;
        }
        catch
        {
            volume.Dispose();
            throw;
        }
    }
}
