using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Argos.Platform.Interop;

namespace Argos.Cli.Tests;

/// <summary>Result of one argosfs run.</summary>
internal sealed record CliResult(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes)
{
    public JsonNode Json => JsonNode.Parse(Stdout) ?? throw new InvalidOperationException("empty JSON output");
}

/// <summary>Runs the built argosfs (src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll) as a child process.</summary>
internal static class ArgosCli
{
    private static readonly Lazy<string> s_dll = new(() =>
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Argos.sln")))
        {
            dir = dir.Parent;
        }
        if (dir is null)
        {
            throw new InvalidOperationException("Argos.sln not found above " + AppContext.BaseDirectory);
        }
        var dll = Path.Combine(dir.FullName, "src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing; build src/argosfs/Argos.Cli first");
    });

    /// <summary>The argosfs.dll the tests run (with `dotnet`).</summary>
    public static string DllPath => s_dll.Value;

    public static CliResult Run(params string[] args) => RunWithInput(null, args);

    public static CliResult RunWithInput(byte[]? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(s_dll.Value);
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdoutStream = new MemoryStream();
        var copy = p.StandardOutput.BaseStream.CopyToAsync(stdoutStream);
        if (stdin is not null)
        {
            p.StandardInput.BaseStream.Write(stdin);
            p.StandardInput.Close();
        }
        copy.Wait();
        p.WaitForExit();
        var bytes = stdoutStream.ToArray();
        return new CliResult(p.ExitCode, Encoding.UTF8.GetString(bytes), stderr.Result, bytes);
    }

    /// <summary>Runs argosfs and requires exit 0.</summary>
    public static CliResult Ok(params string[] args)
    {
        var r = Run(args);
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException($"argosfs {string.Join(' ', args)} exited {r.ExitCode}: {r.Stderr}{r.Stdout}");
        }
        return r;
    }

    /// <summary>Bytes used on all members together (inspect-pool --json).</summary>
    public static long UsedBytes(params string[] selector) =>
        Ok([.. new[] { "inspect-pool", "--json" }, .. selector]).Json["members"]!.AsArray().Sum(m => m!["used_bytes"]!.GetValue<long>());
}

/// <summary>Shell helpers (the tree tests run as root: mknod, setcap, trusted.*).</summary>
internal static class Shell
{
    public static bool IsRoot => LibC.Geteuid() == 0;

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

    /// <summary>rsync's itemized differences (checksums, hard links, ACLs, xattrs, devices, specials, owners, perms, times); empty when identical.</summary>
    public static string RsyncDiff(string source, string destination) =>
        Run($"rsync -naHAXc --itemize-changes '{source}/' '{destination}/'");

    /// <summary>Every entry's type, mode, owner, nlink, rdev, size and mtime to the nanosecond, by a byte-level lstat walk.</summary>
    public static SortedDictionary<string, string> Walk(string root)
    {
        var result = new SortedDictionary<string, string>(StringComparer.Ordinal);
        void Visit(byte[] path, string rel)
        {
            var st = LibC.LStat(path);
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
        Visit(Encoding.UTF8.GetBytes(root), ".");
        return result;
    }

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
        diffs.AddRange(wb.Keys.Where(k => !wa.ContainsKey(k)).Select(k => $"only in copy: {k}"));
        return diffs;
    }
}
