namespace Argos.Storage;

/// <summary>
/// One member's bytes: an image file or a block device (same layout on both). Implementations are
/// thread-safe for concurrent positional reads and writes.
/// </summary>
public interface IMemberDevice : IDisposable
{
    string Path { get; }
    long CapacityBytes { get; }
    bool IsBlockDevice { get; }
    bool IsReadOnly { get; }

    void ReadAt(long offsetBytes, Span<byte> buffer);
    void WriteAt(long offsetBytes, ReadOnlySpan<byte> buffer);
    /// <summary>Makes completed writes durable (fdatasync).</summary>
    void Flush();
    /// <summary>Tells the device a range no longer holds data (hole punch / BLKDISCARD). Best effort.</summary>
    void Discard(long offsetBytes, long lengthBytes);
}

/// <summary>How a member is locked while open.</summary>
public enum MemberLock
{
    /// <summary>No lock (scan): read-only and may race a writer; only identity blocks are read.</summary>
    None,
    /// <summary>flock(LOCK_SH): read-only opens; conflicts with a read-write owner.</summary>
    Shared,
    /// <summary>flock(LOCK_EX), plus O_EXCL on block devices: the one read-write owner.</summary>
    Exclusive,
}

/// <summary>A storage-layer refusal with a stable code and a message that names the fix.</summary>
public class StorageException : IOException
{
    public StorageException(string code, string message, Exception? inner = null) : base(message, inner)
    {
        Code = code;
    }

    public string Code { get; }
}
