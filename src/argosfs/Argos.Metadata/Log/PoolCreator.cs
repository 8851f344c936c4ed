// mkfs (docs/format.md §6): validate everything, then write. Order per member set:
//   1. zero the first and last MiB, write the protective header;
//   2. the initial checkpoint (Member records, the caller's initial records, allocator bitmaps) and root
//      slot A on every member; flush;
//   3. superblock + label, primary then backup, on every member; flush.
// Until step 3 reaches a member it has no superblock, so a crash leaves members that scan as "not a
// member" (mkfs can be re-run without --force on them only if step 1 has not run; otherwise --force).
using Argos.Format;
using Argos.Format.Pool;
using Argos.Metadata.Records;
using Argos.Platform;
using Argos.Storage;

namespace Argos.Metadata.Log;

public sealed record PoolCreateOptions
{
    public int K { get; init; } = 1;
    public int M { get; init; }
    public int ChunkSizeBytes { get; init; } = 256 * 1024;
    public string PoolName { get; init; } = "argos";
    /// <summary>Size of image files mkfs creates (missing or empty paths); null = paths must exist.</summary>
    public long? ImageSizeBytes { get; init; }
    /// <summary>Overwrite targets that hold signatures or data.</summary>
    public bool Force { get; init; }
    /// <summary>Records the pool starts with (PoolConfig, the root inode, …), written into the first checkpoint.</summary>
    public IReadOnlyList<RecordOp> InitialRecords { get; init; } = [];
    public Func<IMemberDevice, IMemberDevice>? DeviceWrapper { get; init; }
    /// <summary>Incompat feature bits the superblocks carry: all this argosfs knows, unless a test builds an older pool.</summary>
    public ulong IncompatFeatures { get; init; } = Argos.Format.Pool.FeatureFlags.KnownIncompat;
}

public sealed record PoolCreateResult(Guid PoolUuid, IReadOnlyList<(string Path, Guid MemberUuid, MemberIndex Index, long CapacityBytes)> Members);

public static class PoolCreator
{
    public static PoolCreateResult Create(IReadOnlyList<string> paths, PoolCreateOptions options)
    {
        ValidateOptions(paths, options);
        var created = new List<string>();
        var devices = new List<IMemberDevice>();
        try
        {
            foreach (string path in paths)
            {
                if (!File.Exists(path) && !path.StartsWith("/dev/", StringComparison.Ordinal))
                {
                    if (options.ImageSizeBytes is not long size)
                    {
                        throw new StorageException("missing-path", $"{path} does not exist — create it or pass --image-size to have mkfs create it");
                    }
                    MemberLayout.ForCapacity(size, $"--image-size {size}");
                    FileMemberDevice.CreateImage(path, size);
                    created.Add(path);
                }
            }
            var identities = new Dictionary<FileIdentity, string>();
            foreach (string path in paths)
            {
                FileIdentity id = FileMemberDevice.IdentityOf(path);
                if (identities.TryGetValue(id, out string? first))
                {
                    throw new StorageException("duplicate-member", $"{path} and {first} are the same file or device; pass each member once");
                }
                identities[id] = path;
            }
            foreach (string path in paths)
            {
                IMemberDevice d = FileMemberDevice.Open(path, readOnly: false, MemberLock.Exclusive);
                devices.Add(options.DeviceWrapper is null ? d : options.DeviceWrapper(d));
            }
            // Empty files grow to the image size (after every check, so refusals modify nothing).
            var capacities = new long[devices.Count];
            for (int i = 0; i < devices.Count; i++)
            {
                IMemberDevice d = devices[i];
                capacities[i] = d.CapacityBytes == 0 && !d.IsBlockDevice && options.ImageSizeBytes is long grow ? grow : d.CapacityBytes;
                MemberLayout.ForCapacity(capacities[i], d.Path);
                if (!options.Force)
                {
                    string? found = SignatureProbe.Find(d);
                    if (found is not null)
                    {
                        throw new StorageException("signature-found", $"{d.Path} holds {found}; use --force to overwrite");
                    }
                }
            }
            for (int i = 0; i < devices.Count; i++)
            {
                if (devices[i].CapacityBytes != capacities[i])
                {
                    string path = devices[i].Path;
                    devices[i].Dispose();
                    FileMemberDevice.ExtendEmptyImage(path, capacities[i]);
                    IMemberDevice d = FileMemberDevice.Open(path, readOnly: false, MemberLock.Exclusive);
                    devices[i] = options.DeviceWrapper is null ? d : options.DeviceWrapper(d);
                }
            }
            return Write(paths, devices, options);
        }
        catch (Exception e) when (e is not CrashInjectedException)
        {
            foreach (IMemberDevice d in devices) d.Dispose();
            devices.Clear();
            foreach (string path in created) File.Delete(path);
            throw;
        }
        finally
        {
            foreach (IMemberDevice d in devices) d.Dispose();
        }
    }

    private static void ValidateOptions(IReadOnlyList<string> paths, PoolCreateOptions o)
    {
        if (paths.Count == 0)
        {
            throw new StorageException("no-members", "mkfs needs at least one member — pass --images a.img,b.img,… or --devices /dev/x,…");
        }
        if (o.K < 1 || o.M < 0 || o.K + o.M > Superblock.MaxShards)
        {
            throw new StorageException("bad-layout", $"k={o.K} m={o.M} is out of range: need k ≥ 1, m ≥ 0, k + m ≤ {Superblock.MaxShards}");
        }
        if (o.K + o.M > paths.Count)
        {
            throw new StorageException("bad-layout", $"k={o.K} m={o.M} needs at least {o.K + o.M} members but {paths.Count} were given — add members or lower k/m");
        }
        if (o.ChunkSizeBytes < MemberLayout.BlockSize || o.ChunkSizeBytes % MemberLayout.BlockSize != 0 || o.ChunkSizeBytes > 64 * 1024 * 1024)
        {
            throw new StorageException("bad-layout", $"chunk size {o.ChunkSizeBytes} must be a multiple of 4 KiB between 4 KiB and 64 MiB");
        }
        if (System.Text.Encoding.UTF8.GetByteCount(o.PoolName) > Superblock.PoolNameCapacity || o.PoolName.Length == 0)
        {
            throw new StorageException("bad-name", $"pool name '{o.PoolName}' must be 1..{Superblock.PoolNameCapacity} bytes of UTF-8");
        }
    }

    private static PoolCreateResult Write(IReadOnlyList<string> paths, List<IMemberDevice> devices, PoolCreateOptions options)
    {
        var poolUuid = Guid.NewGuid();
        long now = MemberFormatter.NowNs();
        var sbs = new List<Superblock>();
        for (int i = 0; i < devices.Count; i++)
        {
            MemberLayout layout = MemberLayout.ForCapacity(devices[i].CapacityBytes, devices[i].Path);
            sbs.Add(new Superblock
            {
                PoolUuid = poolUuid,
                MemberUuid = Guid.NewGuid(),
                MemberIndex = new MemberIndex(i),
                MemberCount = devices.Count,
                K = options.K,
                M = options.M,
                ChunkSize = options.ChunkSizeBytes,
                Clean = true,
                Generation = new Generation(1),
                Layout = layout,
                CreatedNs = now,
                PoolName = options.PoolName,
                IncompatFeatures = options.IncompatFeatures,
            });
        }
        Parallel.For(0, devices.Count, i =>
        {
            MemberFormatter.ClearFixedAreas(devices[i], sbs[i].Layout);
            MemberFormatter.WriteHeader(devices[i], sbs[i].Layout);
        });

        var store = new InitialStore(options.InitialRecords);
        MetadataLog.WriteInitialCheckpoint(devices, sbs, store);

        if (CrashPoints.IsArmed(CrashPoints.MkfsPartial))
        {
            MemberFormatter.WritePrimary(devices[0], sbs[0], MemberFormatter.LabelFor(sbs[0], paths[0]));
            devices[0].Flush();
            CrashPoints.Hit(CrashPoints.MkfsPartial);
        }
        Parallel.For(0, devices.Count, i =>
        {
            MemberLabel label = MemberFormatter.LabelFor(sbs[i], paths[i]);
            MemberFormatter.WritePrimary(devices[i], sbs[i], label);
            MemberFormatter.WriteBackup(devices[i], sbs[i], label);
            devices[i].Flush();
        });
        return new PoolCreateResult(poolUuid,
            sbs.Select((sb, i) => (paths[i], sb.MemberUuid, sb.MemberIndex, devices[i].CapacityBytes)).ToList());
    }

    private sealed class InitialStore(IReadOnlyList<RecordOp> records) : IRecordStore
    {
        public void Apply(in RecordOp op) => throw new InvalidOperationException("mkfs store is read-only");

        public IEnumerable<RecordOp> EnumerateAll() => records;
    }
}
