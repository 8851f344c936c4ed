// Encryption at run time: turning it on, re-encrypting what was written before, and reporting.
//
//   enable      new Argon2id parameters (random salt) → derive the key ONCE → key check → the PoolConfig
//               record with Encrypted = 1 commits durably → the volume switches Settings and cipher.
//               From then on every new stripe is sealed (XChaCha20-Poly1305) and no file stays inline.
//               Existing stripes stay readable: each record's Encrypted flag says how to decode it.
//   reencrypt   stripe by stripe, in batches: decode the plaintext stripe → StoreStripe (sealed, new
//               extents) → record swap + AllocOps.Allocated(new) → batch durable → overwrite the old
//               plaintext extents with zeros (still allocated, so nobody can have reused them) →
//               flush → AllocOps.Freed(old). A crash between the last two steps leaks the old
//               extents (fsck --repair frees them); it never loses data. Inline files move into a
//               sealed stripe 0 the same way.
//   not covered metadata (names, sizes, xattrs, symlink targets) is plaintext by design; file data
//               freed before encryption was enabled and superseded journal/checkpoint copies of old
//               inline data stay on the members until overwritten.
using Argos.DataPath.Codecs;
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Log;
using Argos.Metadata.Namespace;
using Argos.Metadata.Namespace.Encoding;
using Argos.Metadata.Records;
using Argos.Platform;

namespace Argos.Volume;

/// <summary>What <see cref="ArgosVolume.GetEncryptionStatus"/> reports.</summary>
public sealed record EncryptionStatus(
    bool Enabled, bool HasKey, uint OpsLimit, ulong MemLimitBytes, long EncryptedStripes, long PlaintextStripes, long InlineFiles);

/// <summary>What <see cref="ArgosVolume.Reencrypt"/> did.</summary>
public sealed record ReencryptReport(long StripesRewritten, long InlineFilesMoved, long BytesRewritten, long ExtentsWiped);

public sealed partial class ArgosVolume
{
    private const int ReencryptBatchStripes = 64;
    private static long s_keyDerivations;

    /// <summary>Argon2id derivations this process ran for pools (opens and enable-encryption): one per open.</summary>
    public static long KeyDerivations => Interlocked.Read(ref s_keyDerivations);

    /// <summary>Resolves the passphrase, derives the key (once) and checks it against the pool's key check.</summary>
    private StripeCipher UnlockCipher(in KdfParameters kdf, ReadOnlySpan<byte> poolId, string? keyFile)
    {
        var cipher = StripeCipher.Unlock(kdf, Settings.KeyCheck, poolId, keyFile);
        Interlocked.Increment(ref s_keyDerivations);
        return cipher;
    }

    /// <summary>
    /// Turns encryption on: new KDF parameters, the key derived once from <paramref name="passphrase"/>,
    /// the key check, committed durably; new stripes are sealed from now on.
    /// </summary>
    public void EnableEncryption(ReadOnlySpan<byte> passphrase, uint opsLimit = KdfParameters.DefaultOpsLimit, ulong memLimitBytes = KdfParameters.DefaultMemLimitBytes)
    {
        ThrowIfReadOnly("enable encryption");
        if (Settings.Encrypted)
        {
            throw new VolumeException(Errno.EEXIST,
                "the pool is already encrypted (it cannot be re-keyed or turned off); use 'enable-encryption --reencrypt' to seal stripes still in plaintext");
        }
        KdfParameters kdf;
        try
        {
            kdf = KdfParameters.CreateNew(opsLimit, memLimitBytes);
        }
        catch (ArgumentException e)
        {
            throw new VolumeException(Errno.EINVAL, "encryption parameters: " + e.Message);
        }
        var cipher = StripeCipher.Derive(passphrase, kdf);
        Interlocked.Increment(ref s_keyDerivations);
        try
        {
            Span<byte> pool = stackalloc byte[16];
            PoolUuid.TryWriteBytes(pool);
            var kdfBytes = new byte[KdfParameters.Size];
            kdf.Write(kdfBytes);
            var keyCheck = new byte[StripeCipher.KeyCheckBytes];
            cipher.WriteKeyCheck(pool, kdf, keyCheck);
            var settings = Settings with { Encrypted = true, Kdf = kdfBytes, KeyCheck = keyCheck };
            Sync(); // data buffered before this point is written under the old settings
            Mutate(tx => _ns.PutRecord(tx, RecordKind.PoolConfig, [], settings.Encode()), durable: true);
            SwitchSettings(settings, cipher);
        }
        catch
        {
            cipher.Dispose();
            throw;
        }
    }

    /// <summary>Installs committed pool settings (and the cipher that goes with them) in the running volume.</summary>
    internal void SwitchSettings(PoolSettings settings, StripeCipher? cipher)
    {
        var old = _cipher;
        Settings = settings;
        _cipher = cipher;
        if (old is not null && !ReferenceEquals(old, cipher)) old.Dispose();
    }

    /// <summary>Encryption state and how much data is sealed (walks the metadata; reads no shard).</summary>
    public EncryptionStatus GetEncryptionStatus()
    {
        long encrypted = 0, plaintext = 0, inline = 0;
        lock (_commitGate)
        {
            foreach (var op in _ns.EnumerateAll())
            {
                if (op.Kind == RecordKind.Stripe && StripeRecordCodec.TryDecodeValue(op.Value!.Value.Span, out var stripe, out _))
                {
                    if (stripe.Encrypted) encrypted++;
                    else plaintext++;
                }
                else if (op.Kind == RecordKind.Inode && InodeRecordCodec.TryDecodeKey(op.Key.Span, out var ino) &&
                         InodeRecordCodec.TryDecodeValue(ino, op.Value!.Value.Span, out var inode, out _) &&
                         PosixMode.IsRegular(inode.Attributes.Mode) && inode.Data.Length > 0)
                {
                    inline++;
                }
            }
        }
        uint ops = 0;
        ulong mem = 0;
        if (Settings.Encrypted && KdfParameters.TryRead(Settings.Kdf, out var kdf, out _))
        {
            ops = kdf.OpsLimit;
            mem = kdf.MemLimitBytes;
        }
        return new EncryptionStatus(Settings.Encrypted, HasKey, ops, mem, encrypted, plaintext, inline);
    }

    /// <summary>
    /// Seals every stripe still in plaintext and moves inline file data into sealed stripes, one stripe
    /// in memory at a time (see the top of this file for the crash-safe order). Needs the key.
    /// </summary>
    public ReencryptReport Reencrypt(Action<long, long>? progress = null)
    {
        ThrowIfReadOnly("re-encrypt");
        if (!Settings.Encrypted)
        {
            throw new VolumeException(Errno.EINVAL, "encryption is not enabled on this pool; run 'argosfs enable-encryption' first");
        }
        if (_cipher is null)
        {
            throw new EncryptionKeyException(KeyProblem.Missing, KeySource.MissingKeyMessage);
        }
        Sync();
        var stripes = new List<(InodeId Ino, ulong Index)>();
        var inlineFiles = new List<InodeId>();
        lock (_commitGate)
        {
            foreach (var op in _ns.EnumerateAll())
            {
                if (op.Kind == RecordKind.Stripe && StripeRecordCodec.TryDecodeKey(op.Key.Span, out var sino, out var sindex) &&
                    StripeRecordCodec.TryDecodeValue(op.Value!.Value.Span, out var stripe, out _) && !stripe.Encrypted)
                {
                    stripes.Add((sino, sindex.Value));
                }
                else if (op.Kind == RecordKind.Inode && InodeRecordCodec.TryDecodeKey(op.Key.Span, out var ino) &&
                         InodeRecordCodec.TryDecodeValue(ino, op.Value!.Value.Span, out var inode, out _) &&
                         PosixMode.IsRegular(inode.Attributes.Mode) && inode.Data.Length > 0)
                {
                    inlineFiles.Add(ino);
                }
            }
        }
        long total = stripes.Count + inlineFiles.Count, done = 0, rewritten = 0, moved = 0, bytes = 0, wiped = 0;
        var retired = new List<Extent>();
        for (var i = 0; i < stripes.Count; i++)
        {
            var (ino, index) = stripes[i];
            if (_ns.TryGetStripe(ino, new StripeIndex(index), out var old) && !old.Encrypted)
            {
                using var raw = new StripeLease(DecodeStripe(ino, index, old, out _));
                var sealedRecord = StoreStripe(ino, index, raw.Span);
                if (SwapStripe(ino, index, old, sealedRecord))
                {
                    retired.AddRange(ExtentsOf(old));
                    rewritten++;
                    bytes += raw.Length;
                }
            }
            progress?.Invoke(++done, total);
            if (retired.Count >= ReencryptBatchStripes * (K + M))
            {
                wiped += RetireExtents(retired);
            }
        }
        foreach (var ino in inlineFiles)
        {
            var data = _ns.GetInlineData(ino);
            if (data.Length > 0 && !_ns.TryGetStripe(ino, new StripeIndex(0), out _))
            {
                var sealedRecord = StoreStripe(ino, 0, data.Span);
                var ops = new List<RecordOp>();
                AddAllocOps(ops, sealedRecord);
                var ok = false;
                lock (_commitGate)
                {
                    if (_ns.GetInlineData(ino).Span.SequenceEqual(data.Span) && !_ns.TryGetStripe(ino, new StripeIndex(0), out _))
                    {
                        Mutate(tx =>
                        {
                            _ns.PutStripe(tx, ino, new StripeIndex(0), sealedRecord);
                            _ns.SetInlineData(tx, ino, []);
                        }, extraOps: ops);
                        ok = true;
                    }
                }
                if (ok)
                {
                    moved++;
                    bytes += data.Length;
                    _stripeCache.Forget(ino);
                }
                else
                {
                    foreach (var e in ExtentsOf(sealedRecord)) _log.Allocator.Release(e);
                }
            }
            progress?.Invoke(++done, total);
        }
        wiped += RetireExtents(retired);
        Sync();
        return new ReencryptReport(rewritten, moved, bytes, wiped);
    }

    /// <summary>Commits a sealed replacement for a stripe unless the stripe changed meanwhile (then the new extents are released).</summary>
    private bool SwapStripe(InodeId ino, ulong index, StripeRecord old, StripeRecord replacement)
    {
        lock (_commitGate)
        {
            if (_ns.TryGetStripe(ino, new StripeIndex(index), out var current) && current.Equals(old))
            {
                var ops = new List<RecordOp>();
                AddAllocOps(ops, replacement);
                Mutate(tx => _ns.PutStripe(tx, ino, new StripeIndex(index), replacement), extraOps: ops);
                _stripeCache.Forget(ino, index);
                return true;
            }
        }
        foreach (var e in ExtentsOf(replacement)) _log.Allocator.Release(e);
        return false;
    }

    /// <summary>
    /// Old plaintext extents whose records were swapped: make the swaps durable, overwrite the extents
    /// with zeros (they are still allocated), flush, then free them in one transaction.
    /// </summary>
    private long RetireExtents(List<Extent> retired)
    {
        // A snapshot still reads the plaintext of pinned extents: they are neither zeroed nor freed
        // here (deleting the snapshot frees them).
        retired.RemoveAll(_ns.IsPinned);
        if (retired.Count == 0) return 0;
        lock (_commitGate)
        {
            FlushLogLocked();
        }
        var zeros = new byte[256 * 1024];
        var members = new HashSet<MemberIndex>();
        foreach (var e in retired)
        {
            if (!_log.IsPresent(e.Member)) continue; // a missing member's bytes are out of reach
            for (long at = 0; at < e.LengthBytes; at += zeros.Length)
            {
                var n = (int)Math.Min(zeros.Length, e.LengthBytes - at);
                _log.WriteAt(e.Member, e.OffsetBytes + at, zeros.AsSpan(0, n));
            }
            members.Add(e.Member);
        }
        if (members.Count > 0) _log.FlushData(members.ToList());
        var ops = retired.Select(AllocOps.Freed).ToList();
        Mutate(_ => { }, durable: true, extraOps: ops);
        var count = retired.Count;
        retired.Clear();
        return count;
    }
}
