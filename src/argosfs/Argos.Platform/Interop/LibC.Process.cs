using System.Runtime.InteropServices;

namespace Argos.Platform.Interop;

// Process-level calls for the root daemon and its launcher: execve (the '@' re-exec), prctl (comm
// name), setsid, pipe2/dup/dup2/fcntl (the readiness pipe; O_NONBLOCK on the FUSE fds), geteuid/getegid
// (mount options).
public static unsafe partial class LibC
{
    public const int PR_SET_NAME = 15;
    public const int PR_GET_NAME = 16;
    public const int F_GETFD = 1;
    public const int F_SETFD = 2;
    public const int F_GETFL = 3;
    public const int F_SETFL = 4;
    public const int FD_CLOEXEC = 1;

    [LibraryImport("libc", EntryPoint = "execve", SetLastError = true)]
    public static partial int Execve(byte* path, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    public static partial int Prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", EntryPoint = "setsid", SetLastError = true)]
    public static partial int Setsid();

    [LibraryImport("libc", EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport("libc", EntryPoint = "dup", SetLastError = true)]
    public static partial int Dup(int fd);

    [LibraryImport("libc", EntryPoint = "dup2", SetLastError = true)]
    public static partial int Dup2(int oldFd, int newFd);

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    public static partial int FcntlInt(int fd, int command, int argument);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint Geteuid();

    [LibraryImport("libc", EntryPoint = "getegid")]
    public static partial uint Getegid();
}
