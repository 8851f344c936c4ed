using System.CommandLine;
using System.Text.Json.Nodes;
using Argos.Cli.Parsing;
using Argos.DataPath.Codecs;
using Argos.Volume;

namespace Argos.Cli.Commands;

/// <summary>Encryption: enable-encryption [--reencrypt], encryption-status.</summary>
public static class EncryptionCommands
{
    public static Command EnableEncryption()
    {
        var sel = new PoolSelector();
        var reencrypt = new Option<bool>("--reencrypt")
        {
            Description = "Also rewrite every stripe still in plaintext (and inline file data) encrypted, stripe by stripe",
        };
        var ops = new Option<uint>("--kdf-ops")
        {
            Description = "Argon2id passes (default 3)",
            DefaultValueFactory = _ => KdfParameters.DefaultOpsLimit,
        };
        var memory = new Option<string>("--kdf-memory")
        {
            Description = "Argon2id memory (default 64MiB); the key is derived once per open with it",
            DefaultValueFactory = _ => "64MiB",
        };
        var cmd = new Command("enable-encryption",
            "Encrypt new data with XChaCha20-Poly1305 under a key derived from a passphrase (--key-file, --passphrase-stdin or ARGOSFS_KEY_FILE); it cannot be turned off");
        sel.AddTo(cmd);
        cmd.Options.Add(reencrypt);
        cmd.Options.Add(ops);
        cmd.Options.Add(memory);
        cmd.SetAction(r =>
        {
            if (!ByteSize.TryParse(r.GetValue(memory)!, out var memBytes, out var memError))
            {
                throw new UsageException($"--kdf-memory {r.GetValue(memory)}: {memError}");
            }
            var keyFile = r.GetValue(VolumeFactory.PassphraseStdinOption) ? KeySource.StandardInputPath : r.GetValue(VolumeFactory.KeyFileOption);
            using var volume = VolumeFactory.Open(r, sel, readOnly: false);
            var newlyEnabled = false;
            if (!volume.Settings.Encrypted || !r.GetValue(reencrypt))
            {
                if (volume.Settings.Encrypted)
                {
                    volume.EnableEncryption([]); // refuses with the message naming --reencrypt
                }
                using var passphrase = ReadPassphrase(keyFile);
                volume.EnableEncryption(passphrase.UnsafeSpan, r.GetValue(ops), memBytes);
                newlyEnabled = true;
            }
            ReencryptReport? re = null;
            if (r.GetValue(reencrypt))
            {
                var json = r.GetValue(Program.JsonOption);
                var lastPercent = -1L;
                re = volume.Reencrypt(json ? null : (done, total) =>
                {
                    var percent = total == 0 ? 100 : done * 100 / total;
                    if (percent / 10 != lastPercent / 10)
                    {
                        lastPercent = percent;
                        Console.Error.WriteLine($"reencrypt: {done}/{total} stripes and inline files ({percent}%)");
                    }
                });
            }
            var status = volume.GetEncryptionStatus();
            if (r.GetValue(Program.JsonOption))
            {
                var result = StatusJson(status);
                result["newly_enabled"] = newlyEnabled;
                if (re is not null)
                {
                    result["reencrypt"] = new JsonObject
                    {
                        ["stripes_rewritten"] = re.StripesRewritten,
                        ["inline_files_moved"] = re.InlineFilesMoved,
                        ["bytes_rewritten"] = re.BytesRewritten,
                        ["extents_wiped"] = re.ExtentsWiped,
                    };
                }
                Output.Json(result);
            }
            else
            {
                Output.Line(newlyEnabled
                    ? $"encryption enabled (argon2id, {status.OpsLimit} passes, {ByteSize.Format(status.MemLimitBytes)}): new data is encrypted"
                    : "encryption was already enabled");
                if (re is not null)
                {
                    Output.Line($"re-encrypted {re.StripesRewritten} stripes and {re.InlineFilesMoved} inline files ({ByteSize.Format((ulong)re.BytesRewritten)}); wiped {re.ExtentsWiped} plaintext extents");
                }
                else if (status.PlaintextStripes > 0 || status.InlineFiles > 0)
                {
                    Output.Line($"{status.PlaintextStripes} stripes and {status.InlineFiles} inline files are still plaintext; 'argosfs enable-encryption --reencrypt' rewrites them");
                }
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    public static Command EncryptionStatus()
    {
        var sel = new PoolSelector();
        var cmd = new Command("encryption-status", "Show whether the pool is encrypted and how many stripes are (opens read-only; reads no shard)");
        sel.AddTo(cmd);
        cmd.SetAction(r =>
        {
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            var status = volume.GetEncryptionStatus();
            if (r.GetValue(Program.JsonOption))
            {
                Output.Json(StatusJson(status));
            }
            else if (!status.Enabled)
            {
                Output.Line($"encryption: off ({status.PlaintextStripes} stripes, {status.InlineFiles} inline files); 'argosfs enable-encryption' turns it on");
            }
            else
            {
                Output.Line($"encryption: on, argon2id {status.OpsLimit} passes, {ByteSize.Format(status.MemLimitBytes)}; key {(status.HasKey ? "unlocked" : "not given")}");
                Output.Line($"  {status.EncryptedStripes} encrypted stripes, {status.PlaintextStripes} plaintext stripes, {status.InlineFiles} inline files" +
                            (status.PlaintextStripes + status.InlineFiles > 0 ? "; 'argosfs enable-encryption --reencrypt' seals the rest" : ""));
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static JsonObject StatusJson(EncryptionStatus s) => new()
    {
        ["enabled"] = s.Enabled,
        ["kdf"] = s.Enabled ? "argon2id" : null,
        ["ops_limit"] = s.OpsLimit,
        ["mem_limit_bytes"] = s.MemLimitBytes,
        ["key_available"] = s.HasKey,
        ["encrypted_stripes"] = s.EncryptedStripes,
        ["plaintext_stripes"] = s.PlaintextStripes,
        ["inline_files"] = s.InlineFiles,
    };

    private static Argos.Platform.Native.SecretBuffer ReadPassphrase(string? keyFile)
    {
        try
        {
            return KeySource.ReadPassphrase(keyFile, out _);
        }
        catch (EncryptionKeyException e) when (e.Problem == KeyProblem.Missing)
        {
            throw new UsageException("enable-encryption needs a passphrase: pass --key-file FILE or --passphrase-stdin, or set ARGOSFS_KEY_FILE");
        }
    }
}
