namespace Argos.Metadata.Namespace;

/// <summary>
/// The extended attributes of one inode, sorted by name bytes (so listxattr order is stable and the
/// same after replay). Names and values are never mutated in place, so readers may hand them out.
/// </summary>
internal sealed class XattrSet
{
    private byte[][] _names = new byte[2][];
    private byte[][] _values = new byte[2][];
    private int _count;

    public int Count => _count;

    public byte[] NameAt(int i) => _names[i];

    public byte[] ValueAt(int i) => _values[i];

    /// <summary>Index of the name, or the bitwise complement of its insertion point.</summary>
    public int IndexOf(ReadOnlySpan<byte> name)
    {
        int lo = 0;
        int hi = _count - 1;
        while (lo <= hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            int c = _names[mid].AsSpan().SequenceCompareTo(name);
            if (c == 0)
            {
                return mid;
            }
            if (c < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return ~lo;
    }

    public void Set(byte[] name, byte[] value)
    {
        int i = IndexOf(name);
        if (i >= 0)
        {
            _values[i] = value;
            return;
        }
        i = ~i;
        if (_count == _names.Length)
        {
            Array.Resize(ref _names, _count * 2);
            Array.Resize(ref _values, _count * 2);
        }
        Array.Copy(_names, i, _names, i + 1, _count - i);
        Array.Copy(_values, i, _values, i + 1, _count - i);
        _names[i] = name;
        _values[i] = value;
        _count++;
    }

    public void RemoveAt(int i)
    {
        _count--;
        Array.Copy(_names, i + 1, _names, i, _count - i);
        Array.Copy(_values, i + 1, _values, i, _count - i);
        _names[_count] = null!;
        _values[_count] = null!;
    }
}
