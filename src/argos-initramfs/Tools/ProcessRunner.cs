using System.Diagnostics;

namespace Argos.Initramfs.Tools;

public sealed record ProcessResult(int ExitCode, string StdOut, string StdErr);

/// <summary>Runs host tools (argosfs, dracut, debootstrap, depmod) with arguments as a list, never a shell string.</summary>
public static class ProcessRunner
{
    public static bool Verbose { get; set; }

    public static ProcessResult Run(string file, IEnumerable<string> args, string? workDir = null, bool passThrough = false,
        IReadOnlyDictionary<string, string>? env = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = !passThrough,
            RedirectStandardError = !passThrough,
            UseShellExecute = false,
            WorkingDirectory = workDir ?? Environment.CurrentDirectory,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        if (env is not null)
        {
            foreach (var (k, v) in env)
            {
                psi.Environment[k] = v;
            }
        }
        if (Verbose)
        {
            Console.Error.WriteLine($"+ {file} {string.Join(' ', psi.ArgumentList)}");
        }
        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new ToolException($"could not start {file}", $"is {file} installed?");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ToolException($"could not run {file}: {e.Message}", $"install it (scripts/deps.sh installs the boot tools) or check the path");
        }
        using (process)
        {
            if (passThrough)
            {
                process.WaitForExit();
                return new ProcessResult(process.ExitCode, "", "");
            }
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return new ProcessResult(process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    /// <summary>Runs and throws a <see cref="ToolException"/> quoting stderr when the exit code is not 0.</summary>
    public static ProcessResult Check(string file, IEnumerable<string> args, string hint, string? workDir = null, bool passThrough = false)
    {
        var list = args.ToList();
        var result = Run(file, list, workDir, passThrough);
        if (result.ExitCode != 0)
        {
            var err = result.StdErr.Trim();
            if (err.Length > 2000)
            {
                err = err[^2000..];
            }
            throw new ToolException($"{Path.GetFileName(file)} {string.Join(' ', list)} failed (exit {result.ExitCode}){(err.Length > 0 ? ":\n" + err : "")}", hint);
        }
        return result;
    }

    /// <summary>The full path of a program found in PATH (plus /sbin and /usr/sbin), or null.</summary>
    public static string? Which(string name)
    {
        if (name.Contains('/'))
        {
            return File.Exists(name) ? Path.GetFullPath(name) : null;
        }
        var path = (Environment.GetEnvironmentVariable("PATH") ?? "") + ":/usr/sbin:/sbin:/usr/bin:/bin";
        foreach (var dir in path.Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
