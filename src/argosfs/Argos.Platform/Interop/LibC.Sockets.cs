using System.Runtime.InteropServices;

namespace Argos.Platform.Interop;

// socketpair(2) and recvmsg(2) with SCM_RIGHTS: how fusermount3 hands the /dev/fuse fd back
// (it connects to the socket named by _FUSE_COMMFD and sends the fd as ancillary data).
public static unsafe partial class LibC
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    public static partial int Socketpair(int domain, int type, int protocol, int* sv);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    public static partial nint Recvmsg(int sockfd, Msghdr* msg, int flags);

    /// <summary>struct msghdr (x86_64/aarch64 glibc layout).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Msghdr
    {
        public void* Name;
        public uint NameLength;
        public Iovec* Iov;
        public nuint IovLength;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    /// <summary>struct cmsghdr; the data follows at CMSG_DATA (16 bytes in on 64-bit).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Cmsghdr
    {
        public nuint Length;
        public int Level;
        public int Type;
    }
}
