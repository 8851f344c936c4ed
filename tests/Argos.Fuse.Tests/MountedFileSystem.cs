using Xunit;

namespace Argos.Fuse.Tests;

/// <summary>
/// A real mount of a test filesystem at a temp dir, served by a FuseSession in this process. Dispose always
/// cleans up, even after a hang: lazy unmount, then abort the connection through /sys/fs/fuse/connections
/// so no thread stays blocked in the kernel, then end the session.
/// </summary>
internal sealed class MountedFileSystem : IDisposable
{
    public MountedFileSystem(FuseFileSystem fs, FuseMountOptions? mountOptions = null, FuseSessionOptions? sessionOptions = null)
    {
        MountPoint = Directory.CreateTempSubdirectory("argos-fuse-mnt-").FullName;
        try
        {
            Mount = FuseMount.Mount(MountPoint, mountOptions ?? new FuseMountOptions());
        }
        catch
        {
            Directory.Delete(MountPoint);
            throw;
        }

        ConnectionId = ReadConnectionId(MountPoint);
        Session = new FuseSession(fs, sessionOptions ?? new FuseSessionOptions { WorkerCount = 4, Log = Log });
        Session.Start(Mount);
        Assert.True(Session.WaitForInit(TimeSpan.FromSeconds(20)), "the kernel's INIT was not answered within 20 s");
    }

    public string MountPoint { get; }
    public FuseMount Mount { get; }
    public FuseSession Session { get; }
    public string? ConnectionId { get; }
    public List<string> LogLines { get; } = [];

    public string PathOf(string relative) => Path.Combine(MountPoint, relative);

    public void Log(string line)
    {
        lock (LogLines)
        {
            LogLines.Add(line);
        }
    }

    /// <summary>The /proc/mounts line for the mount point, or null.</summary>
    public static string? ProcMountsLine(string mountPoint)
        => File.ReadAllLines("/proc/mounts").FirstOrDefault(l => l.Split(' ')[1] == mountPoint);

    public void Dispose()
    {
        if (!Session.Completion.IsCompleted)
        {
            try
            {
                Mount.Unmount(lazy: true);
            }
            catch (IOException)
            {
            }

            if (!Session.Completion.Wait(TimeSpan.FromSeconds(5)) && ConnectionId is not null && Directory.Exists($"/sys/fs/fuse/connections/{ConnectionId}"))
            {
                try
                {
                    File.WriteAllText($"/sys/fs/fuse/connections/{ConnectionId}/abort", "1");
                }
                catch (IOException)
                {
                }
            }

            if (!Session.Completion.Wait(TimeSpan.FromSeconds(5)))
            {
                Session.Abort();
            }
        }

        Mount.Dispose();
        Session.Dispose();
        try
        {
            Directory.Delete(MountPoint);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>The FUSE connection id is the minor of the mount's st_dev (mountinfo field 3, "major:minor").</summary>
    private static string? ReadConnectionId(string mountPoint)
    {
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4 && fields[4] == mountPoint)
            {
                return fields[2].Split(':')[1];
            }
        }

        return null;
    }
}
