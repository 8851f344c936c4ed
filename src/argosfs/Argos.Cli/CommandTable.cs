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
        yield return SnapshotCommands.Snapshot();

        // Trees and files
        yield return TreeCommands.ImportTree();
        yield return TreeCommands.ExportTree();
        yield return FileCommands.Put();
        yield return FileCommands.Get();
        yield return FileCommands.Cat();
        yield return FileCommands.Ls();
        yield return FileCommands.Stat();
        yield return FileCommands.Mkdir();
        yield return FileCommands.Mknod();
        yield return FileCommands.Symlink();
        yield return FileCommands.Link();
        yield return FileCommands.Rename();
        yield return FileCommands.Rm();
        yield return FileCommands.Chmod();
        yield return FileCommands.Chown();
        yield return FileCommands.Truncate();
        yield return FileCommands.Setfattr();
        yield return FileCommands.Getfattr();

        // Checking and healing
        yield return MaintenanceCommands.Fsck();
        yield return MaintenanceCommands.Scrub();
        yield return AutopilotCommands.Autopilot();

        // Encryption
        yield return EncryptionCommands.EnableEncryption();
        yield return EncryptionCommands.EncryptionStatus();

        // Serving
        yield return MountCommands.Mount();

        // Root filesystem
        yield return RootCommands.PreflightRoot();
    }
}
