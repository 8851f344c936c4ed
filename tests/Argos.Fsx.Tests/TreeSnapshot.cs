using System.Security.Cryptography;
using System.Text;
using Argos.Platform;
using Argos.Platform.Interop;

namespace Argos.Fsx.Tests;

/// <summary>What the comparison looks at for one name: no timestamps, no directory sizes, no inode numbers.</summary>
internal sealed record NodeSnapshot(
    string Path, uint Type, uint Permissions, uint Nlink, ulong SizeBytes, string? ContentHash, string? LinkTarget,
    string Xattrs, string HardLinkGroup)
{
    public string Describe() =>
        $"type {Convert.ToString(Type >> 12, 8)} mode {Convert.ToString(Permissions, 8)} nlink {Nlink} size {(Type == LibC.S_IFDIR ? "-" : SizeBytes.ToString())}"
        + (ContentHash is null ? "" : $" sha256 {ContentHash[..12]}")
        + (LinkTarget is null ? "" : $" -> {LinkTarget}")
        + $" xattrs [{Xattrs}] links [{HardLinkGroup}]";
}

/// <summary>
/// A recursive snapshot of a tree (lstat, contents hash, symlink target, user.* xattrs, and which paths
/// share an inode), and a diff of two snapshots that names every path that differs.
/// </summary>
internal static class TreeSnapshot
{
    public static SortedDictionary<string, NodeSnapshot> Take(string root)
    {
        var raw = new List<(string Rel, HostStat St)>();
        Walk(root, "", raw);
        // Hard-link groups: the other paths that share this inode, so "a and b are the same file" is compared
        // without comparing inode numbers across filesystems.
        var byInode = raw.Where(r => !r.St.IsDirectory).GroupBy(r => r.St.Inode)
            .ToDictionary(g => g.Key, g => string.Join(" ", g.Select(r => r.Rel).Order(StringComparer.Ordinal)));
        var result = new SortedDictionary<string, NodeSnapshot>(StringComparer.Ordinal);
        foreach (var (rel, st) in raw)
        {
            var full = Path.Combine(root, rel);
            string? hash = null, target = null;
            if (st.IsRegular) hash = HashFile(full);
            if (st.IsSymlink) target = Encoding.UTF8.GetString(LibC.ReadLink(Encoding.UTF8.GetBytes(full)));
            var xattrs = st.IsSymlink ? "" : Xattrs(full);
            result[rel] = new NodeSnapshot(rel, st.Type, st.Mode & 0xfff, st.Nlink, st.IsDirectory ? 0 : st.SizeBytes,
                hash, target, xattrs, st.IsDirectory ? "" : byInode[st.Inode]);
        }
        return result;
    }

    private static void Walk(string root, string rel, List<(string, HostStat)> into)
    {
        var dir = rel.Length == 0 ? root : Path.Combine(root, rel);
        foreach (var nameBytes in LibC.ReadDirectoryNames(Encoding.UTF8.GetBytes(dir)))
        {
            var name = Encoding.UTF8.GetString(nameBytes);
            if (name is "." or "..") continue;
            var childRel = rel.Length == 0 ? name : rel + "/" + name;
            var st = LibC.LStat(Encoding.UTF8.GetBytes(Path.Combine(root, childRel)));
            into.Add((childRel, st));
            if (st.IsDirectory) Walk(root, childRel, into);
        }
    }

    public static string HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static string Xattrs(string path)
    {
        var p = Encoding.UTF8.GetBytes(path);
        var parts = new List<string>();
        foreach (var nameBytes in LibC.ListXattrs(p))
        {
            var name = Encoding.UTF8.GetString(nameBytes);
            if (!name.StartsWith("user.", StringComparison.Ordinal)) continue; // security.selinux, ACLs: not generated
            parts.Add($"{name}={Convert.ToHexStringLower(LibC.GetXattr(p, nameBytes))}");
        }
        parts.Sort(StringComparer.Ordinal);
        return string.Join(",", parts);
    }

    /// <summary>Every difference, one line each; empty when the trees match.</summary>
    public static List<string> Diff(SortedDictionary<string, NodeSnapshot> expected, SortedDictionary<string, NodeSnapshot> actual)
    {
        var lines = new List<string>();
        foreach (var (path, e) in expected)
        {
            if (!actual.TryGetValue(path, out var a))
            {
                lines.Add($"missing on argos: {path} ({e.Describe()})");
            }
            else if (e != a)
            {
                lines.Add($"differs: {path}\n    reference: {e.Describe()}\n    argos:     {a.Describe()}");
            }
        }
        foreach (var (path, a) in actual)
        {
            if (!expected.ContainsKey(path)) lines.Add($"extra on argos: {path} ({a.Describe()})");
        }
        return lines;
    }
}
