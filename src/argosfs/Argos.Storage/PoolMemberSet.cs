using Argos.Format;
using Argos.Format.Pool;
using Argos.Platform;

namespace Argos.Storage;

/// <summary>One opened member: its device (locked) and the identity read from it.</summary>
public sealed class OpenedMember
{
    public OpenedMember(string path, IMemberDevice device, MemberIdentity identity)
    {
        Path = path;
        Device = device;
        Identity = identity;
    }

    public string Path { get; }
    public IMemberDevice Device { get; }
    public MemberIdentity Identity { get; }
    public Superblock Superblock => Identity.Superblock!;
    public MemberIndex Index => Superblock.MemberIndex;
}

/// <summary>
/// Opens the members of one pool exclusively and refuses bad sets before anything is written (I-9):
/// unreadable or invalid members, members of two pools, the same member twice, index clashes,
/// unknown ro-compat features for a read-write open.
/// </summary>
public static class PoolMemberSet
{
    public static IReadOnlyList<OpenedMember> Open(IReadOnlyList<string> paths, bool readOnly, Func<IMemberDevice, IMemberDevice>? wrap = null)
    {
        if (paths.Count == 0)
        {
            throw new StorageException("no-members", "no members given — pass --images a.img,b.img,… or --devices /dev/x,…");
        }
        var identities = new Dictionary<FileIdentity, string>();
        foreach (string path in paths)
        {
            FileIdentity id;
            try
            {
                id = FileMemberDevice.IdentityOf(path);
            }
            catch (SystemCallException e) when (e.Errno == Errno.ENOENT)
            {
                throw new StorageException("missing-path",
                    $"member path {path} does not exist — fix the path, or leave it out to open the pool degraded", e);
            }
            if (identities.TryGetValue(id, out string? first))
            {
                throw new StorageException("duplicate-member",
                    $"{path} and {first} are the same {(id.IsBlockDevice ? "device" : "file")}; pass each member once");
            }
            identities[id] = path;
        }

        var opened = new List<OpenedMember>();
        try
        {
            foreach (string path in paths)
            {
                IMemberDevice device = FileMemberDevice.Open(path, readOnly, readOnly ? MemberLock.Shared : MemberLock.Exclusive);
                if (wrap is not null)
                {
                    device = wrap(device);
                }
                MemberIdentity identity;
                try
                {
                    identity = MemberIdentityReader.Read(device);
                }
                catch
                {
                    device.Dispose();
                    throw;
                }
                opened.Add(new OpenedMember(path, device, identity));
                if (!identity.IsValid)
                {
                    throw new StorageException("invalid-member",
                        $"{path} is not a usable argosfs member: {identity.Error} — leave it out to open the pool degraded, then replace it");
                }
            }
            var pools = opened.GroupBy(o => o.Superblock.PoolUuid).ToList();
            if (pools.Count > 1)
            {
                var biggest = pools.OrderByDescending(g => g.Count()).First();
                var other = pools.First(g => g.Key != biggest.Key);
                throw new StorageException("mixed-pools",
                    $"{string.Join(", ", other.Select(o => o.Path))} belong{(other.Count() == 1 ? "s" : "")} to pool {other.Key} ({other.First().Superblock.PoolName}) while " +
                    $"{string.Join(", ", biggest.Select(o => o.Path))} belong to pool {biggest.Key} ({biggest.First().Superblock.PoolName}); pass only one pool's members");
            }
            foreach (var dup in opened.GroupBy(o => o.Superblock.MemberUuid).Where(g => g.Count() > 1))
            {
                throw new StorageException("duplicate-member",
                    $"{string.Join(" and ", dup.Select(o => o.Path))} carry the same member UUID {dup.Key} (a copied image?); pass each member once");
            }
            foreach (var dup in opened.GroupBy(o => o.Index).Where(g => g.Count() > 1))
            {
                throw new StorageException("duplicate-member",
                    $"{string.Join(" and ", dup.Select(o => o.Path))} both claim member index {dup.Key}; one of them is a stale or foreign copy — leave it out");
            }
            Superblock sb0 = opened[0].Superblock;
            foreach (OpenedMember o in opened)
            {
                if (o.Superblock.K != sb0.K || o.Superblock.M != sb0.M)
                {
                    throw new StorageException("inconsistent-members",
                        $"{o.Path} records k={o.Superblock.K} m={o.Superblock.M} but {opened[0].Path} records k={sb0.K} m={sb0.M}; the members are inconsistent — leave the odd one out");
                }
                if (!readOnly && o.Superblock.RequiresReadOnly)
                {
                    throw new StorageException("ro-compat",
                        $"{o.Path} uses read-only-compatible features this argosfs does not know (0x{o.Superblock.RoCompatFeatures:x}); open the pool read-only or upgrade argosfs");
                }
            }
            return opened.OrderBy(o => o.Index.Value).ToList();
        }
        catch
        {
            foreach (OpenedMember o in opened)
            {
                o.Device.Dispose();
            }
            throw;
        }
    }
}
