using System.Diagnostics;
using System.Globalization;
using System.Text;
using Argos.Platform;
using Argos.Platform.Interop;
using Microsoft.Win32.SafeHandles;

namespace Argos.Fuse;

// `argosfs mount` without --foreground must return only once the mount is live, and leave a daemon behind.
// .NET cannot fork safely (other runtime threads would be lost mid-flight), so the launcher re-executes:
//
//   parent (argosfs mount …)                         child (argosfs mount … --foreground)
//   pipe2(O_CLOEXEC) → r, w; w' = dup(w) (inheritable); close w
//   start child with ARGOSFS_READY_FD=w',
//     stdin = pipe (closed at once), stdout/stderr = pipes relayed to our stderr
//   close w'                                          FuseReadyChannel.FromEnvironment(): takes w', clears the
//                                                       variable, sets FD_CLOEXEC on it, setsid()
//                                                     open pool, mount, session.Start, WaitForInit
//   read(r) ◀──────────────────── "R" ───────────── SignalReady(): write "R", close w', point fds 0/1/2 at
//   → exit 0 (the mount is live)                        /dev/null (or a log file): the parent's pipes go away
//   read(r) ◀──────────── "E<message>" ─────────── SignalFailure(message) → exit non-zero
//   read(r) = EOF (every copy of w' closed: the child died) → report its exit code and relayed stderr
//   no byte within the timeout → kill the child, report
//
// Only w' crosses exec; the parent keeps no write end, so EOF on r always means "the child is gone".

/// <summary>Outcome of <see cref="FuseDaemonLauncher.StartDetached"/>.</summary>
public sealed record FuseLaunchResult(bool IsReady, int ProcessId, string? Error, int? ExitCode);

/// <summary>Starts a daemon child and waits until it reports the mount live (see the diagram in the source).</summary>
public static class FuseDaemonLauncher
{
    public const string ReadyFdVariable = "ARGOSFS_READY_FD";

    /// <summary>
    /// Starts <paramref name="executable"/> with <paramref name="arguments"/> (the caller adds its own
    /// --foreground flag) and waits until the child signals ready, fails, dies, or <paramref name="timeout"/>
    /// passes (then it is killed). Child output is relayed line by line to <paramref name="relay"/>
    /// (default: standard error) until then.
    /// </summary>
    public static unsafe FuseLaunchResult StartDetached(string executable, IEnumerable<string> arguments, TimeSpan timeout, TextWriter? relay = null)
    {
        relay ??= Console.Error;
        int* fds = stackalloc int[2];
        if (LibC.Pipe2(fds, LibC.O_CLOEXEC) != 0)
        {
            throw new SystemCallException("pipe2", "readiness pipe", LibC.FuseLastErrno);
        }

        using var readEnd = new SafeFileHandle(fds[0], ownsHandle: true);
        int childWrite = LibC.Dup(fds[1]); // no O_CLOEXEC: the one fd the child inherits on purpose
        LibC.FuseClose(fds[1]);
        if (childWrite < 0)
        {
            throw new SystemCallException("dup", "readiness pipe", LibC.FuseLastErrno);
        }

        var start = new ProcessStartInfo(executable)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment[ReadyFdVariable] = childWrite.ToString(CultureInfo.InvariantCulture);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {executable}");
        }
        finally
        {
            LibC.FuseClose(childWrite);
        }

        var relayLock = new object();
        using var outputDone = new ManualResetEventSlim();
        using var errorDone = new ManualResetEventSlim();
        void Relay(DataReceivedEventArgs e, ManualResetEventSlim done)
        {
            if (e.Data is null)
            {
                done.Set(); // end of that stream
                return;
            }
            lock (relayLock)
            {
                relay.WriteLine(e.Data);
            }
        }

        process.OutputDataReceived += (_, e) => Relay(e, outputDone);
        process.ErrorDataReceived += (_, e) => Relay(e, errorDone);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();

        var message = ReadReadiness(readEnd, timeout, out bool timedOut);
        int pid = process.Id;
        if (timedOut)
        {
            TryKill(process);
            process.WaitForExit(5000);
            return new FuseLaunchResult(false, pid, $"{executable} did not report the mount live within {timeout.TotalSeconds:0} s; stopped it", null);
        }

        if (message.Length > 0 && message[0] == (byte)'R')
        {
            // What the child wrote before 'R' must reach the relay: a ready daemon points its stdout
            // and stderr at /dev/null right after 'R', so both streams end at once. A child that keeps
            // them open costs the launcher 1 s at most (its earlier lines are in the pipe by then).
            var deadline = Stopwatch.StartNew();
            outputDone.Wait(TimeSpan.FromSeconds(1));
            errorDone.Wait(TimeSpan.FromSeconds(1) - deadline.Elapsed is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero);
            process.CancelOutputRead();
            process.CancelErrorRead();
            process.Dispose();
            return new FuseLaunchResult(true, pid, null, null);
        }

        bool exited = process.WaitForExit(10_000);
        if (exited)
        {
            process.WaitForExit(); // drain the relayed output
        }

        int? exitCode = exited ? process.ExitCode : null;
        process.Dispose();
        string error = message.Length > 1 && message[0] == (byte)'E'
            ? Encoding.UTF8.GetString(message, 1, message.Length - 1).Trim()
            : $"{executable} exited{(exitCode is { } code ? $" with code {code}" : "")} before the mount was live";
        return new FuseLaunchResult(false, pid, error, exitCode);
    }

    private static byte[] ReadReadiness(SafeFileHandle readEnd, TimeSpan timeout, out bool timedOut)
    {
        var stream = new FileStream(readEnd, FileAccess.Read, bufferSize: 0);
        var received = new MemoryStream();
        var reader = Task.Run(() =>
        {
            var buffer = new byte[4096];
            while (true)
            {
                int n = stream.Read(buffer, 0, buffer.Length);
                if (n <= 0)
                {
                    return;
                }

                lock (received)
                {
                    received.Write(buffer, 0, n);
                    if (received.Length > 0 && received.GetBuffer()[0] == (byte)'R')
                    {
                        return; // ready: do not wait for EOF
                    }
                }
            }
        });
        timedOut = !reader.Wait(timeout);
        lock (received)
        {
            return received.ToArray();
        }
    }

    private static void TryKill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already exited
        }
    }
}
