using System.Buffers.Binary;

namespace Argos.Metadata.Namespace.Encoding;

/// <summary>Bounds-checked little-endian cursor over untrusted record bytes: every read can fail, none can throw.</summary>
internal ref struct RecordReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    public RecordReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Remaining => _buffer.Length - _position;

    public bool TryReadU8(out byte value)
    {
        if (Remaining < 1)
        {
            value = 0;
            return false;
        }
        value = _buffer[_position++];
        return true;
    }

    public bool TryReadU16(out ushort value)
    {
        if (Remaining < 2)
        {
            value = 0;
            return false;
        }
        value = BinaryPrimitives.ReadUInt16LittleEndian(_buffer.Slice(_position));
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
        value = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.Slice(_position));
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
        value = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.Slice(_position));
        _position += 8;
        return true;
    }

    public bool TryReadI64(out long value)
    {
        bool ok = TryReadU64(out ulong v);
        value = (long)v;
        return ok;
    }

    public bool TryReadTimespec(out Timespec value)
    {
        if (TryReadI64(out long sec) && TryReadU32(out uint nsec))
        {
            value = new Timespec(sec, nsec);
            return true;
        }
        value = default;
        return false;
    }

    public bool TryReadBytes(int count, out ReadOnlySpan<byte> value)
    {
        if (count < 0 || Remaining < count)
        {
            value = default;
            return false;
        }
        value = _buffer.Slice(_position, count);
        _position += count;
        return true;
    }
}

/// <summary>Little-endian writer over a span sized by the caller from the layout's length function.</summary>
internal ref struct RecordWriter
{
    private readonly Span<byte> _buffer;
    private int _position;

    public RecordWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    public readonly int Position => _position;

    public void U8(byte v) => _buffer[_position++] = v;

    public void U16(ushort v)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(_buffer.Slice(_position), v);
        _position += 2;
    }

    public void U32(uint v)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.Slice(_position), v);
        _position += 4;
    }

    public void U64(ulong v)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.Slice(_position), v);
        _position += 8;
    }

    public void I64(long v) => U64((ulong)v);

    public void Time(Timespec t)
    {
        I64(t.Seconds);
        U32(t.Nanoseconds);
    }

    public void Bytes(scoped ReadOnlySpan<byte> v)
    {
        v.CopyTo(_buffer.Slice(_position));
        _position += v.Length;
    }
}
