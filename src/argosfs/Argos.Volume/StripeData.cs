using System.Buffers;

namespace Argos.Volume;

/// <summary>
/// Decoded bytes of one stripe in a pooled array, shared by the stripe cache and the readers copying
/// from it. Reference counted: the producer holds one reference, the cache one while it keeps the
/// stripe, each reader one for the length of its copy (a <see cref="StripeLease"/>). The array goes
/// back to the pool when the count reaches zero, and a count of zero is final: <see cref="TryRetain"/>
/// refuses it, so nobody can take a reference to an array that may already serve another stripe.
/// Pooling is what keeps a streaming read from touching fresh pages for every stripe it decodes.
/// </summary>
internal sealed class StripeData
{
    private byte[]? _array;
    private int _references = 1;

    public StripeData(byte[] pooledArray, int length)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, pooledArray.Length);
        _array = pooledArray;
        Length = length;
    }

    public int Length { get; }

    /// <summary>The bytes the stripe occupies in memory (the pooled array), for the cache's budget.</summary>
    public int Footprint => _array?.Length ?? 0;

    public ReadOnlySpan<byte> Span =>
        (_array ?? throw new ObjectDisposedException(nameof(StripeData), "stripe data used after its last reference was released")).AsSpan(0, Length);

    public bool TryRetain()
    {
        while (true)
        {
            var current = Volatile.Read(ref _references);
            if (current == 0) return false;
            if (Interlocked.CompareExchange(ref _references, current + 1, current) == current) return true;
        }
    }

    public void Release()
    {
        var left = Interlocked.Decrement(ref _references);
        if (left == 0)
        {
            var array = Interlocked.Exchange(ref _array, null);
            if (array is not null) ArrayPool<byte>.Shared.Return(array);
        }
        else if (left < 0)
        {
            throw new InvalidOperationException("stripe data released more often than retained");
        }
    }
}

/// <summary>One reference to a decoded stripe, held while its bytes are copied out; dispose it after.</summary>
internal readonly struct StripeLease(StripeData data) : IDisposable
{
    public ReadOnlySpan<byte> Span => data.Span;

    public int Length => data.Length;

    public void Dispose() => data.Release();
}
