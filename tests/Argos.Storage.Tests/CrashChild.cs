using System.Diagnostics;
using Argos.Metadata.Log;

namespace Argos.Storage.Tests;

/// <summary>
/// The test assembly doubles as a tiny program (its own Main, GenerateProgramFile=false) so that a test
/// can run a commit in a child process with ARGOSFS_CRASH_ABORT=1 and watch it die at the crash point.
/// </summary>
public static class CrashChild
{
    public static int Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == "crash-child")
        {
            var store = new DictionaryStore();
            MetadataLog log = MetadataLog.Open(args[1..], store);
            store.Commit(log, DictionaryStore.Put("child", "1"));
            Console.WriteLine("child: crash point was not hit");
            return 3;
        }
        Console.Error.WriteLine("this assembly is a test assembly; run it with 'dotnet test'");
        return 2;
    }

    public static int RunInChild(string[] paths, string point)
    {
        string dll = typeof(CrashChild).Assembly.Location;
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(dll);
        psi.ArgumentList.Add("crash-child");
        foreach (string p in paths) psi.ArgumentList.Add(p);
        psi.Environment[CrashPoints.EnvironmentVariable] = point;
        psi.Environment[CrashPoints.AbortVariable] = "1";
        psi.Environment["DOTNET_DbgEnableMiniDump"] = "0";
        using Process child = Process.Start(psi)!;
        string stderr = child.StandardError.ReadToEnd();
        child.StandardOutput.ReadToEnd();
        if (!child.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            child.Kill();
            throw new TimeoutException("crash child did not exit");
        }
        Assert.Contains($"crash point {point} hit; aborting", stderr);
        return child.ExitCode;
    }
}
