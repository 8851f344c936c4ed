using System.Diagnostics;
using Argos.Initramfs.Templates;

namespace Argos.Initramfs.Tests;

/// <summary>Paths and helpers shared by the tests: the repository root, a fixed template model
/// (so that golden files do not depend on the machine), and running sh/bash.</summary>
public static class TestRepo
{
    public static string Root { get; } = TemplateStore.FindRepoRoot(AppContext.BaseDirectory)
        ?? throw new InvalidOperationException("tests must run inside the repository");

    public static string GoldenDir => Path.Combine(Root, "tests", "Argos.Initramfs.Tests", "Golden");

    public static TemplateModel Model { get; } = new()
    {
        Version = "0.0.0-test",
        ArgosfsSource = "/usr/sbin/argosfs",
        LibSource = "/usr/lib/argosfs",
    };

    public static GlueGenerator Generator() => new(TemplateStore.Open(Root), Model);

    public static (int ExitCode, string StdOut, string StdErr) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    public static bool Has(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => File.Exists(Path.Combine(d, program)));
}
