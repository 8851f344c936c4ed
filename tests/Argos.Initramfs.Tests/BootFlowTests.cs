namespace Argos.Initramfs.Tests;

/// <summary>
/// The shell library's steps (JSON reading, fsck policy, preflight-root, the degraded guard) run
/// under sh against a scripted argosfs double that records its arguments and prints canned JSON.
/// The double is test code: it checks the library's decisions, not argosfs.
/// </summary>
public sealed class BootFlowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("argos-flow-").FullName;
    private readonly string _lib;

    public BootFlowTests()
    {
        _lib = Path.Combine(_dir, "lib.sh");
        File.WriteAllText(_lib, TestRepo.Generator().RenderAs(Templates.GlueGenerator.LibKey, "lib").Text);
    }

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>Runs SCRIPT after sourcing the library, with a fake argosfs that prints
    /// $FAKE_&lt;command&gt; (JSON) and exits $FAKE_&lt;command&gt;_RC, logging its arguments.</summary>
    private (int Code, string Out, string Err, string Calls) Sh(string script, params (string Key, string Value)[] env)
    {
        var fake = Path.Combine(_dir, "argosfs");
        File.WriteAllText(fake, """
            #!/bin/sh
            echo "$*" >> "$FAKE_LOG"
            v=$(echo "$1" | tr '-' '_')
            eval "out=\${FAKE_$v:-}; rc=\${FAKE_${v}_RC:-0}"
            printf '%s\n' "$out"
            exit "$rc"
            """);
        File.SetUnixFileMode(fake, Templates.GlueGenerator.Executable);
        var log = Path.Combine(_dir, "calls.log");
        File.WriteAllText(log, "");
        var exports = string.Join('\n', env.Select(e => $"export {e.Key}='{e.Value}'"));
        var full = $"""
            export FAKE_LOG='{log}' ARGOSFS_BIN='{fake}' ARGOSFS_RUN='{_dir}/run'
            mkdir -p '{_dir}/run'
            {exports}
            . '{_lib}'
            {script}
            """;
        var (code, stdout, stderr) = TestRepo.Run("sh", "-c", full);
        return (code, stdout, stderr, File.ReadAllText(log));
    }

    private const string PreflightOk = """{"ok": true, "mode": "rw", "recommended_mode": "rw", "total_devices": 3, "available_devices": 3, "missing_devices": 0, "degraded": false, "can_mount_readonly": true, "can_mount_readwrite": true, "clean": true, "journal_ok": true, "issues": []}""";
    private const string PreflightDegradedRefused = """{"ok": false, "mode": "rw", "recommended_mode": "degraded-ro", "total_devices": 3, "available_devices": 2, "missing_devices": 1, "degraded": true, "can_mount_readonly": true, "can_mount_readwrite": false, "clean": true, "journal_ok": true, "issues": [{"severity": "error", "code": "member-missing", "message": "disk 2 of 3 is missing"}]}""";

    [Fact]
    public void JsonFlat_ReadsNestedObjectsArraysAndEscapes()
    {
        var r = Sh("""
            printf '%s' '{"a": {"b": [1, "x\"y", true]}, "issues": [], "s": "p q", "n": null}' | argosfs_json_flat
            """);
        Assert.Equal(0, r.Code);
        Assert.Equal("a.b.0\t1\na.b.1\tx\"y\na.b.2\ttrue\na.b.#\t3\nissues.#\t0\ns\tp q\nn\tnull\n", r.Out);
    }

    [Fact]
    public void JsonFlat_MalformedInput_Fails()
    {
        var r = Sh("""printf '%s' '{"a": [1, 2' | argosfs_json_flat""");
        Assert.NotEqual(0, r.Code);
        Assert.Contains("malformed", r.Out);
    }

    [Fact]
    public void Preflight_Ok_PrintsTheReport_AndResolvesAuto()
    {
        var r = Sh("""
            ARGOSFS_MEMBERS=/dev/vda,/dev/vdb,/dev/vdc ARGOSFS_MODE=auto ARGOSFS_POOL_NAME=tank
            argosfs_preflight && echo "EFFECTIVE=$ARGOSFS_EFFECTIVE_MODE"
            """, ("FAKE_preflight_root", PreflightOk));
        Assert.Equal(0, r.Code);
        Assert.Contains("EFFECTIVE=rw", r.Out);
        Assert.Contains("argosfs: preflight: ok=true mode=rw recommended=rw devices=3/3 missing=0 degraded=false", r.Err);
        Assert.Contains("preflight-root --devices /dev/vda,/dev/vdb,/dev/vdc --mode auto --json", r.Calls);
    }

    [Fact]
    public void Preflight_Refused_FailsWithTheIssue_AndNamesTheModeToUse()
    {
        var r = Sh("""
            ARGOSFS_MEMBERS=/dev/vda,/dev/vdb ARGOSFS_MODE=rw ARGOSFS_POOL_NAME=tank
            argosfs_preflight || echo "ERROR=$ARGOSFS_ERROR"
            """, ("FAKE_preflight_root", PreflightDegradedRefused), ("FAKE_preflight_root_RC", "1"));
        Assert.Contains("ERROR=preflight-root refused mode rw for pool tank", r.Out);
        Assert.Contains("rd.argosfs.mode=degraded-ro", r.Out);
        Assert.Contains("argosfs: preflight: [error] member-missing: disk 2 of 3 is missing", r.Err);
    }

    [Fact]
    public void Preflight_AutoNeverGivesRwOnADegradedPool()
    {
        var saysRw = PreflightDegradedRefused.Replace("\"ok\": false", "\"ok\": true");
        var r = Sh("""
            ARGOSFS_MEMBERS=/dev/vda,/dev/vdb ARGOSFS_MODE=auto
            argosfs_preflight && echo "EFFECTIVE=$ARGOSFS_EFFECTIVE_MODE"
            """, ("FAKE_preflight_root", saysRw));
        Assert.Contains("EFFECTIVE=degraded-ro", r.Out);
    }

    [Fact]
    public void Preflight_NoReport_IsAnError()
    {
        var r = Sh("""
            ARGOSFS_MEMBERS=/dev/vda ARGOSFS_MODE=rw
            argosfs_preflight || echo "ERROR=$ARGOSFS_ERROR"
            """, ("FAKE_preflight_root", "garbage"), ("FAKE_preflight_root_RC", "2"));
        Assert.Contains("ERROR=preflight-root gave no report (exit 2)", r.Out);
    }

    [Theory]
    [InlineData("skip", "0", "rw", "0", "")]
    [InlineData("auto", "0", "rw", "0", "")]
    [InlineData("auto", "1", "rw", "0", "fsck --devices /dev/vda --repair --json")]
    [InlineData("auto", "1", "auto", "1", "fsck --devices /dev/vda --json")]
    [InlineData("force", "0", "rw", "0", "fsck --devices /dev/vda --full --repair --json")]
    [InlineData("force", "0", "degraded-ro", "1", "fsck --devices /dev/vda --full --json")]
    public void Fsck_FollowsThePolicy(string policy, string unclean, string mode, string degraded, string expectedCall)
    {
        var r = Sh($"""
            ARGOSFS_MEMBERS=/dev/vda ARGOSFS_FSCK={policy} ARGOSFS_UNCLEAN={unclean} ARGOSFS_MODE={mode} ARGOSFS_DEGRADED={degraded}
            argosfs_fsck && echo "RESULT=$ARGOSFS_FSCK_RESULT"
            """, ("FAKE_fsck", "{}"));
        Assert.Equal(0, r.Code);
        Assert.Contains("RESULT=", r.Out);
        Assert.Equal(expectedCall, r.Calls.Trim());
    }

    [Fact]
    public void Fsck_Failure_NamesTheWaysOut_ButRecoveryModeGoesOn()
    {
        var fail = Sh("""
            ARGOSFS_MEMBERS=/dev/vda ARGOSFS_FSCK=force ARGOSFS_MODE=rw ARGOSFS_DEGRADED=0
            argosfs_fsck || echo "ERROR=$ARGOSFS_ERROR"
            """, ("FAKE_fsck", "{}"), ("FAKE_fsck_RC", "4"));
        Assert.Contains("ERROR=fsck (repair) found problems it did not fix (exit 4", fail.Out);
        Assert.Contains("rd.argosfs.mode=recovery", fail.Out);
        var recovery = Sh("""
            ARGOSFS_MEMBERS=/dev/vda ARGOSFS_FSCK=force ARGOSFS_MODE=recovery ARGOSFS_DEGRADED=0
            argosfs_fsck && echo "WENT-ON"
            """, ("FAKE_fsck", "{}"), ("FAKE_fsck_RC", "4"));
        Assert.Contains("WENT-ON", recovery.Out);
    }
}
