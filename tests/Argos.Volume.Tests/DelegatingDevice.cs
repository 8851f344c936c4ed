using Argos.Storage;

namespace Argos.Volume.Tests;

/// <summary>A member device that passes everything to another: tests override what they count, delay or fail.</summary>
internal abstract class DelegatingDevice(IMemberDevice inner) : IMemberDevice
{
    public string Path => inner.Path;
    public long CapacityBytes => inner.CapacityBytes;
    public bool IsBlockDevice => inner.IsBlockDevice;
    public bool IsReadOnly => inner.IsReadOnly;
    public virtual void ReadAt(long offsetBytes, Span<byte> buffer) => inner.ReadAt(offsetBytes, buffer);
    public virtual void WriteAt(long offsetBytes, ReadOnlySpan<byte> buffer) => inner.WriteAt(offsetBytes, buffer);
    public virtual void Flush() => inner.Flush();
    public void Discard(long offsetBytes, long lengthBytes) => inner.Discard(offsetBytes, lengthBytes);
    public void Dispose() => inner.Dispose();
}
