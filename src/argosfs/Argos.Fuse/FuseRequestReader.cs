using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Argos.Fuse;

/// <summary>
/// A bounds-checked cursor over the bytes of one request after fuse_in_header. Every read returns false
/// when the remaining input is too short or malformed; the session turns that into an error reply (EINVAL
/// or EIO), never an exception. Structs are read in host byte order (the kernel's own layout).
/// </summary>
public ref struct FuseRequestReader
{
    private ReadOnlySpan<byte> _remaining;

    public FuseRequestReader(ReadOnlySpan<byte> payload)
    {
        _remaining = payload;
    }

    public readonly int Remaining => _remaining.Length;

    public readonly ReadOnlySpan<byte> Rest => _remaining;

    /// <summary>Reads one <typeparamref name="T"/> (its full C size).</summary>
    public bool TryRead<T>(out T value)
        where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (_remaining.Length < size)
        {
            value = default;
            return false;
        }

        value = MemoryMarshal.Read<T>(_remaining);
        _remaining = _remaining[size..];
        return true;
    }

    /// <summary>
    /// Reads the first <paramref name="wireSize"/> bytes of a <typeparamref name="T"/> and zero-fills the rest:
    /// how compat sizes are read (a 16-byte fuse_init_in, an 8-byte fuse_setxattr_in, a 24-byte fuse_write_in).
    /// </summary>
    public bool TryRead<T>(int wireSize, out T value)
        where T : unmanaged
    {
        value = default;
        if (wireSize < 0 || wireSize > Unsafe.SizeOf<T>() || _remaining.Length < wireSize)
        {
            return false;
        }

        _remaining[..wireSize].CopyTo(MemoryMarshal.AsBytes(new Span<T>(ref value)));
        _remaining = _remaining[wireSize..];
        return true;
    }

    /// <summary>Reads a NUL-terminated name; <paramref name="name"/> excludes the NUL. False if there is no NUL.</summary>
    public bool TryReadName(out ReadOnlySpan<byte> name)
    {
        int nul = _remaining.IndexOf((byte)0);
        if (nul < 0)
        {
            name = default;
            return false;
        }

        name = _remaining[..nul];
        _remaining = _remaining[(nul + 1)..];
        return true;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes.</summary>
    public bool TryReadBytes(int count, out ReadOnlySpan<byte> bytes)
    {
        if (count < 0 || _remaining.Length < count)
        {
            bytes = default;
            return false;
        }

        bytes = _remaining[..count];
        _remaining = _remaining[count..];
        return true;
    }

    /// <summary>Reads <paramref name="count"/> consecutive <typeparamref name="T"/> in place (no copy).</summary>
    public bool TryReadArray<T>(uint count, out ReadOnlySpan<T> items)
        where T : unmanaged
    {
        long bytes = (long)count * Unsafe.SizeOf<T>();
        if (bytes > _remaining.Length)
        {
            items = default;
            return false;
        }

        items = MemoryMarshal.Cast<byte, T>(_remaining[..(int)bytes]);
        _remaining = _remaining[(int)bytes..];
        return true;
    }
}
