using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Argos.Cli.Parsing;
using Argos.Volume;
using Argos.Volume.Tree;

namespace Argos.Cli.Commands;

/// <summary>Whole trees in and out of a pool: import-tree, export-tree.</summary>
public static class TreeCommands
{
    public static Command ImportTree()
    {
        var sel = new PoolSelector();
        var source = new Argument<string>("SOURCE") { Description = "Host directory whose contents are copied (e.g. a debootstrap tree)" };
        var dest = new Argument<string>("DEST") { Description = "Pool directory to copy into (must exist)", DefaultValueFactory = _ => "/" };
        var skipErrors = new Option<bool>("--skip-errors")
        {
            Description = "Leave out entries that cannot be read, list them, and exit 1 at the end (default: abort on the first)",
        };
        var oneFs = new Option<bool>("--one-file-system", "-x") { Description = "Do not descend into other file systems mounted below SOURCE" };
        var exclude = new Option<string[]>("--exclude")
        {
            Description = "Path relative to SOURCE to leave out (repeatable, or comma-separated), e.g. --exclude proc,sys,dev,run",
            CustomParser = r => PoolSelector.SplitList(r.Tokens.Select(t => t.Value)),
        };
        var batch = new Option<int>("--batch-entries") { Description = "Commit after this many entries (or 64 MiB of data)", DefaultValueFactory = _ => 1000 };
        var cmd = new Command("import-tree",
            "Copy a host directory tree into the pool: files (holes kept), directories, symlinks, hard links, devices, FIFOs, sockets, owners, modes, ns times, all xattrs and ACLs");
        sel.AddTo(cmd);
        cmd.Arguments.Add(source);
        cmd.Arguments.Add(dest);
        cmd.Options.Add(skipErrors); cmd.Options.Add(oneFs); cmd.Options.Add(exclude); cmd.Options.Add(batch);
        cmd.SetAction(r =>
        {
            var src = r.GetValue(source)!;
            var destination = r.GetValue(dest)!;
            if (!Directory.Exists(src))
            {
                throw new UsageException($"import source '{src}' is not a directory on this machine; give the directory whose contents to import");
            }
            if (!destination.StartsWith('/'))
            {
                throw new UsageException($"DEST '{destination}' is not absolute; pool paths start at the pool root, e.g. / or /srv");
            }
            if (r.GetValue(batch) < 1)
            {
                throw new UsageException("--batch-entries must be at least 1");
            }
            var json = r.GetValue(Program.JsonOption);
            using var progress = new ProgressPrinter("import");
            using var volume = VolumeFactory.Open(r, sel, readOnly: false, new VolumeOpenOptions { CommitMaxTransactions = int.MaxValue });
            var result = new TreeImporter(volume, new TreeImportOptions
            {
                SkipErrors = r.GetValue(skipErrors),
                OneFileSystem = r.GetValue(oneFs),
                Exclude = r.GetValue(exclude) ?? [],
                BatchEntries = r.GetValue(batch),
                Progress = progress.Report,
            }).Import(src, destination);
            volume.Close();
            progress.Finish();
            Print(json, "imported", src, destination, result);
            foreach (var s in result.Skipped)
            {
                Output.Error("skipped " + s);
            }
            if (result.Skipped.Count > 0)
            {
                Output.Error($"{result.Skipped.Count} entries could not be read and were left out; fix them and import again into an empty directory");
                return ExitCodes.Failure;
            }
            return ExitCodes.Success;
        });
        return cmd;
    }

    public static Command ExportTree()
    {
        var sel = new PoolSelector();
        var dest = new Argument<string>("DEST") { Description = "Host directory to create (or an empty one) that receives the tree" };
        var from = new Option<string>("--from") { Description = "Pool directory to export", DefaultValueFactory = _ => "/" };
        var snapshot = SnapshotCommands.SnapshotOption();
        var cmd = new Command("export-tree",
            "Copy the pool's tree (or --from DIR) onto the host, restoring hard links, devices, FIFOs, sockets, owners, modes, ns times, xattrs and ACLs (opens read-only)");
        sel.AddTo(cmd);
        cmd.Arguments.Add(dest);
        cmd.Options.Add(from);
        cmd.Options.Add(snapshot);
        cmd.SetAction(r =>
        {
            var destination = r.GetValue(dest)!;
            if (r.GetValue(snapshot) is { } snap) SnapshotCommands.RequireValidName(snap);
            var fromDir = r.GetValue(from)!;
            if (!fromDir.StartsWith('/'))
            {
                throw new UsageException($"--from '{fromDir}' is not absolute; pool paths start at the pool root, e.g. /etc");
            }
            if (File.Exists(destination))
            {
                throw new UsageException($"export destination '{destination}' is a file; give a new or empty directory");
            }
            var parent = Path.GetDirectoryName(Path.GetFullPath(destination));
            if (parent is not null && !Directory.Exists(parent))
            {
                throw new UsageException($"the parent of '{destination}' does not exist; create it first (mkdir -p {parent})");
            }
            var json = r.GetValue(Program.JsonOption);
            using var progress = new ProgressPrinter("export");
            using var volume = VolumeFactory.Open(r, sel, readOnly: true);
            using var view = r.GetValue(snapshot) is { } name ? volume.OpenSnapshot(name) : null;
            var result = new TreeExporter(view is null ? volume : view, new TreeExportOptions { Progress = progress.Report }).Export(destination, fromDir);
            progress.Finish();
            Print(json, "exported", fromDir, destination, result);
            return ExitCodes.Success;
        });
        return cmd;
    }

    private static void Print(bool json, string verb, string from, string to, TreeCopyResult r)
    {
        var seconds = Math.Max(r.Elapsed.TotalSeconds, 1e-6);
        if (json)
        {
            Output.Json(new JsonObject
            {
                ["from"] = from,
                ["to"] = to,
                ["entries"] = r.Entries,
                ["files"] = r.Files,
                ["directories"] = r.Directories,
                ["symlinks"] = r.Symlinks,
                ["specials"] = r.Specials,
                ["hard_links"] = r.HardLinks,
                ["bytes"] = r.Bytes,
                ["data_bytes"] = r.DataBytes,
                ["xattrs"] = r.Xattrs,
                ["commits"] = r.Commits,
                ["seconds"] = Math.Round(r.Elapsed.TotalSeconds, 3),
                ["skipped"] = new JsonArray(r.Skipped.Select(s => (JsonNode)JsonValue.Create(s)!).ToArray()),
            });
            return;
        }
        Output.Line(string.Create(CultureInfo.InvariantCulture,
            $"{verb} {r.Entries} entries from {from} to {to}: {r.Files} files ({ByteSize.Format((ulong)r.Bytes)}, {ByteSize.Format((ulong)r.DataBytes)} of data), {r.Directories} directories, {r.Symlinks} symlinks, {r.Specials} devices/FIFOs/sockets, {r.HardLinks} hard links, {r.Xattrs} xattrs in {r.Elapsed.TotalSeconds:0.0} s ({r.DataBytes / seconds / 1e6:0.0} MB/s)"));
    }
}

/// <summary>
/// Progress of a long copy on stderr: on a terminal one line rewritten in place (\r) a few times a
/// second; otherwise (logs, pipes) a plain line every 5 seconds.
/// </summary>
internal sealed class ProgressPrinter(string verb) : IDisposable
{
    private static readonly TimeSpan s_ttyInterval = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan s_plainInterval = TimeSpan.FromSeconds(5);

    private readonly bool _tty = !Console.IsErrorRedirected;
    private readonly Stopwatch _since = Stopwatch.StartNew();
    private bool _drawn;

    public void Report(TreeProgress p)
    {
        if (_since.Elapsed < (_tty ? s_ttyInterval : s_plainInterval)) return;
        _since.Restart();
        var rate = p.Bytes / Math.Max(p.Elapsed.TotalSeconds, 1e-6) / 1e6;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{verb}: {p.Entries} entries, {p.Files} files, {ByteSize.Format((ulong)p.Bytes)}, {rate:0.0} MB/s, {p.Elapsed.TotalSeconds:0} s");
        if (_tty)
        {
            var width = Math.Max(40, SafeWidth() - 1);
            var path = p.CurrentPath;
            var room = width - line.Length - 2;
            if (room > 10)
            {
                line += "  " + (path.Length > room ? "…" + path[^(room - 1)..] : path);
            }
            Console.Error.Write("\r\u001b[K" + (line.Length > width ? line[..width] : line));
            _drawn = true;
        }
        else
        {
            Console.Error.WriteLine("argosfs: " + line);
        }
    }

    public void Finish()
    {
        if (_drawn)
        {
            Console.Error.Write("\r\u001b[K");
            _drawn = false;
        }
    }

    public void Dispose() => Finish();

    private static int SafeWidth()
    {
        try
        {
            return Console.WindowWidth > 0 ? Console.WindowWidth : 100;
        }
        catch (IOException)
        {
            return 100;
        }
    }
}
