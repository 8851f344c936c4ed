using System.Text;
using Argos.DataPath.Codecs;
using Argos.Platform.Native;

namespace Argos.Native.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}

/// <summary>
/// Key source precedence. Most cases inject the environment; the last class sets the real process
/// variables, in a collection that runs alone and restores them.
/// </summary>
public sealed class KeySourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("argos-key-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ExplicitKeyFile_BeatsEnvironment()
    {
        string explicitFile = Write("explicit", "from-option\n");
        string envFile = Write("env", "from-env-file\n");
        using SecretBuffer key = KeySource.ReadPassphrase(explicitFile, out KeyOrigin origin,
            StripeCipherTests.Env(("ARGOSFS_KEY_FILE", envFile), ("ARGOSFS_KEY", "from-env")));
        Assert.Equal(KeyOrigin.KeyFileOption, origin);
        Assert.Equal("from-option", Text(key));
    }

    [Fact]
    public void EnvironmentKeyFile_BeatsEnvironmentPassphrase()
    {
        string envFile = Write("env", "from-env-file\r\n\n");
        using SecretBuffer key = KeySource.ReadPassphrase(null, out KeyOrigin origin,
            StripeCipherTests.Env(("ARGOSFS_KEY_FILE", envFile), ("ARGOSFS_KEY", "from-env")));
        Assert.Equal(KeyOrigin.EnvironmentKeyFile, origin);
        Assert.Equal("from-env-file", Text(key));
    }

    [Fact]
    public void EnvironmentPassphrase_UsedLast_Utf8()
    {
        using SecretBuffer key = KeySource.ReadPassphrase("", out KeyOrigin origin, StripeCipherTests.Env(("ARGOSFS_KEY", "pässwörd")));
        Assert.Equal(KeyOrigin.EnvironmentPassphrase, origin);
        Assert.Equal("pässwörd", Text(key));
        Assert.Equal(Encoding.UTF8.GetByteCount("pässwörd"), key.Length);
    }

    [Fact]
    public void NoSource_ThrowsMissingWithHint()
    {
        var e = Assert.Throws<EncryptionKeyException>(() => KeySource.ReadPassphrase(null, out _, StripeCipherTests.Env()));
        Assert.Equal(KeyProblem.Missing, e.Problem);
        Assert.Equal(Argos.Platform.Errno.EACCES, e.Errno);
        Assert.Equal("encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file", e.Message);
    }

    [Fact]
    public void KeyFile_Missing_ThrowsUnreadableNamingPath()
    {
        string path = Path.Combine(_dir, "nope");
        var e = Assert.Throws<EncryptionKeyException>(() => KeySource.ReadPassphrase(null, out _, StripeCipherTests.Env(("ARGOSFS_KEY_FILE", path))));
        Assert.Equal(KeyProblem.Unreadable, e.Problem);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("ARGOSFS_KEY_FILE", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFile_OnlyNewlines_ThrowsInvalid()
    {
        string path = Write("blank", "\n\n");
        var e = Assert.Throws<EncryptionKeyException>(() => KeySource.ReadPassphrase(path, out _, StripeCipherTests.Env()));
        Assert.Equal(KeyProblem.Invalid, e.Problem);
        Assert.Contains("empty passphrase", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFile_TooLarge_ThrowsInvalid()
    {
        string path = Path.Combine(_dir, "big");
        File.WriteAllBytes(path, new byte[KeySource.MaxPassphraseBytes + 10]);
        var e = Assert.Throws<EncryptionKeyException>(() => KeySource.ReadPassphrase(path, out _, StripeCipherTests.Env()));
        Assert.Contains("longer than", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void KeyFile_BinaryContent_KeptExceptTrailingNewlines()
    {
        string path = Path.Combine(_dir, "bin");
        File.WriteAllBytes(path, [0, 1, 10, 255, 13, 10]);
        using SecretBuffer key = KeySource.ReadPassphrase(path, out _, StripeCipherTests.Env());
        Assert.Equal(new byte[] { 0, 1, 10, 255 }, key.UnsafeSpan.ToArray());
    }

    [Fact]
    public void Dash_ReadsStandardInput_BeforeEnvironment()
    {
        using var stdin = new MemoryStream("typed\n"u8.ToArray());
        using SecretBuffer key = KeySource.ReadPassphrase("-", out KeyOrigin origin, StripeCipherTests.Env(("ARGOSFS_KEY", "env")), stdin);
        Assert.Equal(KeyOrigin.StandardInput, origin);
        Assert.Equal("typed", Text(key));
    }

    [Fact]
    public void FromBytes_TrimsAndRejectsEmpty()
    {
        using SecretBuffer key = KeySource.FromBytes("abc\n"u8);
        Assert.Equal("abc", Text(key));
        Assert.Throws<EncryptionKeyException>(() => KeySource.FromBytes("\n"u8));
    }

    private string Write(string name, string content)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        return path;
    }

    internal static string Text(SecretBuffer key) => Encoding.UTF8.GetString(key.UnsafeSpan);
}

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class KeySourceProcessEnvironmentTests : IDisposable
{
    private readonly string? _savedKey = Environment.GetEnvironmentVariable(KeySource.KeyVariable);
    private readonly string? _savedKeyFile = Environment.GetEnvironmentVariable(KeySource.KeyFileVariable);
    private readonly string _file = Path.GetTempFileName();

    public void Dispose()
    {
        Environment.SetEnvironmentVariable(KeySource.KeyVariable, _savedKey);
        Environment.SetEnvironmentVariable(KeySource.KeyFileVariable, _savedKeyFile);
        File.Delete(_file);
    }

    [Fact]
    public void RealEnvironment_PrecedenceFileThenPassphraseThenMissing()
    {
        File.WriteAllText(_file, "file-secret\n");
        Environment.SetEnvironmentVariable(KeySource.KeyFileVariable, _file);
        Environment.SetEnvironmentVariable(KeySource.KeyVariable, "env-secret");
        using (SecretBuffer key = KeySource.ReadPassphrase(null, out KeyOrigin origin))
        {
            Assert.Equal(KeyOrigin.EnvironmentKeyFile, origin);
            Assert.Equal("file-secret", KeySourceTests.Text(key));
        }

        Environment.SetEnvironmentVariable(KeySource.KeyFileVariable, null);
        using (SecretBuffer key = KeySource.ReadPassphrase(null, out KeyOrigin origin))
        {
            Assert.Equal(KeyOrigin.EnvironmentPassphrase, origin);
            Assert.Equal("env-secret", KeySourceTests.Text(key));
        }

        Environment.SetEnvironmentVariable(KeySource.KeyVariable, null);
        var e = Assert.Throws<EncryptionKeyException>(() => KeySource.ReadPassphrase(null, out _));
        Assert.Equal(KeyProblem.Missing, e.Problem);
    }
}
