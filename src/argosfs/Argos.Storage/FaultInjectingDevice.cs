namespace Argos.Storage;

/// <summary>
/// A test backend that wraps another member and injects faults: read or write errors over a byte range,
/// torn writes (only a prefix of a write lands, then an error), and bit flips on read. Settings may be
/// changed while the device is in use.
/// </summary>
public sealed class FaultInjectingDevice : IMemberDevice
{
    private readonly IMemberDevice _inner;
    private readonly object _gate = new();

    public FaultInjectingDevice(IMemberDevice inner)
    {
        _inner = inner;
    }

    /// <summary>Reads touching this range fail with an I/O error.</summary>
    public (long Offset, long Length)? FailReads { get; set; }
    /// <summary>Writes touching this range fail with an I/O error (nothing is written).</summary>
    public (long Offset, long Length)? FailWrites { get; set; }
    /// <summary>The next write lands only its first N bytes, then fails (a torn write).</summary>
    public int? TearNextWriteAfterBytes { get; set; }
    /// <summary>Reads covering this byte offset return it with bit 0 flipped.</summary>
    public long? FlipBitOnReadAt { get; set; }
    /// <summary>Every flush fails.</summary>
    public bool FailFlush { get; set; }

    public long BytesWritten { get; private set; }
    public int WriteCount { get; private set; }
    public int FlushCount { get; private set; }

    public string Path => _inner.Path;
    public long CapacityBytes => _inner.CapacityBytes;
    public bool IsBlockDevice => _inner.IsBlockDevice;
    public bool IsReadOnly => _inner.IsReadOnly;

    public void ReadAt(long offsetBytes, Span<byte> buffer)
    {
        if (FailReads is { } r && Touches(r, offsetBytes, buffer.Length))
        {
            throw new IOException($"injected read error on {Path} @{offsetBytes}");
        }
        _inner.ReadAt(offsetBytes, buffer);
        if (FlipBitOnReadAt is long flip && flip >= offsetBytes && flip < offsetBytes + buffer.Length)
        {
            buffer[(int)(flip - offsetBytes)] ^= 1;
        }
    }

    public void WriteAt(long offsetBytes, ReadOnlySpan<byte> buffer)
    {
        if (FailWrites is { } w && Touches(w, offsetBytes, buffer.Length))
        {
            throw new IOException($"injected write error on {Path} @{offsetBytes}");
        }
        int? tear;
        lock (_gate)
        {
            tear = TearNextWriteAfterBytes;
            TearNextWriteAfterBytes = null;
            BytesWritten += buffer.Length;
            WriteCount++;
        }
        if (tear is int n)
        {
            _inner.WriteAt(offsetBytes, buffer[..Math.Min(n, buffer.Length)]);
            throw new IOException($"injected torn write on {Path} @{offsetBytes} after {n} bytes");
        }
        _inner.WriteAt(offsetBytes, buffer);
    }

    public void Flush()
    {
        if (FailFlush)
        {
            throw new IOException($"injected flush error on {Path}");
        }
        lock (_gate)
        {
            FlushCount++;
        }
        _inner.Flush();
    }

    public void Discard(long offsetBytes, long lengthBytes) => _inner.Discard(offsetBytes, lengthBytes);

    public void ResetCounters()
    {
        lock (_gate)
        {
            BytesWritten = 0;
            WriteCount = 0;
            FlushCount = 0;
        }
    }

    private static bool Touches((long Offset, long Length) range, long offset, long length)
        => offset < range.Offset + range.Length && range.Offset < offset + length;

    public void Dispose() => _inner.Dispose();
}
