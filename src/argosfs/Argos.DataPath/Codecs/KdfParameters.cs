// Argon2id parameters of an encrypted pool, stored so the pool opens with exactly the parameters it was
// created with (defaults may change; old pools keep theirs). Layout, 32 bytes, little-endian:
//
//   off size field
//     0    1 algorithm      2 = Argon2id v1.3 (crypto_pwhash_ALG_ARGON2ID13); nothing else is accepted
//     1    3 reserved       zero
//     4    4 opsLimit       passes over memory, 1..MaxOpsLimit
//     8    8 memLimitBytes  8 KiB..MaxMemLimitBytes
//    16   16 salt           random per pool (crypto_pwhash_SALTBYTES)
//    32                     end
//
// Limits on read bound the work an attacker-edited superblock can demand at open (memory, time).
using System.Buffers.Binary;
using Argos.Platform.Native;

namespace Argos.DataPath.Codecs;

/// <summary>The Argon2id parameters and salt of an encrypted pool.</summary>
public readonly record struct KdfParameters
{
    public const int Size = 32;
    public const byte Argon2Id13 = Sodium.Argon2Id13;
    public const int SaltBytes = Sodium.Argon2SaltBytes;

    public const uint DefaultOpsLimit = 3;
    public const ulong DefaultMemLimitBytes = 64UL << 20;
    public const uint MaxOpsLimit = 64;
    public const ulong MaxMemLimitBytes = 4UL << 30;
    public const ulong MinMemLimitBytes = Sodium.Argon2MemLimitMinBytes;

    private const int AlgorithmOffset = 0;
    private const int ReservedOffset = AlgorithmOffset + 1;
    private const int OpsLimitOffset = ReservedOffset + 3;
    private const int MemLimitOffset = OpsLimitOffset + 4;
    private const int SaltOffset = MemLimitOffset + 8;
    private const int EndOffset = SaltOffset + SaltBytes;

    private readonly byte[] _salt;

    public KdfParameters(uint opsLimit, ulong memLimitBytes, ReadOnlySpan<byte> salt)
    {
        string? problem = Check(opsLimit, memLimitBytes, salt.Length);
        if (problem is not null)
        {
            throw new ArgumentException(problem);
        }

        OpsLimit = opsLimit;
        MemLimitBytes = memLimitBytes;
        _salt = salt.ToArray();
    }

    public uint OpsLimit { get; }
    public ulong MemLimitBytes { get; }
    public ReadOnlySpan<byte> Salt => _salt ?? [];

    /// <summary>Fresh parameters for a new pool: a random salt and the default (or given) costs.</summary>
    public static KdfParameters CreateNew(uint opsLimit = DefaultOpsLimit, ulong memLimitBytes = DefaultMemLimitBytes)
    {
        Span<byte> salt = stackalloc byte[SaltBytes];
        Sodium.RandomBytes(salt);
        return new KdfParameters(opsLimit, memLimitBytes, salt);
    }

    public void Write(Span<byte> destination)
    {
        if (destination.Length < Size)
        {
            throw new ArgumentException($"KDF parameters need {Size} bytes, got {destination.Length}", nameof(destination));
        }

        destination[AlgorithmOffset] = Argon2Id13;
        destination[ReservedOffset..OpsLimitOffset].Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(destination[OpsLimitOffset..], OpsLimit);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[MemLimitOffset..], MemLimitBytes);
        Salt.CopyTo(destination[SaltOffset..EndOffset]);
    }

    /// <summary>Parses stored parameters; on failure <paramref name="error"/> names the bad field.</summary>
    public static bool TryRead(ReadOnlySpan<byte> source, out KdfParameters parameters, out string? error)
    {
        parameters = default;
        if (source.Length < Size)
        {
            error = $"KDF parameters truncated: {source.Length} of {Size} bytes";
            return false;
        }

        if (source[AlgorithmOffset] != Argon2Id13)
        {
            error = $"unknown key-derivation algorithm {source[AlgorithmOffset]} (this argosfs knows Argon2id = {Argon2Id13})";
            return false;
        }

        if (source[ReservedOffset..OpsLimitOffset].ContainsAnyExcept((byte)0))
        {
            error = "KDF parameters: reserved bytes are not zero (corrupt, or written by a newer argosfs)";
            return false;
        }

        uint ops = BinaryPrimitives.ReadUInt32LittleEndian(source[OpsLimitOffset..]);
        ulong mem = BinaryPrimitives.ReadUInt64LittleEndian(source[MemLimitOffset..]);
        error = Check(ops, mem, SaltBytes);
        if (error is not null)
        {
            return false;
        }

        parameters = new KdfParameters(ops, mem, source[SaltOffset..EndOffset]);
        return true;
    }

    public bool Equals(KdfParameters other)
        => OpsLimit == other.OpsLimit && MemLimitBytes == other.MemLimitBytes && Salt.SequenceEqual(other.Salt);

    public override int GetHashCode() => HashCode.Combine(OpsLimit, MemLimitBytes, Salt.Length == SaltBytes ? BinaryPrimitives.ReadInt64LittleEndian(Salt) : 0);

    public override string ToString() => $"argon2id ops={OpsLimit} mem={MemLimitBytes / 1024}KiB";

    private static string? Check(uint ops, ulong mem, int saltLength)
    {
        if (saltLength != SaltBytes)
        {
            return $"Argon2id salt must be {SaltBytes} bytes, got {saltLength}";
        }

        if (ops < 1 || ops > MaxOpsLimit)
        {
            return $"Argon2id opslimit {ops} is outside 1..{MaxOpsLimit}";
        }

        if (mem < MinMemLimitBytes || mem > MaxMemLimitBytes)
        {
            return $"Argon2id memlimit {mem} bytes is outside {MinMemLimitBytes}..{MaxMemLimitBytes} ({MaxMemLimitBytes >> 30} GiB)";
        }

        return null;
    }
}
