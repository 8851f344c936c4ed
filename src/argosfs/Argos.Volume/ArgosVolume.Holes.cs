using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Volume;

/// <summary>
/// Holes made on request: fallocate(2) FALLOC_FL_PUNCH_HOLE and FALLOC_FL_ZERO_RANGE. A stripe wholly
/// inside the range is released (its record dropped and its extents freed in one transaction, so
/// st_blocks shrinks and SEEK_HOLE sees the hole); the bytes the range covers in a stripe it only
/// partly covers are zeroed through the buffered write path (read-modify-write). Zero-range releases
/// whole stripes too: Argos does not preallocate (fallocate mode 0 does not either; space is reserved
/// only for buffered writes, ArgosVolume.Reservation.cs), and a hole reads zeros. Reading a stripe past its stored length, or a missing one, gives zeros, so the part of
/// a range past the end of file needs nothing.
///
///     offset                                              offset + length
///       |  head: zeroed  |  released  |  released  |  tail: zeroed  |
///   ----+----------------+------------+------------+----------------+---- stripes of k × chunk bytes
///
/// Buffered writes are flushed first, so the operation works on stored stripes only. Like truncate,
/// it relies on the kernel holding the inode lock across FUSE fallocate and write for the same file.
/// Frees go through Mutate, which withholds those of extents a snapshot pins.
/// </summary>
public sealed partial class ArgosVolume
{
    /// <summary>FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE: the range reads zeros, the size stays.</summary>
    public InodeAttributes PunchHole(InodeId ino, ulong offsetBytes, ulong lengthBytes, in Credentials caller) =>
        ClearRange(ino, offsetBytes, lengthBytes, keepSize: true, caller, "punch a hole in");

    /// <summary>FALLOC_FL_ZERO_RANGE: the range reads zeros; without <paramref name="keepSize"/> the file grows to cover it.</summary>
    public InodeAttributes ZeroRange(InodeId ino, ulong offsetBytes, ulong lengthBytes, bool keepSize, in Credentials caller) =>
        ClearRange(ino, offsetBytes, lengthBytes, keepSize, caller, "zero a range of");

    private InodeAttributes ClearRange(InodeId ino, ulong offsetBytes, ulong lengthBytes, bool keepSize, in Credentials caller, string what)
    {
        ThrowIfReadOnly(what + " a file");
        if (Settings.Encrypted && _cipher is null)
        {
            throw new VolumeException(Errno.EACCES, "encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file");
        }
        var attr = _ns.GetAttr(ino);
        if (!PosixMode.IsRegular(attr.Mode))
        {
            throw new VolumeException(attr.IsDirectory ? Errno.EISDIR : Errno.ENODEV, $"cannot {what} inode {ino}: it is not a regular file");
        }
        if (lengthBytes == 0)
        {
            throw new VolumeException(Errno.EINVAL, $"cannot {what} inode {ino}: the length is 0");
        }
        if (offsetBytes > long.MaxValue || lengthBytes > long.MaxValue - offsetBytes)
        {
            throw new VolumeException(Errno.EFBIG, $"cannot {what} inode {ino}: offset {offsetBytes} + length {lengthBytes} exceeds the largest file size ({long.MaxValue})");
        }
        Flush(ino);
        var size = _ns.GetAttr(ino).Size;
        var end = offsetBytes + lengthBytes;
        var clearEnd = Math.Min(end, size); // past the end of file reads nothing (and zeros once extended)
        var newSize = keepSize ? size : Math.Max(size, end);
        if (offsetBytes >= size && newSize == size)
        {
            return GetAttr(ino); // wholly past the end of file, size kept: nothing changes (ext4 does not touch the times either)
        }
        var s = (ulong)StripeDataBytes;
        var firstWhole = (offsetBytes + s - 1) / s;
        // The last stripe is whole when the range reaches the end of file: nothing after clearEnd is data.
        var endWhole = clearEnd == size ? (size + s - 1) / s : clearEnd / s;
        if (firstWhole < endWhole)
        {
            ZeroBytes(ino, offsetBytes, firstWhole * s, caller);
            ZeroBytes(ino, endWhole * s, clearEnd, caller);
        }
        else
        {
            ZeroBytes(ino, offsetBytes, clearEnd, caller); // no whole stripe: one stripe, or the ends of two
        }
        var who = caller;
        var extra = new List<RecordOp>();
        return Mutate(tx =>
        {
            if (firstWhole < endWhole)
            {
                foreach (var (index, removed) in _ns.RemoveStripes(tx, ino, new StripeIndex(firstWhole), new StripeIndex(endWhole)))
                {
                    AddFreeOps(extra, removed);
                    _stripeCache.Forget(ino, index.Value);
                }
                if (firstWhole == 0 && _ns.GetInlineData(ino).Length > 0)
                {
                    _ns.SetInlineData(tx, ino, []); // inline data is stripe 0
                }
            }
            // mtime and ctime now, privileges dropped as for a write (file_modified() on Linux).
            return _ns.RecordWrite(tx, ino, newSize, who);
        }, extraOps: extra);
    }

    /// <summary>
    /// Zeroes [<paramref name="start"/>, <paramref name="end"/>) with buffered writes, stripe by stripe, skipping
    /// stripes that hold nothing there already (holes, bytes past a stripe's stored length), and stores them.
    /// </summary>
    private void ZeroBytes(InodeId ino, ulong start, ulong end, in Credentials caller)
    {
        var s = (ulong)StripeDataBytes;
        var wrote = false;
        for (var pos = start; pos < end;)
        {
            var index = pos / s;
            var stop = Math.Min(end, (index + 1) * s);
            var storedBytes = _ns.TryGetStripe(ino, new StripeIndex(index), out var stored) ? stored.RawLength
                : index == 0 ? (ulong)_ns.GetInlineData(ino).Length : 0;
            if (pos - index * s < storedBytes)
            {
                var zeros = new byte[Math.Min(stop, index * s + storedBytes) - pos];
                Write(ino, pos, zeros, caller);
                wrote = true;
            }
            pos = stop;
        }
        if (wrote) Flush(ino);
    }
}
