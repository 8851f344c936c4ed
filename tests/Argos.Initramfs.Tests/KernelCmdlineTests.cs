using Argos.Initramfs.Boot;

namespace Argos.Initramfs.Tests;

/// <summary>The command line grammar, checked twice: in C# (KernelCmdline) and in the shell library
/// the initramfs really runs (argosfs_parse_cmdline under sh), on the same inputs.</summary>
public class KernelCmdlineTests
{
    private const string Uuid = "0123abcd-0000-1111-2222-333344445555";

    // cmdline, expected "claimed kind pool devices mode fsck timeout debug" or "ERR:<substring>"
    public static TheoryData<string, string> Cases() => new()
    {
        { $"console=ttyS0 root=argosfs:UUID={Uuid}", $"1 uuid {Uuid} - auto auto 10 0" },
        { $"root=argosfs:UUID={Uuid.ToUpperInvariant()}", $"1 uuid {Uuid} - auto auto 10 0" },
        { "root=argosfs:LABEL=argos-root rd.argosfs.mode=degraded-ro rd.argosfs.fsck=force", "1 label argos-root - degraded-ro force 10 0" },
        { "root=argosfs rd.argosfs.devices=/dev/vda,/dev/vdb", "1 none - /dev/vda,/dev/vdb auto auto 10 0" },
        { "argosfs.pool=tank argosfs.mode=rw argosfs.fsck=skip argosfs.debug", "1 label tank - rw skip 10 1" },
        { $"argosfs.pool={Uuid} rd.argosfs.timeout=3", $"1 uuid {Uuid} - auto auto 3 0" },
        { "root=argosfs:LABEL=a rd.argosfs.mode=ro rd.argosfs.mode=rw", "1 label a - rw auto 10 0" },
        { "root=/dev/vda rootfstype=ext4 rw", "0 none - - auto auto 10 0" },
        { "root=argosfs:LABEL=a argosfs.images=/dev/vda argosfs.replay=auto argosfs.autoscan=1", "1 label a /dev/vda auto auto 10 0" },
        { "root=argosfs:LABEL=a rd.argosfs.debug=0", "1 label a - auto auto 10 0" },
        { "root=argosfs:LABEL=a rd.argosfs.mode=fast", "ERR:unknown mode 'fast'" },
        { "root=argosfs:LABEL=a rd.argosfs.mdoe=rw", "ERR:unknown parameter" },
        { "root=argosfs:LABEL=a rd.argosfs.fsck=yes", "ERR:unknown fsck policy 'yes'" },
        { "root=argosfs:LABEL=a rd.argosfs.mode=", "ERR:a value is required" },
        { "root=argosfs:LABEL=a rd.argosfs.mode", "ERR:a value is required" },
        { "root=argosfs:UUID=not-a-uuid", "ERR:UUID= must be a uuid" },
        { "root=argosfs:UUID=bad/uuid", "ERR:neither a pool uuid" },
        { "root=argosfs:LABEL=", "ERR:LABEL= must be a pool name" },
        { "root=argosfs:tank", "ERR:expected root=argosfs:UUID=" },
        { "root=argosfs", "ERR:names no pool" },
        { "root=argosfs:LABEL=a rd.argosfs.devices=vda,vdb", "ERR:'vda' is not a device path" },
        { "root=argosfs:LABEL=a rd.argosfs.devices=/dev/vda,,/dev/vdb", "ERR:'' is not a device path" },
        { "root=argosfs:LABEL=a rd.argosfs.timeout=5s", "ERR:whole number of seconds" },
        { "root=argosfs:LABEL=a rd.argosfs.timeout=99999", "ERR:at most 9999" },
        { "root=argosfs:LABEL=a rd.argosfs.debug=maybe", "ERR:debug takes no value" },
        { "root=argosfs:LABEL=a argosfs.replay=never", "ERR:replay takes auto or none" },
        { "rd.argosfs.pool=bad*name", "ERR:neither a pool uuid" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void CSharpParser_GivesTheExpectedSettings(string cmdline, string expected)
    {
        var s = KernelCmdline.TryParse(cmdline, out var error);
        Assert.Equal(expected, s is null ? "ERR:" + error : Describe(s), new PrefixComparer());
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ShellParser_AgreesWithTheCSharpParser(string cmdline, string expected)
    {
        var lib = TestRepo.Generator().RenderAs(Templates.GlueGenerator.LibKey, "lib").Text;
        var path = Path.Combine(Path.GetTempPath(), "argos-lib-" + Guid.NewGuid().ToString("N") + ".sh");
        File.WriteAllText(path, lib);
        try
        {
            const string script = """
                . "$1"
                if argosfs_parse_cmdline "$2"; then
                    echo "$ARGOSFS_CLAIMED ${ARGOSFS_POOL_KIND:-none} ${ARGOSFS_POOL:--} ${ARGOSFS_DEVICES:--} $ARGOSFS_MODE $ARGOSFS_FSCK $ARGOSFS_TIMEOUT $ARGOSFS_DEBUG"
                else
                    echo "ERR:$ARGOSFS_ERROR"
                fi
                """;
            foreach (var shell in new[] { "sh", "/bin/busybox" }.Where(s => s == "sh" || File.Exists(s)))
            {
                var args = shell == "sh" ? new[] { "-c", script, "x", path, cmdline } : ["ash", "-c", script, "x", path, cmdline];
                var (code, stdout, stderr) = TestRepo.Run(shell, args);
                Assert.True(code == 0, $"{shell}: {stderr}");
                Assert.Equal(expected, stdout.Trim(), new PrefixComparer());
            }
            // and the C# parser gives the very same line or message
            var s = KernelCmdline.TryParse(cmdline, out var error);
            var (_, shOut, _) = TestRepo.Run("sh", "-c", script, "x", path, cmdline);
            Assert.Equal(shOut.Trim(), s is null ? "ERR:" + error : Describe(s));
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Describe(BootSettings s) =>
        $"{(s.Claimed ? 1 : 0)} {s.PoolKind.ToString().ToLowerInvariant()} {(s.Pool.Length > 0 ? s.Pool : "-")} " +
        $"{(s.Devices.Count > 0 ? string.Join(',', s.Devices) : "-")} {s.Mode} {s.Fsck} {s.TimeoutSeconds} {(s.Debug ? 1 : 0)}";

    /// <summary>"ERR:x" expectations match any error message containing x; the rest match exactly.</summary>
    private sealed class PrefixComparer : IEqualityComparer<string>
    {
        public bool Equals(string? expected, string? actual) =>
            expected!.StartsWith("ERR:") ? actual!.StartsWith("ERR:") && actual.Contains(expected[4..]) : expected == actual;

        public int GetHashCode(string obj) => 0;
    }
}
