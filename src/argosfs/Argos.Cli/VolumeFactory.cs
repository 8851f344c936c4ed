using System.CommandLine;
using Argos.Storage;
using Argos.Volume;

namespace Argos.Cli;

/// <summary>Opens the volume a command names, after checking the members are the pool it asked for.</summary>
public static class VolumeFactory
{
    public static readonly Option<string?> KeyFileOption = new("--key-file")
    {
        Description = "File holding the passphrase of an encrypted pool ('-' reads stdin); default ARGOSFS_KEY_FILE / ARGOSFS_KEY",
        Recursive = true,
    };

    public static readonly Option<bool> PassphraseStdinOption = new("--passphrase-stdin")
    {
        Description = "Read the passphrase of an encrypted pool from standard input",
        Recursive = true,
    };

    public static ArgosVolume Open(ParseResult r, PoolSelector selector, bool readOnly, VolumeOpenOptions? options = null)
    {
        var selection = selector.Resolve(r, BlockDevices.FindPool);
        if (selection.ExpectedPool is { } expected && !selection.FromScan)
        {
            var scanned = MemberScanner.Scan(selection.Paths).Where(x => x.Valid).ToList();
            if (scanned.Count > 0 && !scanned.Any(x => x.PoolName == expected || x.PoolUuid?.ToString() == expected))
            {
                throw new UsageException($"the members given belong to pool '{scanned[0].PoolName}' ({scanned[0].PoolUuid}), not '{expected}'; check --pool or the member list");
            }
        }
        var keyFile = r.GetValue(PassphraseStdinOption) ? "-" : r.GetValue(KeyFileOption);
        return ArgosVolume.Open(selection.Paths, (options ?? new VolumeOpenOptions()) with { ReadOnly = readOnly, KeyFile = keyFile });
    }
}
