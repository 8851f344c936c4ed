using Argos.Format;

namespace Argos.Volume;

/// <summary>
/// Decoded stripes kept for reads, least recently used out first, bounded in bytes. A stripe is keyed
/// by (inode, index) and remembers which stored version it came from (its first shard's location),
/// so a rewritten stripe is never served stale.
/// </summary>
internal sealed class StripeCache(long capacityBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<(ulong Ino, ulong Index), LinkedListNode<Entry>> _map = new();
    private readonly LinkedList<Entry> _lru = new();
    private long _bytes;

    private sealed record Entry((ulong Ino, ulong Index) Key, ulong Version, byte[] Data);

    public bool TryGet(InodeId ino, ulong index, ulong version, out byte[] data)
    {
        lock (_gate)
        {
            if (_map.TryGetValue((ino.Value, index), out var node) && node.Value.Version == version)
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                data = node.Value.Data;
                return true;
            }
        }
        data = [];
        return false;
    }

    public bool Contains(InodeId ino, ulong index, ulong version)
    {
        lock (_gate)
        {
            return _map.TryGetValue((ino.Value, index), out var node) && node.Value.Version == version;
        }
    }

    public void Put(InodeId ino, ulong index, ulong version, byte[] data)
    {
        if (data.Length > capacityBytes / 4) return;
        lock (_gate)
        {
            RemoveLocked((ino.Value, index));
            var node = _lru.AddFirst(new Entry((ino.Value, index), version, data));
            _map[(ino.Value, index)] = node;
            _bytes += data.Length;
            while (_bytes > capacityBytes && _lru.Last is { } last)
            {
                RemoveLocked(last.Value.Key);
            }
        }
    }

    public void Forget(InodeId ino)
    {
        lock (_gate)
        {
            var keys = _map.Keys.Where(k => k.Ino == ino.Value).ToList();
            foreach (var k in keys) RemoveLocked(k);
        }
    }

    public void Forget(InodeId ino, ulong index)
    {
        lock (_gate) RemoveLocked((ino.Value, index));
    }

    private void RemoveLocked((ulong, ulong) key)
    {
        if (_map.Remove(key, out var node))
        {
            _lru.Remove(node);
            _bytes -= node.Value.Data.Length;
        }
    }
}
