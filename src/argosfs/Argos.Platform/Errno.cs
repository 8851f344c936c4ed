namespace Argos.Platform;

/// <summary>Linux errno values (asm-generic/errno-base.h, errno.h), the one error vocabulary at the FUSE boundary.</summary>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOTTY = 25,
    ETXTBSY = 26,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    EMLINK = 31,
    EPIPE = 32,
    ERANGE = 34,
    EDEADLK = 35,
    ENAMETOOLONG = 36,
    ENOLCK = 37,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ELOOP = 40,
    ENODATA = 61,
    EOVERFLOW = 75,
    EBADMSG = 74,
    ENOTSUP = 95,
    EOPNOTSUPP = 95,
    ENOTCONN = 107,
    ETIMEDOUT = 110,
    ESTALE = 116,
    EDQUOT = 122,
    ECANCELED = 125,
}

/// <summary>A failed system call: the call, the resource it touched, the errno, and a hint for the fix.</summary>
public sealed class SystemCallException : IOException
{
    public SystemCallException(string call, string resource, Errno errno, string? hint = null)
        : base(Format(call, resource, errno, hint))
    {
        Call = call;
        Resource = resource;
        Errno = errno;
        Hint = hint;
        HResult = (int)errno;
    }

    public string Call { get; }
    public string Resource { get; }
    public Errno Errno { get; }
    public string? Hint { get; }

    private static string Format(string call, string resource, Errno errno, string? hint)
        => hint is null ? $"{call} {resource}: {errno}" : $"{call} {resource}: {errno} — {hint}";
}
