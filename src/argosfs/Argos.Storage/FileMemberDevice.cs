using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Storage;

/// <summary>A member backed by an image file or a block device, through pread/pwrite/fdatasync on an owned fd.</summary>
public sealed class FileMemberDevice : IMemberDevice
{
    private const int FlockRetries = 40;
    private static readonly TimeSpan s_flockRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly FileDescriptorHandle _fd;

    private FileMemberDevice(string path, FileDescriptorHandle fd, long capacity, bool isBlock, bool readOnly, FileStatus status)
    {
        Path = path;
        _fd = fd;
        CapacityBytes = capacity;
        IsBlockDevice = isBlock;
        IsReadOnly = readOnly;
        Identity = isBlock
            ? new FileIdentity(true, status.RdevMajor, status.RdevMinor, 0)
            : new FileIdentity(false, status.DevMajor, status.DevMinor, status.Inode);
    }

    public string Path { get; }
    public long CapacityBytes { get; }
    public bool IsBlockDevice { get; }
    public bool IsReadOnly { get; }
    /// <summary>What the path resolves to: (device, inode) of a file or the rdev of a block device.</summary>
    public FileIdentity Identity { get; }

    /// <summary>The identity of a path without locking it (for duplicate detection before exclusive opens).</summary>
    public static FileIdentity IdentityOf(string path)
    {
        using FileDescriptorHandle fd = LibC.Open(path, LibC.O_RDONLY);
        FileStatus st = LibC.FStat(fd, path);
        return st.IsBlockDevice
            ? new FileIdentity(true, st.RdevMajor, st.RdevMinor, 0)
            : new FileIdentity(false, st.DevMajor, st.DevMinor, st.Inode);
    }

    public static FileMemberDevice Open(string path, bool readOnly, MemberLock memberLock)
    {
        if (!readOnly && memberLock != MemberLock.Exclusive)
        {
            throw new ArgumentException("read-write member opens must be exclusive", nameof(memberLock));
        }
        // Probe the type first: O_EXCL means "exclusive claim" only for block devices.
        FileIdentity probe = IdentityOf(path);
        int flags = readOnly ? LibC.O_RDONLY : LibC.O_RDWR;
        if (probe.IsBlockDevice && memberLock == MemberLock.Exclusive)
        {
            flags |= LibC.O_EXCL;
        }
        FileDescriptorHandle fd;
        try
        {
            fd = LibC.Open(path, flags);
        }
        catch (SystemCallException e) when (e.Errno == Errno.EBUSY)
        {
            throw new StorageException("member-in-use",
                $"member {path} is in use (open exclusively by another process or mounted; O_EXCL gave EBUSY); unmount it first", e);
        }
        try
        {
            FileStatus st = LibC.FStat(fd, path);
            if (!st.IsBlockDevice && !st.IsRegularFile)
            {
                throw new StorageException("invalid-member", $"{path} is neither an image file nor a block device — pass an image file or a /dev node");
            }
            if (memberLock != MemberLock.None)
            {
                int operation = (memberLock == MemberLock.Exclusive ? LibC.LOCK_EX : LibC.LOCK_SH) | LibC.LOCK_NB;
                Errno e = LibC.TryFLock(fd, operation);
                // A lock can outlive its owner for a moment: a process that just closed the pool, or a
                // child forked by it that still holds a copy of the descriptor until its exec closes it.
                // Retry briefly before calling the member busy.
                for (int attempt = 0; e == Errno.EAGAIN && attempt < FlockRetries; attempt++)
                {
                    Thread.Sleep(s_flockRetryDelay);
                    e = LibC.TryFLock(fd, operation);
                }
                if (e == Errno.EAGAIN)
                {
                    throw new StorageException("member-in-use",
                        $"member {path} is in use by another argosfs process (flock EWOULDBLOCK); unmount it first");
                }
                if (e != Errno.None)
                {
                    throw new SystemCallException("flock", path, e);
                }
            }
            long capacity = st.IsBlockDevice ? (long)LibC.BlockDeviceSize(fd, path) : st.SizeBytes;
            return new FileMemberDevice(path, fd, capacity, st.IsBlockDevice, readOnly, st);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Creates a sparse image file of the given size (mkfs); refuses an existing file.</summary>
    public static void CreateImage(string path, long sizeBytes)
    {
        using FileDescriptorHandle fd = LibC.Open(path, LibC.O_RDWR | LibC.O_CREAT | LibC.O_EXCL, 0x1a0 /* 0640 */);
        LibC.FTruncate(fd, sizeBytes, path);
        LibC.FSync(fd, path);
    }

    /// <summary>Grows an empty image file to the given size (mkfs on a file created by the user with touch).</summary>
    public static void ExtendEmptyImage(string path, long sizeBytes)
    {
        using FileDescriptorHandle fd = LibC.Open(path, LibC.O_RDWR);
        if (LibC.FStat(fd, path).SizeBytes == 0)
        {
            LibC.FTruncate(fd, sizeBytes, path);
            LibC.FSync(fd, path);
        }
    }

    public void ReadAt(long offsetBytes, Span<byte> buffer)
    {
        CheckRange(offsetBytes, buffer.Length, "read");
        LibC.PReadExact(_fd, buffer, offsetBytes, Path);
    }

    public void WriteAt(long offsetBytes, ReadOnlySpan<byte> buffer)
    {
        if (IsReadOnly)
        {
            throw new StorageException("read-only", $"member {Path} is open read-only; writes need a read-write open");
        }
        CheckRange(offsetBytes, buffer.Length, "write");
        LibC.PWriteExact(_fd, buffer, offsetBytes, Path);
    }

    public void Flush()
    {
        if (!IsReadOnly)
        {
            LibC.FDataSync(_fd, Path);
        }
    }

    public void Discard(long offsetBytes, long lengthBytes)
    {
        if (IsReadOnly || lengthBytes <= 0)
        {
            return;
        }
        CheckRange(offsetBytes, lengthBytes, "discard");
        try
        {
            if (IsBlockDevice)
            {
                LibC.BlockDiscard(_fd, (ulong)offsetBytes, (ulong)lengthBytes, Path);
            }
            else
            {
                LibC.FAllocate(_fd, LibC.FALLOC_FL_PUNCH_HOLE | LibC.FALLOC_FL_KEEP_SIZE, offsetBytes, lengthBytes, Path);
            }
        }
        catch (SystemCallException e) when (e.Errno is Errno.EOPNOTSUPP or Errno.EINVAL or Errno.ENOTTY)
        {
            // Discard is an optimisation; devices and file systems without it keep the stale bytes.
        }
    }

    private void CheckRange(long offset, long length, string what)
    {
        if (offset < 0 || length < 0 || offset + length > CapacityBytes)
        {
            throw new StorageException("out-of-range",
                $"{what} [{offset}, +{length}) is outside member {Path} ({CapacityBytes} bytes)");
        }
    }

    public void Dispose() => _fd.Dispose();
}

/// <summary>What a path names: a block device by rdev, a file by (st_dev, inode).</summary>
public readonly record struct FileIdentity(bool IsBlockDevice, uint Major, uint Minor, ulong Inode);
