using System.Diagnostics;
using System.Text;
using Argos.Platform.Interop;

namespace Argos.Volume.Tests;

/// <summary>Shell helpers for the tree import/export tests (they run as root: mknod, setcap, trusted.*).</summary>
internal static class TreeShell
{
    public static bool IsRoot => LibC.Geteuid() == 0;

    /// <summary>Runs a command through bash; throws with its output when it fails.</summary>
    public static string Run(string script, bool check = true)
    {
        var psi = new ProcessStartInfo("/bin/bash", ["-c", script])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        if (check && p.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{script}' exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        }
        return stdout.Result;
    }

    public static string Quote(string s) => "'" + s.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>
    /// rsync's itemized differences between two trees (checksums, hard links, ACLs, xattrs, devices,
    /// specials, owners, perms, times): empty when identical.
    /// </summary>
    public static string RsyncDiff(string source, string destination) =>
        Run($"rsync -naHAXc --itemize-changes {Quote(source + "/")} {Quote(destination + "/")}");

    /// <summary>path → (type, mode, uid, gid, nlink, rdev, size, mtime with ns) for every entry, by a byte-level walk.</summary>
    public static SortedDictionary<string, string> Walk(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        var rootBytes = Encoding.UTF8.GetBytes(root);
        void Visit(byte[] path, string rel)
        {
            var st = LibC.LStat(path);
            // Directory link counts depend on the file system's subdirectory accounting only; compare them too.
            result[rel] = $"mode={st.Mode:x} uid={st.Uid} gid={st.Gid} nlink={st.Nlink} rdev={st.RdevMajor}:{st.RdevMinor} size={(st.IsDirectory ? 0 : st.SizeBytes)} mtime={st.Mtime.Seconds}.{st.Mtime.Nanoseconds:D9}";
            if (!st.IsDirectory) return;
            foreach (var name in LibC.ReadDirectoryNames(path))
            {
                var child = new byte[path.Length + 1 + name.Length];
                path.CopyTo(child, 0);
                child[path.Length] = (byte)'/';
                name.CopyTo(child, path.Length + 1);
                Visit(child, rel + "/" + LibC.Display(name));
            }
        }
        Visit(rootBytes, ".");
        return result;
    }

    /// <summary>Entries whose walk line differs (or that exist on one side only).</summary>
    public static List<string> WalkDiff(string a, string b)
    {
        var wa = Walk(a);
        var wb = Walk(b);
        var diffs = new List<string>();
        foreach (var (k, v) in wa)
        {
            if (!wb.TryGetValue(k, out var w)) diffs.Add($"only in source: {k}");
            else if (v != w) diffs.Add($"{k}: {v} != {w}");
        }
        foreach (var k in wb.Keys)
        {
            if (!wa.ContainsKey(k)) diffs.Add($"only in copy: {k}");
        }
        return diffs;
    }
}
