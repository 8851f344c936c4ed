using System.Collections;
using System.Runtime.InteropServices;
using System.Text;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Fuse;

/// <summary>
/// What a daemon serving a root filesystem must do for itself (docs: shared/reference/boot-notes.md):
/// argv[0] starting with '@' so systemd's killing sprees spare it (rule 1), and a clean stop on SIGTERM/SIGINT
/// (rule 5). Call <see cref="EnsureAtSignArgv0"/> first thing in main, while still in the initramfs: it reads
/// /proc/self/cmdline and execs /proc/self/exe, both paths that vanish after switch_root (rule 2).
/// </summary>
public static class RootDaemon
{
    public const string DefaultArgv0 = "@argosfs";

    /// <summary>Set across the re-exec so a second pass that still lacks '@' fails loudly instead of looping.</summary>
    public const string ReexecGuardVariable = "ARGOSFS_AT_REEXEC";

    /// <summary>
    /// Re-execs this program as <paramref name="argv0"/> (keeping every other argument and the environment)
    /// unless argv[0] already starts with '@'; in that case names the thread group "argosfs" (comm would
    /// otherwise read "exe") and returns. Does not return when it re-execs.
    /// </summary>
    /// <exception cref="SystemCallException">execve failed.</exception>
    /// <exception cref="InvalidOperationException">After a re-exec argv[0] still lacks '@'.</exception>
    public static void EnsureAtSignArgv0(string argv0 = DefaultArgv0)
    {
        var argv = ReadOwnArgv();
        var plan = PlanReexec(argv, argv0, Environment.GetEnvironmentVariable(ReexecGuardVariable) is not null);
        if (plan is null)
        {
            SetProcessName("argosfs");
            return;
        }

        var environment = new List<byte[]>();
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if ((string)variable.Key != ReexecGuardVariable)
            {
                environment.Add(Encoding.UTF8.GetBytes($"{variable.Key}={variable.Value}"));
            }
        }

        environment.Add(Encoding.UTF8.GetBytes($"{ReexecGuardVariable}=1"));
        Exec("/proc/self/exe", plan, environment);
    }

    /// <summary>
    /// The argv to re-exec with, or null when argv[0] already starts with '@'. Pure: the decision made by
    /// <see cref="EnsureAtSignArgv0"/>.
    /// </summary>
    public static IReadOnlyList<byte[]>? PlanReexec(IReadOnlyList<byte[]> argv, string argv0, bool alreadyReexeced)
    {
        if (argv.Count > 0 && argv[0].Length > 0 && argv[0][0] == (byte)'@')
        {
            return null;
        }

        if (string.IsNullOrEmpty(argv0) || argv0[0] != '@')
        {
            throw new ArgumentException($"argv[0] '{argv0}' must start with '@' (systemd spares only such root processes)", nameof(argv0));
        }

        if (alreadyReexeced)
        {
            throw new InvalidOperationException(
                $"argosfs re-executed itself as '{argv0}' but argv[0] is still '{(argv.Count > 0 ? Encoding.UTF8.GetString(argv[0]) : "")}'; " +
                $"start it with 'exec -a {argv0}' instead, or unset {ReexecGuardVariable}");
        }

        var plan = new List<byte[]> { Encoding.UTF8.GetBytes(argv0) };
        for (int i = 1; i < argv.Count; i++)
        {
            plan.Add(argv[i]);
        }

        return plan;
    }

    /// <summary>argv as the kernel holds it (/proc/self/cmdline: NUL-separated, bytes as given).</summary>
    public static IReadOnlyList<byte[]> ReadOwnArgv() => SplitCmdline(File.ReadAllBytes("/proc/self/cmdline"));

    internal static List<byte[]> SplitCmdline(ReadOnlySpan<byte> cmdline)
    {
        var args = new List<byte[]>();
        while (!cmdline.IsEmpty)
        {
            int nul = cmdline.IndexOf((byte)0);
            if (nul < 0)
            {
                args.Add(cmdline.ToArray());
                break;
            }

            args.Add(cmdline[..nul].ToArray());
            cmdline = cmdline[(nul + 1)..];
        }

        return args;
    }

    /// <summary>prctl(PR_SET_NAME): the comm shown by ps/top and in kernel messages (15 bytes at most).</summary>
    public static unsafe void SetProcessName(string name)
    {
        var bytes = new byte[16];
        Encoding.UTF8.GetBytes(name.AsSpan(0, Math.Min(name.Length, 15)), bytes);
        bytes[15] = 0;
        fixed (byte* p = bytes)
        {
            _ = LibC.Prctl(LibC.PR_SET_NAME, (nuint)p, 0, 0, 0);
        }
    }

    /// <summary>
    /// Calls <paramref name="onSignal"/> once, on its own thread, for the first SIGTERM or SIGINT (SIGHUP too
    /// when <paramref name="includeHangup"/>), and keeps the runtime from terminating the process: the handler
    /// unmounts, flushes and exits. Dispose to unregister.
    /// </summary>
    public static IDisposable OnTerminationSignal(Action<PosixSignal> onSignal, bool includeHangup = false)
    {
        ArgumentNullException.ThrowIfNull(onSignal);
        int fired = 0;
        var registrations = new List<PosixSignalRegistration>();
        void Handle(PosixSignalContext context)
        {
            context.Cancel = true;
            if (Interlocked.Exchange(ref fired, 1) == 0)
            {
                var signal = context.Signal;
                new Thread(() => onSignal(signal)) { IsBackground = false, Name = "argosfs-stop" }.Start();
            }
        }

        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, Handle));
        registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGINT, Handle));
        if (includeHangup)
        {
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGHUP, Handle));
        }

        return new Registrations(registrations);
    }

    /// <summary>
    /// Serves until the mount goes away (umount, fusermount3 -u: Destroy runs) or a SIGTERM/SIGINT arrives
    /// (then <see cref="FuseSession.Stop"/> detaches the mount, waits up to <paramref name="grace"/>, and
    /// forces the end if files are still open). Destroy has run when this returns. Returns the exit code: 0.
    /// </summary>
    public static int ServeUntilStopped(FuseSession session, TimeSpan grace, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(session);
        log ??= static line => Console.Error.WriteLine(line);
        using var signals = OnTerminationSignal(signal =>
        {
            log($"argosfs: {signal}: unmounting and flushing");
            bool clean = session.Stop(grace);
            if (!clean)
            {
                log($"argosfs: the mount was still busy after {grace.TotalSeconds:0} s; flushed and detached it anyway");
            }
        });
        var reason = session.Completion.GetAwaiter().GetResult();
        return reason == FuseSessionEndReason.DeviceError ? 1 : 0;
    }

    private static unsafe void Exec(string path, IReadOnlyList<byte[]> argv, IReadOnlyList<byte[]> environment)
    {
        var handles = new List<GCHandle>();
        try
        {
            byte* Pin(byte[] value)
            {
                var terminated = new byte[value.Length + 1];
                value.CopyTo(terminated, 0);
                var handle = GCHandle.Alloc(terminated, GCHandleType.Pinned);
                handles.Add(handle);
                return (byte*)handle.AddrOfPinnedObject();
            }

            var argvPointers = new nint[argv.Count + 1];
            for (int i = 0; i < argv.Count; i++)
            {
                argvPointers[i] = (nint)Pin(argv[i]);
            }

            var envPointers = new nint[environment.Count + 1];
            for (int i = 0; i < environment.Count; i++)
            {
                envPointers[i] = (nint)Pin(environment[i]);
            }

            byte* pathPointer = Pin(Encoding.UTF8.GetBytes(path));
            fixed (nint* argvBlock = argvPointers)
            fixed (nint* envBlock = envPointers)
            {
                LibC.Execve(pathPointer, (byte**)argvBlock, (byte**)envBlock);
            }

            var errno = LibC.FuseLastErrno;
            throw new SystemCallException("execve", path, errno,
                "could not re-exec with argv[0] '@argosfs'; start the daemon with 'exec -a @argosfs' instead");
        }
        finally
        {
            foreach (var handle in handles)
            {
                handle.Free();
            }
        }
    }

    private sealed class Registrations(List<PosixSignalRegistration> registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
