using System.Runtime.InteropServices;

namespace Argos.Platform.Native;

/// <summary>
/// Secret bytes (a passphrase, a derived key) in native memory: never moved or copied by the GC,
/// locked against swapping when RLIMIT_MEMLOCK allows (best effort: initramfs and containers may
/// refuse), and zeroed with sodium_memzero when released.
/// </summary>
/// <remarks>
/// It is a SafeHandle so users can bracket each use with DangerousAddRef/DangerousRelease (see
/// <see cref="Lease"/>): a Dispose racing a stripe encryption waits for the last user instead of
/// freeing the key under it.
/// </remarks>
public sealed unsafe class SecretBuffer : SafeHandle
{
    private readonly int _length;
    private readonly bool _locked;

    public SecretBuffer(int length) : base(IntPtr.Zero, ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Sodium.EnsureInitialized();
        _length = length;
        nuint allocation = (nuint)Math.Max(length, 1);
        byte* p = (byte*)NativeMemory.AllocZeroed(allocation);
        SetHandle((IntPtr)p);
        _locked = Sodium.sodium_mlock(p, allocation) == 0;
    }

    /// <summary>Copies <paramref name="secret"/> into a new buffer (the caller wipes its own copy).</summary>
    public static SecretBuffer CopyOf(ReadOnlySpan<byte> secret)
    {
        var buffer = new SecretBuffer(secret.Length);
        secret.CopyTo(buffer.UnsafeSpan);
        return buffer;
    }

    public int Length => _length;

    /// <summary>Whether mlock succeeded (the bytes cannot reach swap).</summary>
    public bool IsLocked => _locked;

    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>The bytes, for the owner that knows the buffer is alive (prefer <see cref="Lease"/> under concurrency).</summary>
    public Span<byte> UnsafeSpan
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return new Span<byte>((void*)handle, _length);
        }
    }

    /// <summary>Keeps the buffer alive until the returned lease is disposed.</summary>
    public SecretLease Lease()
    {
        bool added = false;
        DangerousAddRef(ref added);
        return new SecretLease(this, new ReadOnlySpan<byte>((void*)handle, _length));
    }

    protected override bool ReleaseHandle()
    {
        byte* p = (byte*)handle;
        nuint allocation = (nuint)Math.Max(_length, 1);
        if (_locked)
        {
            Sodium.sodium_munlock(p, allocation); // zeroes before unlocking
        }
        else
        {
            Sodium.sodium_memzero(p, allocation);
        }

        NativeMemory.Free(p);
        return true;
    }
}

/// <summary>A use of a <see cref="SecretBuffer"/>'s bytes; dispose it (a <c>using</c>) when done.</summary>
public readonly ref struct SecretLease
{
    private readonly SecretBuffer _owner;

    internal SecretLease(SecretBuffer owner, ReadOnlySpan<byte> bytes)
    {
        _owner = owner;
        Bytes = bytes;
    }

    public ReadOnlySpan<byte> Bytes { get; }

    public void Dispose() => _owner?.DangerousRelease();
}
