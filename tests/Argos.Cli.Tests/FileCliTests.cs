using System.Text;
using Xunit;

namespace Argos.Cli.Tests;

/// <summary>The per-file verbs end to end: argosfs.dll as a child process on a pool of image files.</summary>
[Trait("Requires", "root")]
public sealed class FileCliTests : IDisposable
{
    private readonly string _work = Path.Combine("/tmp", "argos-filecli-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly string[] _pool;

    public FileCliTests()
    {
        Directory.CreateDirectory(_work);
        _pool = ["--images", string.Join(',', new[] { "a", "b", "c" }.Select(x => Path.Combine(_work, x + ".img")))];
        ArgosCli.Ok(["mkfs", .. _pool, "--image-size", "128MiB"]);
    }

    public void Dispose()
    {
        Shell.Run($"rm -rf '{_work}'", check: false);
    }

    private CliResult Ok(params string[] args) => ArgosCli.Ok([args[0], .. _pool, .. args[1..]]);

    private CliResult Run(params string[] args) => ArgosCli.Run([args[0], .. _pool, .. args[1..]]);

    [Fact]
    public void PutCatGet_BinaryFileWithHoles_RoundTripsBytesAndHoles()
    {
        var local = Path.Combine(_work, "local.bin");
        var data = new byte[700_000];
        new Random(5).NextBytes(data);
        data[1234] = 0; data[1235] = (byte)'\n'; data[1236] = 0xFF;
        File.WriteAllBytes(local, data);
        Shell.Run($"truncate -s 64M '{local}' && printf end >> '{local}' && chmod 640 '{local}'");
        Ok("mkdir", "/data");
        Ok("put", local, "/data/");

        var cat = Ok("cat", "/data/local.bin");
        Assert.Equal((64L << 20) + 3, cat.StdoutBytes.LongLength);
        Assert.True(cat.StdoutBytes.AsSpan(0, data.Length).SequenceEqual(data));

        var back = Path.Combine(_work, "back.bin");
        Ok("get", "/data/local.bin", back);
        Assert.Equal("same\n", Shell.Run($"cmp '{local}' '{back}' && echo same"));
        var du = long.Parse(Shell.Run($"du -k '{back}' | cut -f1").Trim());
        Assert.True(du < 8 * 1024, $"the copy occupies {du} KiB; the 64 MiB hole must stay a hole");
        var stat = Ok("stat", "/data/local.bin").Json;
        Assert.Equal("0640", stat["mode"]!.GetValue<string>());
        Assert.Equal("regular", stat["type"]!.GetValue<string>());

        // put onto an existing file replaces its contents; put from stdin.
        File.WriteAllText(local, "short\n");
        Ok("put", local, "/data/local.bin");
        Assert.Equal("short\n", Ok("cat", "/data/local.bin").Stdout);
        var piped = ArgosCli.RunWithInput(Encoding.UTF8.GetBytes("from stdin"), ["put", .. _pool, "-", "/data/piped"]);
        Assert.Equal(0, piped.ExitCode);
        Assert.Equal("from stdin", Ok("cat", "/data/piped").Stdout);
    }

    [Fact]
    public void NamespaceVerbs_ChangeWhatTheySay()
    {
        Ok("mkdir", "/a/b/c", "-p", "--mode", "750");
        Ok("mkdir", "/a/b", "-p"); // exists: fine with -p
        Assert.Equal("0750", Ok("stat", "/a/b/c").Json["mode"]!.GetValue<string>());
        Ok("mknod", "/a/null", "--mode", "020666", "--rdev", "1:3");
        Ok("mknod", "/a/sda", "--type", "b", "--mode", "660", "--rdev", "8:0");
        Ok("mknod", "/a/fifo", "--type", "p");
        Ok("mknod", "/a/sock", "--type", "s", "--mode", "0777");
        var sda = Ok("stat", "/a/sda").Json;
        Assert.Equal(("block", "0660", 8, 0), (sda["type"]!.GetValue<string>(), sda["mode"]!.GetValue<string>(), sda["rdev_major"]!.GetValue<int>(), sda["rdev_minor"]!.GetValue<int>()));
        Assert.Equal("fifo", Ok("stat", "/a/fifo").Json["type"]!.GetValue<string>());
        Assert.Equal("socket", Ok("stat", "/a/sock").Json["type"]!.GetValue<string>());

        var f = Path.Combine(_work, "f");
        File.WriteAllText(f, "hello\n");
        Ok("put", f, "/a/f");
        Ok("link", "/a/f", "/a/b/f2");
        Assert.Equal(2, Ok("stat", "/a/f").Json["nlink"]!.GetValue<int>());
        Ok("symlink", "f", "/a/sym");
        Ok("symlink", "/no/such", "/a/dangling");
        Assert.Equal("f", Ok("stat", "/a/sym").Json["target"]!.GetValue<string>());
        Assert.Equal("hello\n", Ok("cat", "/a/sym").Stdout);
        Ok("rename", "/a/f", "/a/g");
        Assert.Equal("hello\n", Ok("cat", "/a/g").Stdout);
        Ok("chown", "/a/g", "1000:100"); // before chmod: chown clears setuid, as on Linux
        Ok("chmod", "/a/g", "4755");
        var g = Ok("stat", "/a/g").Json;
        Assert.Equal(("04755", 1000, 100), (g["mode"]!.GetValue<string>(), g["uid"]!.GetValue<int>(), g["gid"]!.GetValue<int>()));
        Ok("chown", "/a/sym", "7:8", "--no-dereference");
        Assert.Equal(7, Ok("stat", "/a/sym").Json["uid"]!.GetValue<int>());
        Ok("truncate", "/a/g", "3");
        Assert.Equal("hel", Ok("cat", "/a/g").Stdout);
        Ok("truncate", "/a/g", "1G");
        Assert.Equal(1L << 30, Ok("stat", "/a/g").Json["size"]!.GetValue<long>());

        var ls = Ok("ls", "/a", "--json").Json.AsArray().Select(x => x!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["b", "dangling", "fifo", "g", "null", "sda", "sock", "sym"], ls);
        var longLs = Ok("ls", "/a", "-l").Stdout;
        Assert.Contains("crw-rw-rw-", longLs);
        Assert.Contains("-rwsr-xr-x", longLs);
        Assert.Contains("sym -> f", longLs);
        Assert.Contains("1, 3", longLs);

        Ok("rm", "/a/g");
        var notEmpty = Run("rm", "/a/b");
        Assert.Equal(1, notEmpty.ExitCode);
        Assert.Contains("rm -r", notEmpty.Stderr);
        Ok("rm", "/a", "-r");
        Assert.Equal("", Ok("ls", "/").Stdout);
    }

    [Fact]
    public void Xattrs_EveryNamespaceAndEncoding()
    {
        var f = Path.Combine(_work, "f");
        File.WriteAllText(f, "x");
        Ok("put", f, "/f");
        Ok("setfattr", "/f", "-n", "user.text", "-v", "plain words");
        Ok("setfattr", "/f", "-n", "user.quoted", "-v", "\"a\\012b\\\"c\"");
        Ok("setfattr", "/f", "-n", "trusted.hex", "-v", "0xdeadbeef");
        Ok("setfattr", "/f", "-n", "security.b64", "-v", "0sAAEC");
        Ok("setfattr", "/f", "-n", "user.empty");
        var dump = Ok("getfattr", "/f", "-d").Stdout;
        Assert.Contains("# file: /f", dump);
        Assert.Contains("user.text=\"plain words\"", dump);
        Assert.Contains("user.quoted=\"a\\012b\\\"c\"", dump);
        Assert.Contains("trusted.hex=0s3q2+7w==", dump);
        Assert.Contains("security.b64=0sAAEC", dump);
        Assert.Contains("user.empty=\"\"", dump);
        Assert.Equal("# file: /f\ntrusted.hex=0xdeadbeef\n\n", Ok("getfattr", "/f", "-n", "trusted.hex", "-e", "hex").Stdout);
        var names = Ok("getfattr", "/f").Stdout;
        Assert.DoesNotContain("=", names);
        Assert.Contains("security.b64", names);
        var json = Ok("getfattr", "/f", "-d", "--json").Json["xattrs"]!.AsArray();
        Assert.Equal("YQpiImM=", json.Single(x => x!["name"]!.GetValue<string>() == "user.quoted")!["base64"]!.GetValue<string>());

        Ok("setfattr", "/f", "-x", "user.text");
        var missing = Run("getfattr", "/f", "-n", "user.text");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("no attribute 'user.text'", missing.Stderr);
        var badNs = Run("setfattr", "/f", "-n", "os2.thing", "-v", "1");
        Assert.Equal(1, badNs.ExitCode);
        Assert.Contains("user., trusted., security.", badNs.Stderr);
    }

    [Fact]
    public void BadInput_OneLineErrorNamingTheFix_NothingChanged()
    {
        var f = Path.Combine(_work, "f");
        File.WriteAllText(f, "x");
        Ok("put", f, "/keep");
        var before = Ok("ls", "/", "--json").Stdout + Ok("stat", "/keep").Stdout;
        (string[] Args, int Exit, string Hint)[] cases =
        [
            (["mkdir", "relative/dir"], 2, "not absolute"),
            (["mknod", "/n", "--type", "c"], 2, "--rdev MAJOR:MINOR"),
            (["mknod", "/n", "--type", "p", "--rdev", "1:3"], 2, "only for character and block devices"),
            (["mknod", "/n", "--mode", "644"], 2, "--type c|b|p|s"),
            (["mknod", "/n", "--type", "c", "--rdev", "banana"], 2, "MAJOR:MINOR"),
            (["mknod", "/n", "--type", "x", "--rdev", "1:3"], 2, "c (char device)"),
            (["chmod", "/keep", "99x"], 2, "octal digits"),
            (["chmod", "/keep", "0100644"], 2, "permission bits only"),
            (["chown", "/keep", "root:root"], 2, "numeric"),
            (["truncate", "/keep", "12Q"], 2, "unknown unit"),
            (["rm", "/"], 2, "pool root cannot be removed"),
            (["setfattr", "/keep", "-n", "user.a", "-x", "user.a"], 2, "either -n NAME"),
            (["setfattr", "/keep", "-n", "user.a", "-v", "0xABC"], 2, "even number of hex digits"),
            (["rename", "/keep", "/x", "--no-replace", "--exchange"], 2, "cannot be combined"),
            (["rm", "/missing"], 1, "does not exist in the pool"),
            (["cat", "/"], 1, "not a regular file"),
            (["truncate", "/", "0"], 1, "not a regular file"),
            (["mkdir", "/keep"], 1, "already exists"),
            (["link", "/", "/rootlink"], 1, "cannot be hard-linked"),
            (["symlink", "x", "/keep/sub"], 1, "not a directory"),
            (["import-tree", "/nonexistent-dir"], 2, "not a directory on this machine"),
            (["export-tree", f], 2, "is a file"),
            (["put", "/nonexistent-file", "/x"], 2, "existing file"),
        ];
        foreach (var (args, exit, hint) in cases)
        {
            var r = Run(args);
            Assert.True(exit == r.ExitCode, $"argosfs {string.Join(' ', args)}: exit {r.ExitCode}, expected {exit}; stderr: {r.Stderr}");
            var lines = r.Stderr.TrimEnd('\n').Split('\n');
            Assert.True(lines.Length == 1, $"argosfs {string.Join(' ', args)}: expected one error line, got: {r.Stderr}");
            Assert.StartsWith("argosfs: ", lines[0]);
            Assert.True(lines[0].Contains(hint, StringComparison.Ordinal), $"argosfs {string.Join(' ', args)}: '{lines[0]}' lacks '{hint}'");
        }
        Assert.Equal(before, Ok("ls", "/", "--json").Stdout + Ok("stat", "/keep").Stdout);
    }
}
