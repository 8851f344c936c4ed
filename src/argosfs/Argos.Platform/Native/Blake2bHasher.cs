using System.Runtime.InteropServices;

namespace Argos.Platform.Native;

/// <summary>
/// Incremental BLAKE2b (crypto_generichash_init/update/final). The state lives in native memory
/// aligned to 64 bytes, as libsodium's <c>crypto_generichash_blake2b_state</c> is declared
/// <c>CRYPTO_ALIGN(64)</c>; a managed buffer could be moved by the GC and lose that alignment.
/// Reuse one hasher with <see cref="Reset"/>: no allocation per message. Not thread-safe.
/// </summary>
public sealed unsafe class Blake2bHasher : IDisposable
{
    private const int StateAlignment = 64;

    private readonly int _outputLength;
    private readonly byte[]? _key;
    private readonly nuint _stateBytes;
    private byte* _state;
    private bool _finalized;

    public Blake2bHasher(int outputLength = Sodium.Blake2bBytes, ReadOnlySpan<byte> key = default)
    {
        Sodium.EnsureInitialized();
        Sodium.CheckBlake2bArguments(outputLength, key.Length);
        _outputLength = outputLength;
        _key = key.IsEmpty ? null : key.ToArray();
        _stateBytes = Sodium.crypto_generichash_statebytes();
        _state = (byte*)NativeMemory.AlignedAlloc(_stateBytes, StateAlignment);
        Reset();
    }

    public int OutputLength => _outputLength;

    /// <summary>Starts a new message (same output length and key).</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_state == null, this);
        int rc;
        fixed (byte* k = _key)
        {
            rc = Sodium.crypto_generichash_init(_state, k, (nuint)(_key?.Length ?? 0), (nuint)_outputLength);
        }

        if (rc != 0)
        {
            Sodium.ThrowError("crypto_generichash_init", $"failed (rc {rc})");
        }

        _finalized = false;
    }

    public void Update(ReadOnlySpan<byte> data)
    {
        ThrowIfUnusable();
        fixed (byte* d = data)
        {
            _ = Sodium.crypto_generichash_update(_state, d, (ulong)data.Length);
        }
    }

    /// <summary>Writes the digest (<see cref="OutputLength"/> bytes); call <see cref="Reset"/> before reuse.</summary>
    public void Final(Span<byte> digest)
    {
        ThrowIfUnusable();
        if (digest.Length < _outputLength)
        {
            throw new ArgumentException($"digest needs {_outputLength} bytes, got {digest.Length}", nameof(digest));
        }

        int rc;
        fixed (byte* o = digest)
        {
            rc = Sodium.crypto_generichash_final(_state, o, (nuint)_outputLength);
        }

        _finalized = true;
        if (rc != 0)
        {
            Sodium.ThrowError("crypto_generichash_final", $"failed (rc {rc})");
        }
    }

    public void Dispose()
    {
        if (_state != null)
        {
            Sodium.sodium_memzero(_state, _stateBytes);
            NativeMemory.AlignedFree(_state);
            _state = null;
        }

        if (_key is not null)
        {
            Sodium.Zero(_key);
        }

        GC.SuppressFinalize(this);
    }

    ~Blake2bHasher()
    {
        if (_state != null)
        {
            NativeMemory.AlignedFree(_state);
            _state = null;
        }
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_state == null, this);
        if (_finalized)
        {
            throw new InvalidOperationException("BLAKE2b hasher already finalized; call Reset() before hashing another message");
        }
    }
}
