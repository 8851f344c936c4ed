using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Volume.Tree;

/// <summary>
/// Streams one regular file between a host fd and a pool inode, holes kept as holes both ways:
/// - in: the host's SEEK_DATA/SEEK_HOLE ranges are read in pieces that end on stripe boundaries
///   (a whole stripe is encoded as soon as it is complete, so a file never sits in memory), holes
///   are never written, and a trailing hole is a truncate;
/// - out: the pool's data ranges (<see cref="ArgosVolume.Seek"/>, stripe granularity) are written
///   with pwrite and the size set with ftruncate, so unstored stripes stay unallocated.
/// One buffer of <see cref="ArgosVolume.StripeDataBytes"/> is reused for every file.
/// </summary>
public static class FileData
{
    /// <summary>Copies <paramref name="sizeBytes"/> bytes of a host file into a pool file; returns the data bytes written (holes excluded).</summary>
    public static long CopyIn(ArgosVolume volume, FileDescriptorHandle fd, string source, InodeId ino, ulong sizeBytes, byte[] buffer)
    {
        var stripe = (long)volume.StripeDataBytes;
        var size = (long)sizeBytes;
        long written = 0;
        long offset = 0;
        var sparse = true;
        while (offset < size)
        {
            long dataStart, holeStart;
            if (sparse)
            {
                try
                {
                    dataStart = LibC.SeekDataOrHole(fd, offset, LibC.SEEK_DATA, source);
                    if (dataStart < 0 || dataStart >= size) break;
                    holeStart = LibC.SeekDataOrHole(fd, dataStart, LibC.SEEK_HOLE, source);
                    holeStart = holeStart < 0 ? size : Math.Min(holeStart, size);
                }
                catch (SystemCallException e) when (e.Errno is Errno.EINVAL or Errno.EOPNOTSUPP or Errno.ESPIPE)
                {
                    // The file system cannot tell: copy everything.
                    sparse = false;
                    continue;
                }
                catch (SystemCallException e)
                {
                    throw new SourceReadException(source, e);
                }
            }
            else
            {
                dataStart = offset;
                holeStart = size;
            }
            var pos = dataStart;
            while (pos < holeStart)
            {
                var stripeEnd = (pos / stripe + 1) * stripe;
                var take = (int)(Math.Min(holeStart, stripeEnd) - pos);
                var span = buffer.AsSpan(0, take);
                var got = 0;
                while (got < take)
                {
                    int n;
                    try
                    {
                        n = LibC.PRead(fd, span[got..], pos + got, source);
                    }
                    catch (SystemCallException e)
                    {
                        throw new SourceReadException(source, e);
                    }
                    if (n == 0)
                    {
                        throw new SourceReadException(source, new IOException($"the file shrank while it was being read (expected {size} bytes); copy it again once nothing writes it"));
                    }
                    got += n;
                }
                volume.Write(ino, (ulong)pos, span, Credentials.Root);
                pos += take;
                written += take;
            }
            offset = holeStart;
        }
        if (volume.GetAttr(ino).Size != sizeBytes)
        {
            volume.Truncate(ino, sizeBytes, Credentials.Root);
        }
        return written;
    }

    /// <summary>Copies a pool file into a host file opened for writing (empty); returns the data bytes written.</summary>
    public static long CopyOut(IFileTree volume, InodeId ino, FileDescriptorHandle fd, string destination, byte[] buffer)
    {
        var size = volume.GetAttr(ino).Size;
        long written = 0;
        ulong offset = 0;
        while (offset < size)
        {
            ulong dataStart;
            try
            {
                dataStart = volume.Seek(ino, offset, data: true);
            }
            catch (VolumeException e) when (e.Errno == Errno.ENXIO)
            {
                break;
            }
            var holeStart = Math.Min(volume.Seek(ino, dataStart, data: false), size);
            for (var pos = dataStart; pos < holeStart;)
            {
                var take = (int)Math.Min((ulong)buffer.Length, holeStart - pos);
                var n = volume.Read(ino, pos, buffer.AsSpan(0, take));
                if (n <= 0) break;
                LibC.PWriteExact(fd, buffer.AsSpan(0, n), (long)pos, destination);
                pos += (ulong)n;
                written += n;
            }
            offset = holeStart;
        }
        LibC.FTruncate(fd, (long)size, destination);
        return written;
    }

    /// <summary>Streams a pool file to a stream (stdout, pipes), holes as zeros.</summary>
    public static long CopyToStream(IFileTree volume, InodeId ino, Stream output, byte[] buffer)
    {
        var size = volume.GetAttr(ino).Size;
        ulong pos = 0;
        while (pos < size)
        {
            var take = (int)Math.Min((ulong)buffer.Length, size - pos);
            var n = volume.Read(ino, pos, buffer.AsSpan(0, take));
            if (n <= 0) break;
            output.Write(buffer, 0, n);
            pos += (ulong)n;
        }
        output.Flush();
        return (long)pos;
    }
}
