using System.CommandLine;

namespace Argos.Cli;

/// <summary>Every subcommand of argosfs, in the order `--help` lists them.</summary>
public static partial class Commands
{
    public static IEnumerable<Command> All()
    {
        yield break;
    }
}
