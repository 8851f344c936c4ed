using System.Globalization;
using System.Text;
using Argos.Platform;
using Argos.Platform.Interop;
using Microsoft.Win32.SafeHandles;

namespace Argos.Fuse;

/// <summary>The child's end of the readiness pipe (see <see cref="FuseDaemonLauncher"/>).</summary>
public sealed class FuseReadyChannel : IDisposable
{
    private SafeFileHandle? _fd;

    private FuseReadyChannel(SafeFileHandle fd)
    {
        _fd = fd;
    }

    /// <summary>
    /// In a child started by <see cref="FuseDaemonLauncher.StartDetached"/>: takes the pipe fd named by
    /// ARGOSFS_READY_FD, clears the variable and marks the fd close-on-exec (so nothing we start inherits it),
    /// and starts a new session (setsid) so the launching terminal's signals do not reach the daemon.
    /// Null when the variable is absent (a plain --foreground run).
    /// </summary>
    public static FuseReadyChannel? FromEnvironment()
    {
        var value = Environment.GetEnvironmentVariable(FuseDaemonLauncher.ReadyFdVariable);
        if (value is null)
        {
            return null;
        }

        Environment.SetEnvironmentVariable(FuseDaemonLauncher.ReadyFdVariable, null);
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int fd) || fd < 3)
        {
            throw new ArgumentException($"{FuseDaemonLauncher.ReadyFdVariable}='{value}' is not a file descriptor number; it is set by 'argosfs mount' for its daemon child, unset it");
        }

        if (LibC.FcntlInt(fd, LibC.F_SETFD, LibC.FD_CLOEXEC) != 0)
        {
            throw new SystemCallException("fcntl(F_SETFD)", $"{FuseDaemonLauncher.ReadyFdVariable}={value}", LibC.FuseLastErrno,
                "the readiness fd was not inherited; start the daemon through 'argosfs mount', or use --foreground");
        }

        _ = LibC.Setsid(); // fails only if we already lead a process group: harmless
        return new FuseReadyChannel(new SafeFileHandle(fd, ownsHandle: true));
    }

    /// <summary>
    /// Reports the mount live and detaches from the launcher's pipes: fds 0, 1, 2 are pointed at /dev/null,
    /// or 1 and 2 at <paramref name="logPath"/> (appended). Call before switch_root (it opens paths).
    /// </summary>
    public void SignalReady(string? logPath = null)
    {
        Send("R"u8);
        RedirectStandardStreams(logPath);
    }

    /// <summary>Reports why the mount could not be made; the launcher prints it and exits non-zero.</summary>
    public void SignalFailure(string message)
    {
        Send(Encoding.UTF8.GetBytes("E" + message));
    }

    public void Dispose()
    {
        _fd?.Dispose();
        _fd = null;
    }

    private void Send(ReadOnlySpan<byte> bytes)
    {
        var fd = _fd ?? throw new InvalidOperationException("the readiness channel was already used");
        _fd = null;
        using var stream = new FileStream(fd, FileAccess.Write, bufferSize: 0);
        try
        {
            stream.Write(bytes);
        }
        catch (IOException)
        {
            // The launcher is gone (killed, timed out): nobody to tell.
        }
    }

    private static void RedirectStandardStreams(string? logPath)
    {
        int devNull = LibC.FuseOpen("/dev/null", LibC.O_RDWR | LibC.O_CLOEXEC, 0);
        if (devNull < 0)
        {
            return; // keep the inherited pipes; writes to them fail quietly once the launcher exits
        }

        int output = devNull;
        if (logPath is not null)
        {
            output = LibC.FuseOpen(logPath, LibC.O_WRONLY | LibC.O_CREAT | LibC.O_APPEND | LibC.O_CLOEXEC, 0x1A0 /* 0640 */);
            if (output < 0)
            {
                output = devNull;
            }
        }

        _ = LibC.Dup2(devNull, 0);
        _ = LibC.Dup2(output, 1);
        _ = LibC.Dup2(output, 2);
        if (output != devNull)
        {
            LibC.FuseClose(output);
        }

        LibC.FuseClose(devNull);
    }
}
