using System.Buffers.Binary;

namespace Argos.Format.Pool;

/// <summary>
/// A bounds-checked little-endian reader over untrusted bytes. Every TryRead returns false instead of
/// throwing when the input is short; callers turn false into a typed "invalid: reason" result.
/// </summary>
public ref struct SpanCursor
{
    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    public SpanCursor(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    public readonly int Position => _position;
    public readonly int Remaining => _data.Length - _position;

    public bool TrySeek(int position)
    {
        if ((uint)position > (uint)_data.Length)
        {
            return false;
        }
        _position = position;
        return true;
    }

    public bool TrySkip(int count)
    {
        if (count < 0 || count > Remaining)
        {
            return false;
        }
        _position += count;
        return true;
    }

    public bool TryReadU8(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }
        value = _data[_position++];
        return true;
    }

    public bool TryReadU16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt16LittleEndian(_data[_position..]);
        _position += 2;
        return true;
    }

    public bool TryReadU32(out uint value)
    {
        if (Remaining < 4)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
        _position += 4;
        return true;
    }

    public bool TryReadU64(out ulong value)
    {
        if (Remaining < 8)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt64LittleEndian(_data[_position..]);
        _position += 8;
        return true;
    }

    public bool TryReadI64(out long value)
    {
        bool ok = TryReadU64(out ulong v);
        value = (long)v;
        return ok;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || Remaining < count)
        {
            value = default;
            return false;
        }
        value = _data.Slice(_position, count);
        _position += count;
        return true;
    }

    /// <summary>A 16-byte UUID stored as RFC 4122 big-endian bytes.</summary>
    public bool TryReadUuid(out Guid value)
    {
        if (!TryReadBytes(16, out ReadOnlySpan<byte> b))
        {
            value = Guid.Empty;
            return false;
        }
        value = new Guid(b, bigEndian: true);
        return true;
    }

    /// <summary>A u8-length-prefixed UTF-8 string in a fixed field of 1 + capacity bytes.</summary>
    public bool TryReadFixedString(int capacity, out string value)
    {
        value = "";
        if (!TryReadU8(out byte len) || !TryReadBytes(capacity, out ReadOnlySpan<byte> field) || len > capacity)
        {
            return false;
        }
        try
        {
            value = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(field[..len]);
            return true;
        }
        catch (System.Text.DecoderFallbackException)
        {
            return false;
        }
    }
}

/// <summary>Field writers matching <see cref="SpanCursor"/>; the caller owns the bounds (structures are fixed-size).</summary>
public static class FieldWriter
{
    public static void WriteUuid(Span<byte> destination, Guid value)
    {
        if (!value.TryWriteBytes(destination[..16], bigEndian: true, out _))
        {
            throw new ArgumentException("destination too short for a UUID", nameof(destination));
        }
    }

    /// <summary>Writes a u8 length + UTF-8 bytes into a field of 1 + capacity bytes (rest zeroed).</summary>
    public static void WriteFixedString(Span<byte> destination, int capacity, string value, string what)
    {
        Span<byte> field = destination.Slice(1, capacity);
        field.Clear();
        int byteCount = System.Text.Encoding.UTF8.GetByteCount(value);
        if (byteCount > capacity)
        {
            throw new ArgumentException($"{what} is {byteCount} bytes of UTF-8; the limit is {capacity} bytes — choose a shorter {what}");
        }
        System.Text.Encoding.UTF8.GetBytes(value, field);
        destination[0] = (byte)byteCount;
    }
}
