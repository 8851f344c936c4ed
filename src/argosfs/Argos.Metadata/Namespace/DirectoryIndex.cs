using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Argos.Metadata.Namespace;

/// <summary>
/// The entries of one directory: a name → slot hash index, and the slots in cookie order.
/// Cookies grow monotonically per directory, so an insert is an append; a removal leaves a
/// tombstone that keeps its cookie, so the slot array stays sorted and readdir resumes after any
/// cookie by binary search (O(log n)), whatever was added or removed since. Tombstones are
/// compacted once they outnumber live entries (amortised O(1) per removal).
/// Only replay or rollback can append an older cookie; that marks the index unsorted until
/// <see cref="Sort"/> (the namespace sorts before the next readdir).
/// Readers may call the query members concurrently; mutators run under the namespace write lock.
/// </summary>
internal sealed class DirectoryIndex
{
    internal struct Slot
    {
        public byte[]? Name; // null = tombstone
        public ulong Child;
        public ulong Cookie;
        public byte Type;
    }

    private const int MinTombstonesToCompact = 16;

    private readonly Dictionary<byte[], int> _byName;
    private readonly Dictionary<byte[], int>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private Slot[] _slots = new Slot[2];
    private int _used;
    private int _live;

    public DirectoryIndex()
    {
        _byName = new Dictionary<byte[], int>(NameComparer.Instance);
        _lookup = _byName.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    public int Count => _live;
    public int Used => _used;
    public bool IsSorted { get; private set; } = true;

    public bool TryFind(ReadOnlySpan<byte> name, out int slot) => _lookup.TryGetValue(name, out slot);

    public ref readonly Slot At(int slot) => ref _slots[slot];

    public void Add(byte[] name, ulong child, byte type, ulong cookie)
    {
        if (_used == _slots.Length)
        {
            Array.Resize(ref _slots, Math.Max(4, _slots.Length * 2));
        }
        if (_used > 0 && cookie <= _slots[_used - 1].Cookie)
        {
            IsSorted = false;
        }
        _slots[_used] = new Slot { Name = name, Child = child, Cookie = cookie, Type = type };
        _byName.Add(name, _used);
        _used++;
        _live++;
    }

    public void Update(int slot, ulong child, byte type)
    {
        _slots[slot].Child = child;
        _slots[slot].Type = type;
    }

    public void RemoveAt(int slot)
    {
        byte[] name = _slots[slot].Name!;
        _byName.Remove(name);
        _slots[slot].Name = null;
        _live--;
        int dead = _used - _live;
        if (dead >= MinTombstonesToCompact && dead > _live)
        {
            Compact();
        }
    }

    /// <summary>The first slot whose cookie is greater than <paramref name="cookie"/> (requires <see cref="IsSorted"/>).</summary>
    public int FirstAfter(ulong cookie)
    {
        int lo = 0;
        int hi = _used;
        while (lo < hi)
        {
            int mid = (int)((uint)(lo + hi) >> 1);
            if (_slots[mid].Cookie <= cookie)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>Restores cookie order after out-of-order appends (replay of a checkpoint, rollback).</summary>
    public void Sort()
    {
        if (IsSorted)
        {
            return;
        }
        Compact();
        Array.Sort(_slots, 0, _used, SlotCookieComparer.Instance);
        Reindex();
        IsSorted = true;
    }

    /// <summary>Every live slot in slot order (cookie order once sorted).</summary>
    public IEnumerable<Slot> LiveSlots()
    {
        for (int i = 0; i < _used; i++)
        {
            if (_slots[i].Name is not null)
            {
                yield return _slots[i];
            }
        }
    }

    private void Compact()
    {
        int w = 0;
        for (int r = 0; r < _used; r++)
        {
            if (_slots[r].Name is not null)
            {
                _slots[w++] = _slots[r];
            }
        }
        Array.Clear(_slots, w, _used - w);
        _used = w;
        if (_slots.Length > 16 && _slots.Length > 4 * _used)
        {
            Array.Resize(ref _slots, Math.Max(4, _used * 2));
        }
        Reindex();
    }

    private void Reindex()
    {
        for (int i = 0; i < _used; i++)
        {
            ref int index = ref CollectionsMarshal.GetValueRefOrNullRef(_byName, _slots[i].Name!);
            index = i;
        }
    }

    private sealed class SlotCookieComparer : IComparer<Slot>
    {
        public static readonly SlotCookieComparer Instance = new();

        public int Compare(Slot x, Slot y) => x.Cookie.CompareTo(y.Cookie);
    }
}
