using Argos.Platform.Native;

namespace Argos.DataPath.Codecs;

/// <summary>Where a passphrase came from (for messages and logs; never log the passphrase).</summary>
public enum KeyOrigin
{
    /// <summary>The key file named on the command line (--key-file PATH).</summary>
    KeyFileOption,

    /// <summary>Standard input (--key-file -).</summary>
    StandardInput,

    /// <summary>The file named by ARGOSFS_KEY_FILE.</summary>
    EnvironmentKeyFile,

    /// <summary>The passphrase in ARGOSFS_KEY.</summary>
    EnvironmentPassphrase,

    /// <summary>Bytes handed over by the caller (an interactive prompt).</summary>
    Direct,
}

/// <summary>
/// Finds the passphrase of an encrypted pool. Precedence, first present wins:
/// <list type="number">
/// <item>an explicit key file (<c>--key-file PATH</c>; <c>-</c> means standard input),</item>
/// <item><c>ARGOSFS_KEY_FILE</c>: a file whose content is the passphrase,</item>
/// <item><c>ARGOSFS_KEY</c>: the passphrase itself (visible in /proc/PID/environ: prefer a key file).</item>
/// </list>
/// File and stdin content is taken as raw bytes with trailing '\n' and '\r' removed (so
/// <c>echo secret &gt; key</c> works); ARGOSFS_KEY is UTF-8 encoded. At most <see cref="MaxPassphraseBytes"/>.
/// The result lives in a <see cref="SecretBuffer"/> (zeroed on dispose); intermediate copies are wiped.
/// </summary>
public static class KeySource
{
    public const string KeyVariable = "ARGOSFS_KEY";
    public const string KeyFileVariable = "ARGOSFS_KEY_FILE";
    public const string StandardInputPath = "-";
    public const int MaxPassphraseBytes = 64 * 1024;

    public const string MissingKeyMessage = "encrypted pool: no key; set ARGOSFS_KEY_FILE or pass --key-file";

    /// <summary>
    /// Resolves the passphrase. <paramref name="environment"/> defaults to the process environment and
    /// <paramref name="standardInput"/> to the process's stdin (both injectable for tests).
    /// Throws <see cref="EncryptionKeyException"/> when no source is set or the source is unusable.
    /// </summary>
    public static SecretBuffer ReadPassphrase(string? keyFile, out KeyOrigin origin,
        Func<string, string?>? environment = null, Stream? standardInput = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (!string.IsNullOrEmpty(keyFile))
        {
            if (keyFile == StandardInputPath)
            {
                origin = KeyOrigin.StandardInput;
                if (standardInput is not null)
                {
                    return ReadStream(standardInput, "standard input (--key-file -)");
                }

                using Stream stdin = Console.OpenStandardInput();
                return ReadStream(stdin, "standard input (--key-file -)");
            }

            origin = KeyOrigin.KeyFileOption;
            return ReadFile(keyFile, "--key-file");
        }

        string? envFile = environment(KeyFileVariable);
        if (!string.IsNullOrEmpty(envFile))
        {
            origin = KeyOrigin.EnvironmentKeyFile;
            return ReadFile(envFile, KeyFileVariable);
        }

        string? envKey = environment(KeyVariable);
        if (!string.IsNullOrEmpty(envKey))
        {
            origin = KeyOrigin.EnvironmentPassphrase;
            return FromString(envKey, KeyVariable);
        }

        throw new EncryptionKeyException(KeyProblem.Missing, MissingKeyMessage);
    }

    /// <summary>Wraps a passphrase the caller already holds (e.g. typed at a prompt); the caller wipes its copy.</summary>
    public static SecretBuffer FromBytes(ReadOnlySpan<byte> passphrase)
    {
        ReadOnlySpan<byte> trimmed = TrimNewlines(passphrase);
        CheckLength(trimmed.Length, "the given passphrase");
        return SecretBuffer.CopyOf(trimmed);
    }

    private static SecretBuffer FromString(string passphrase, string what)
    {
        byte[] bytes = GC.AllocateUninitializedArray<byte>(System.Text.Encoding.UTF8.GetMaxByteCount(passphrase.Length), pinned: true);
        try
        {
            int length = System.Text.Encoding.UTF8.GetBytes(passphrase, bytes);
            ReadOnlySpan<byte> trimmed = TrimNewlines(bytes.AsSpan(0, length));
            CheckLength(trimmed.Length, what);
            return SecretBuffer.CopyOf(trimmed);
        }
        finally
        {
            Sodium.Zero(bytes);
        }
    }

    private static SecretBuffer ReadFile(string path, string what)
    {
        string source = $"key file {path} ({what})";
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 0);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new EncryptionKeyException(KeyProblem.Unreadable,
                $"encrypted pool: cannot read {source}: {e.Message}; check the path and its permissions", e);
        }

        using (stream)
        {
            return ReadStream(stream, source);
        }
    }

    private static SecretBuffer ReadStream(Stream stream, string source)
    {
        // Pinned so the GC never leaves copies behind; wiped before returning.
        byte[] buffer = GC.AllocateUninitializedArray<byte>(MaxPassphraseBytes + 1, pinned: true);
        try
        {
            int total = 0;
            try
            {
                int read;
                while (total < buffer.Length && (read = stream.Read(buffer, total, buffer.Length - total)) > 0)
                {
                    total += read;
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
            {
                throw new EncryptionKeyException(KeyProblem.Unreadable, $"encrypted pool: cannot read {source}: {e.Message}", e);
            }

            ReadOnlySpan<byte> trimmed = TrimNewlines(buffer.AsSpan(0, total));
            CheckLength(trimmed.Length, source);
            return SecretBuffer.CopyOf(trimmed);
        }
        finally
        {
            Sodium.Zero(buffer);
        }
    }

    private static ReadOnlySpan<byte> TrimNewlines(ReadOnlySpan<byte> bytes) => bytes.TrimEnd("\r\n"u8);

    private static void CheckLength(int length, string source)
    {
        if (length == 0)
        {
            throw new EncryptionKeyException(KeyProblem.Invalid,
                $"encrypted pool: {source} holds an empty passphrase; put the passphrase in it (a trailing newline is ignored)");
        }

        if (length > MaxPassphraseBytes)
        {
            throw new EncryptionKeyException(KeyProblem.Invalid,
                $"encrypted pool: {source} is longer than {MaxPassphraseBytes} bytes; is it the right file?");
        }
    }
}
