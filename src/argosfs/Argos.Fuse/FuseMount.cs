using System.Diagnostics;
using System.Globalization;
using System.Text;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Fuse;

// Mounting:
//   root:      open /dev/fuse → mount(fsname, mountpoint, "fuse.<subtype>", MS_* flags,
//              "fd=N,rootmode=40000,user_id=U,group_id=G[,default_permissions][,allow_other][,max_read=R]")
//   non-root:  socketpair; run `fusermount3 -o <opts> -- mountpoint` with _FUSE_COMMFD=<our end, inherited>;
//              fusermount3 opens /dev/fuse, mounts, and sends the fd back as SCM_RIGHTS ancillary data.
// The kernel sends INIT as soon as the mount exists; the mount is live once a session has answered it.

/// <summary>A mounted FUSE filesystem and the /dev/fuse fd that serves it.</summary>
public sealed class FuseMount : IDisposable
{
    private int _unmounted;

    private FuseMount(string mountPoint, FileDescriptorHandle device, FuseMountMethod method, FuseMountOptions options)
    {
        MountPoint = mountPoint;
        Device = device;
        Method = method;
        Options = options;
    }

    public string MountPoint { get; }

    /// <summary>The connection's fd; <see cref="FuseSession.Start(FuseMount)"/> serves it.</summary>
    public FileDescriptorHandle Device { get; }

    /// <summary><see cref="FuseMountMethod.Syscall"/> or <see cref="FuseMountMethod.Fusermount3"/>: how it was mounted.</summary>
    public FuseMountMethod Method { get; }

    public FuseMountOptions Options { get; }

    public bool IsUnmounted => Volatile.Read(ref _unmounted) != 0;

    /// <summary>Mounts; returns once the mount exists (the kernel's INIT is then waiting for a session).</summary>
    /// <exception cref="SystemCallException">open or mount failed; the message carries a hint.</exception>
    /// <exception cref="FuseMountException">fusermount3 failed or timed out.</exception>
    public static FuseMount Mount(string mountPoint, FuseMountOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(mountPoint);
        options ??= new FuseMountOptions();
        options.Validate();
        string target = Path.GetFullPath(mountPoint);
        var method = options.Method == FuseMountMethod.Auto
            ? (LibC.Geteuid() == 0 ? FuseMountMethod.Syscall : FuseMountMethod.Fusermount3)
            : options.Method;

        var device = method == FuseMountMethod.Syscall
            ? MountWithSyscall(target, options)
            : MountWithFusermount(target, options);
        return new FuseMount(target, device, method, options);
    }

    /// <summary>The data string given to mount(2) for <paramref name="fd"/>.</summary>
    public static string KernelMountData(int fd, FuseMountOptions options, uint uid, uint gid)
    {
        var data = new StringBuilder();
        data.Append(CultureInfo.InvariantCulture, $"fd={fd},rootmode=40000,user_id={uid},group_id={gid}");
        if (options.DefaultPermissions)
        {
            data.Append(",default_permissions");
        }

        if (options.AllowOther)
        {
            data.Append(",allow_other");
        }

        if (options.MaxRead is { } maxRead)
        {
            data.Append(CultureInfo.InvariantCulture, $",max_read={maxRead}");
        }

        return data.ToString();
    }

    /// <summary>The MS_* flags given to mount(2).</summary>
    public static ulong KernelMountFlags(FuseMountOptions options)
    {
        ulong flags = 0;
        if (options.ReadOnly)
        {
            flags |= LibC.MS_RDONLY;
        }

        if (!options.Suid)
        {
            flags |= LibC.MS_NOSUID;
        }

        if (!options.Dev)
        {
            flags |= LibC.MS_NODEV;
        }

        if (!options.Exec)
        {
            flags |= LibC.MS_NOEXEC;
        }

        flags |= options.Atime switch
        {
            FuseAtimeMode.NoAtime => LibC.MS_NOATIME,
            FuseAtimeMode.StrictAtime => LibC.MS_STRICTATIME,
            _ => LibC.MS_RELATIME,
        };
        return flags;
    }

    /// <summary>The -o string given to fusermount3 (3.14 knows neither relatime, the kernel default, nor strictatime).</summary>
    public static string FusermountOptions(FuseMountOptions options)
    {
        if (options.Atime == FuseAtimeMode.StrictAtime)
        {
            throw new ArgumentException("FuseMountOptions.Atime = StrictAtime cannot be passed through fusermount3; mount as root (mount(2)) or use Relatime/NoAtime");
        }

        var opts = new List<string>
        {
            options.ReadOnly ? "ro" : "rw",
            options.Suid ? "suid" : "nosuid",
            options.Dev ? "dev" : "nodev",
            options.Exec ? "exec" : "noexec",
        };
        if (options.Atime == FuseAtimeMode.NoAtime)
        {
            opts.Add("noatime");
        }

        opts.Add("fsname=" + options.FsName);
        opts.Add("subtype=" + options.Subtype);
        if (options.DefaultPermissions)
        {
            opts.Add("default_permissions");
        }

        if (options.AllowOther)
        {
            opts.Add("allow_other");
        }

        if (options.MaxRead is { } maxRead)
        {
            opts.Add("max_read=" + maxRead.ToString(CultureInfo.InvariantCulture));
        }

        return string.Join(',', opts);
    }

    /// <summary>
    /// Unmounts. <paramref name="lazy"/> detaches now even if busy (MNT_DETACH / fusermount3 -z); the connection
    /// ends when the last user lets go. Once unmounted, later calls do nothing.
    /// </summary>
    public void Unmount(bool lazy = false)
    {
        if (IsUnmounted)
        {
            return;
        }

        Unmount(MountPoint, lazy, Method == FuseMountMethod.Fusermount3 && LibC.Geteuid() != 0, Options);
        Volatile.Write(ref _unmounted, 1);
    }

    /// <summary>Unmounts any FUSE mount point: umount2 as root, fusermount3 -u otherwise.</summary>
    public static void Unmount(string mountPoint, bool lazy, bool useFusermount = false, FuseMountOptions? options = null)
    {
        if (!useFusermount)
        {
            if (LibC.Umount2(mountPoint, lazy ? LibC.MNT_DETACH : 0) == 0)
            {
                return;
            }

            var errno = LibC.FuseLastErrno;
            throw new SystemCallException(lazy ? "umount2(MNT_DETACH)" : "umount2", mountPoint, errno, errno switch
            {
                Errno.EINVAL => "not a mount point (already unmounted?)",
                Errno.EBUSY => "the filesystem is in use; close what uses it, or unmount lazily",
                Errno.EPERM => "unmounting needs root; use 'fusermount3 -u'",
                Errno.ENOENT => "the mount point does not exist",
                _ => null,
            });
        }

        var args = new List<string> { "-u" };
        if (lazy)
        {
            args.Add("-z");
        }

        args.Add("--");
        args.Add(mountPoint);
        var (exitCode, output) = RunFusermount(options?.FusermountPath ?? "fusermount3", args, null, options?.FusermountTimeout ?? TimeSpan.FromSeconds(30));
        if (exitCode != 0)
        {
            throw new FuseMountException($"fusermount3 -u {mountPoint} failed (exit {exitCode}): {output.Trim()}");
        }
    }

    /// <summary>Lazily unmounts if still mounted (errors ignored), then closes the device fd.</summary>
    public void Dispose()
    {
        if (!IsUnmounted)
        {
            try
            {
                Unmount(lazy: true);
            }
            catch (IOException)
            {
                // Already gone (e.g. `umount` from outside): nothing to do.
            }
        }

        Device.Dispose();
    }

    private static FileDescriptorHandle MountWithSyscall(string target, FuseMountOptions options)
    {
        var device = FuseDevice.Open(options.DevicePath);
        try
        {
            string data = KernelMountData(device.Fd, options, LibC.Geteuid(), LibC.Getegid());
            ulong flags = KernelMountFlags(options);
            if (LibC.Mount(options.FsName, target, options.FilesystemType, flags, data) != 0)
            {
                var errno = LibC.FuseLastErrno;
                throw new SystemCallException("mount", target, errno, errno switch
                {
                    Errno.EPERM => "mounting needs root (CAP_SYS_ADMIN); run as root, or mount through fusermount3",
                    Errno.ENODEV => "the kernel has no 'fuse' filesystem type; try 'modprobe fuse'",
                    Errno.ENOENT => "the mount point does not exist; create it first (mkdir -p)",
                    Errno.ENOTDIR => "the mount point is not a directory",
                    Errno.EINVAL => $"the kernel rejected type '{options.FilesystemType}' with options '{data}'",
                    _ => null,
                });
            }

            return device;
        }
        catch
        {
            device.Dispose();
            throw;
        }
    }

    private static unsafe FileDescriptorHandle MountWithFusermount(string target, FuseMountOptions options)
    {
        int* pair = stackalloc int[2];
        if (LibC.Socketpair(LibC.AF_UNIX, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0, pair) != 0)
        {
            throw new SystemCallException("socketpair", "AF_UNIX", LibC.FuseLastErrno);
        }

        using var ours = new FileDescriptorHandle(pair[0], ownsHandle: true);
        int childEnd = -1;
        try
        {
            // dup() drops O_CLOEXEC: this one copy is deliberately inherited by fusermount3.
            childEnd = LibC.Dup(pair[1]);
            LibC.FuseClose(pair[1]);
            if (childEnd < 0)
            {
                throw new SystemCallException("dup", "socketpair end", LibC.FuseLastErrno);
            }

            var args = new List<string> { "-o", FusermountOptions(options), "--", target };
            var env = new Dictionary<string, string> { ["_FUSE_COMMFD"] = childEnd.ToString(CultureInfo.InvariantCulture) };
            var (exitCode, output) = RunFusermount(options.FusermountPath, args, env, options.FusermountTimeout,
                afterStart: () =>
                {
                    LibC.FuseClose(childEnd); // so recvmsg sees EOF if fusermount3 dies without sending
                    childEnd = -1;
                });
            if (exitCode != 0)
            {
                throw new FuseMountException($"fusermount3 could not mount {target} (exit {exitCode}): {output.Trim()}");
            }

            int fd = ReceiveFd(ours);
            if (fd < 0)
            {
                throw new FuseMountException($"fusermount3 mounted {target} but sent no /dev/fuse fd over _FUSE_COMMFD: {output.Trim()}");
            }

            return new FileDescriptorHandle(fd, ownsHandle: true);
        }
        finally
        {
            if (childEnd >= 0)
            {
                LibC.FuseClose(childEnd);
            }
        }
    }

    private static unsafe int ReceiveFd(FileDescriptorHandle socket)
    {
        byte data = 0;
        var iov = new LibC.Iovec { Base = &data, Length = 1 };
        byte* control = stackalloc byte[64];
        new Span<byte>(control, 64).Clear();
        var message = new LibC.Msghdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
        nint n;
        do
        {
            n = LibC.Recvmsg(socket.Fd, &message, LibC.MSG_CMSG_CLOEXEC);
        }
        while (n < 0 && LibC.FuseLastErrno == Errno.EINTR);

        if (n < 0)
        {
            throw new SystemCallException("recvmsg", "_FUSE_COMMFD socket", LibC.FuseLastErrno);
        }

        // CMSG_FIRSTHDR / CMSG_DATA: the data starts after the header aligned to sizeof(size_t).
        int dataOffset = (sizeof(LibC.Cmsghdr) + sizeof(nuint) - 1) & ~(sizeof(nuint) - 1);
        var cmsg = (LibC.Cmsghdr*)control;
        if (n == 0 || message.ControlLength < (nuint)(dataOffset + sizeof(int))
            || cmsg->Level != LibC.SOL_SOCKET || cmsg->Type != LibC.SCM_RIGHTS)
        {
            return -1;
        }

        return *(int*)(control + dataOffset);
    }

    private static (int ExitCode, string Output) RunFusermount(string program, List<string> args, Dictionary<string, string>? env,
        TimeSpan timeout, Action? afterStart = null)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        if (env is not null)
        {
            foreach (var (key, value) in env)
            {
                start.Environment[key] = value;
            }
        }

        Process process;
        try
        {
            process = Process.Start(start) ?? throw new FuseMountException($"could not start {program}");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FuseMountException($"could not run {program}: {e.Message} — install fuse3 (it provides fusermount3), or mount as root");
        }

        using (process)
        {
            afterStart?.Invoke();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                try
                {
                    process.Kill();
                }
                catch (InvalidOperationException)
                {
                }

                throw new FuseMountException($"{program} {string.Join(' ', args)} did not finish within {timeout.TotalSeconds:0} s");
            }

            process.WaitForExit();
            return (process.ExitCode, stderr.Result + stdout.Result);
        }
    }
}
