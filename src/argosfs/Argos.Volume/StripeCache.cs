using Argos.Format;

namespace Argos.Volume;

/// <summary>
/// Decoded stripes kept for reads, least recently used out first, bounded in bytes (of the pooled
/// arrays they occupy). A stripe is keyed by (inode, index) and remembers which stored version it came
/// from (its first shard's location), so a rewritten stripe is never served stale. The cache holds one
/// reference to each <see cref="StripeData"/> it keeps and drops it on eviction; readers get their own.
/// </summary>
internal sealed class StripeCache(long capacityBytes)
{
    private readonly object _gate = new();
    private readonly Dictionary<(ulong Ino, ulong Index), LinkedListNode<Entry>> _map = new();
    private readonly LinkedList<Entry> _lru = new();
    private readonly Dictionary<ulong, HashSet<ulong>> _indicesByInode = new(); // Forget(ino) without a scan of the cache
    private long _bytes;

    private sealed record Entry((ulong Ino, ulong Index) Key, ulong Version, StripeData Data, int Footprint);

    /// <summary>A lease on the cached stripe of this version, when there is one.</summary>
    public bool TryGet(InodeId ino, ulong index, ulong version, out StripeLease lease)
    {
        lock (_gate)
        {
            // Under the gate the cache's own reference keeps the count above zero: the retain succeeds.
            if (_map.TryGetValue((ino.Value, index), out var node) && node.Value.Version == version && node.Value.Data.TryRetain())
            {
                _lru.Remove(node);
                _lru.AddFirst(node);
                lease = new StripeLease(node.Value.Data);
                return true;
            }
        }
        lease = default;
        return false;
    }

    public bool Contains(InodeId ino, ulong index, ulong version)
    {
        lock (_gate)
        {
            return _map.TryGetValue((ino.Value, index), out var node) && node.Value.Version == version;
        }
    }

    /// <summary>Keeps <paramref name="data"/> (taking a reference of its own) unless it is too big for the cache.</summary>
    public void Put(InodeId ino, ulong index, ulong version, StripeData data)
    {
        var footprint = data.Footprint;
        if (footprint > capacityBytes / 4 || !data.TryRetain()) return;
        lock (_gate)
        {
            RemoveLocked((ino.Value, index));
            var node = _lru.AddFirst(new Entry((ino.Value, index), version, data, footprint));
            _map[(ino.Value, index)] = node;
            if (!_indicesByInode.TryGetValue(ino.Value, out var indices))
            {
                _indicesByInode[ino.Value] = indices = new HashSet<ulong>();
            }
            indices.Add(index);
            _bytes += footprint;
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
            if (!_indicesByInode.TryGetValue(ino.Value, out var indices)) return;
            foreach (var index in indices.ToList()) RemoveLocked((ino.Value, index));
        }
    }

    public void Forget(InodeId ino, ulong index)
    {
        lock (_gate) RemoveLocked((ino.Value, index));
    }

    private void RemoveLocked((ulong Ino, ulong Index) key)
    {
        if (_map.Remove(key, out var node))
        {
            if (_indicesByInode.TryGetValue(key.Ino, out var indices) && indices.Remove(key.Index) && indices.Count == 0)
            {
                _indicesByInode.Remove(key.Ino);
            }
            _lru.Remove(node);
            _bytes -= node.Value.Footprint;
            node.Value.Data.Release();
        }
    }
}
