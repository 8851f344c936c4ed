using System.CommandLine;
using Argos.Cli.Commands;

namespace Argos.Cli;

/// <summary>Every subcommand of argosfs, in the order `--help` lists them.</summary>
public static partial class CommandTable
{
    public static IEnumerable<Command> All()
    {
        // Setup and discovery
        yield return PoolCommands.Mkfs();
        yield return PoolCommands.Scan();
        yield return PoolCommands.InspectPool();
        yield return PoolCommands.InspectDevice();
        yield return PoolCommands.VerifyJournal();

        // Serving
        yield return MountCommands.Mount();
    }
}
