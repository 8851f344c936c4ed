namespace Argos.Erasure;

/// <summary>A set of shard indices 0..255 as a 256-bit mask; the decode-plan cache key is two of these.</summary>
internal struct ShardSet : IEquatable<ShardSet>
{
    private ulong _w0, _w1, _w2, _w3;

    public void Add(int index)
    {
        ulong bit = 1UL << (index & 63);
        switch (index >> 6)
        {
            case 0: _w0 |= bit; break;
            case 1: _w1 |= bit; break;
            case 2: _w2 |= bit; break;
            default: _w3 |= bit; break;
        }
    }

    public readonly bool Contains(int index)
    {
        ulong word = (index >> 6) switch { 0 => _w0, 1 => _w1, 2 => _w2, _ => _w3 };
        return (word & (1UL << (index & 63))) != 0;
    }

    public readonly bool Equals(ShardSet other) =>
        _w0 == other._w0 && _w1 == other._w1 && _w2 == other._w2 && _w3 == other._w3;

    public override readonly bool Equals(object? obj) => obj is ShardSet s && Equals(s);

    public override readonly int GetHashCode() => HashCode.Combine(_w0, _w1, _w2, _w3);
}

/// <summary>Which k survivors feed a reconstruction, and which shards it produces.</summary>
internal readonly record struct ErasurePattern(ShardSet Survivors, ShardSet Outputs);
