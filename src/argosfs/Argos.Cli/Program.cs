using System.CommandLine;

namespace Argos.Cli;

public static class Program
{
    /// <summary>--json, accepted before or after the subcommand.</summary>
    public static readonly Option<bool> JsonOption = new("--json")
    {
        Description = "Print machine-readable JSON",
        Recursive = true,
    };

    public static int Main(string[] args)
    {
        // A root daemon runs with argv[0] = "@argosfs" (systemd's mark for root storage daemons).
        // Take the arguments from the full argv so that name never reaches the parser, and never
        // expand '@file' response files.
        var argv = Environment.GetCommandLineArgs();
        if (argv.Length > 0 && argv[0].StartsWith('@'))
        {
            args = argv[1..];
        }
        var root = BuildRoot();
        ParseResult parsed;
        try
        {
            parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        }
        catch (Exception e)
        {
            Output.Error(e.Message);
            return ExitCodes.Usage;
        }
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                Output.Error(error.Message + " (see 'argosfs --help')");
            }
            return ExitCodes.Usage;
        }
        return Run(parsed);
    }

    internal static RootCommand BuildRoot()
    {
        var root = new RootCommand("argosfs: an erasure-coded, self-healing root filesystem (Reed-Solomon k+m over several members, served through FUSE)");
        root.Options.Add(JsonOption);
        root.Options.Add(VolumeFactory.KeyFileOption);
        root.Options.Add(VolumeFactory.PassphraseStdinOption);
        foreach (var command in CommandTable.All())
        {
            root.Subcommands.Add(command);
        }
        return root;
    }

    /// <summary>The one exception boundary of the CLI: expected failures print one line naming the
    /// problem and the fix; anything else is a bug and prints its stack.</summary>
    private static int Run(ParseResult parsed)
    {
        try
        {
            return parsed.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (UsageException e)
        {
            Output.Error(e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (IsBug(e))
        {
            Output.Error($"internal error ({e.GetType().Name}): {e.Message}; please report this with the output below");
            Console.Error.WriteLine(e);
            return ExitCodes.Internal;
        }
        catch (Exception e)
        {
            Output.Error(e.Message);
            return ExitCodes.Failure;
        }
    }

    private static bool IsBug(Exception e) =>
        e is NullReferenceException or IndexOutOfRangeException or InvalidCastException
            or ArgumentNullException or NotImplementedException or AccessViolationException;
}

public static class ExitCodes
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int Usage = 2;
    public const int Internal = 70;
}
