using Argos.Format;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// readdir: '.' (cookie 1), '..' (cookie 2), then entries in cookie order. A call resumes after the
/// cookie it is given, found by binary search (O(log n + count)); entries added since then have
/// larger cookies and are returned, removed ones are not, and every entry present throughout the
/// listing is returned exactly once, whatever changed between calls.
/// </summary>
public sealed partial class FsNamespace
{
    public int ReadDirectory(InodeId directory, ulong afterCookie, int maxEntries, List<DirEntry> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return ReadDirectoryCore(directory, afterCookie, maxEntries, output, null);
    }

    /// <summary>READDIRPLUS: entries with their attributes, read under one lock hold.</summary>
    public int ReadDirectoryPlus(InodeId directory, ulong afterCookie, int maxEntries, List<DirEntryPlus> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return ReadDirectoryCore(directory, afterCookie, maxEntries, null, output);
    }

    private int ReadDirectoryCore(InodeId directory, ulong afterCookie, int maxEntries, List<DirEntry>? output, List<DirEntryPlus>? plus)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxEntries);
        while (true)
        {
            _lock.EnterReadLock();
            try
            {
                InodeNode dir = Directory(directory.Value);
                _dirs.TryGetValue(dir.Ino, out DirectoryIndex? index);
                if (index is not null && !index.IsSorted)
                {
                    goto sort;
                }
                int added = 0;
                if (afterCookie < DotCookie && added < maxEntries)
                {
                    Emit(s_dot, dir, DotCookie);
                    added++;
                }
                if (afterCookie < DotDotCookie && added < maxEntries)
                {
                    ulong parent = dir.Parent == 0 ? dir.Ino : dir.Parent;
                    Emit(s_dotDot, _inodes.TryGetValue(parent, out InodeNode? p) ? p : dir, DotDotCookie);
                    added++;
                }
                if (index is not null)
                {
                    for (int i = index.FirstAfter(Math.Max(afterCookie, DotDotCookie)); i < index.Used && added < maxEntries; i++)
                    {
                        ref readonly DirectoryIndex.Slot s = ref index.At(i);
                        if (s.Name is null)
                        {
                            continue;
                        }
                        if (plus is not null)
                        {
                            InodeNode child = Node(s.Child);
                            plus.Add(new DirEntryPlus(new DirEntry(s.Name, new InodeId(s.Child), PosixMode.TypeOf((uint)s.Type << 12), s.Cookie),
                                child.ToAttributes()));
                        }
                        else
                        {
                            output!.Add(new DirEntry(s.Name, new InodeId(s.Child), PosixMode.TypeOf((uint)s.Type << 12), s.Cookie));
                        }
                        added++;
                    }
                }
                return added;
            }
            finally
            {
                _lock.ExitReadLock();
            }
        sort:
            SortPendingDirectories();
        }

        void Emit(byte[] name, InodeNode node, ulong cookie)
        {
            var entry = new DirEntry(name, new InodeId(node.Ino), FileType.Directory, cookie);
            if (plus is not null)
            {
                plus.Add(new DirEntryPlus(entry, node.ToAttributes()));
            }
            else
            {
                output!.Add(entry);
            }
        }
    }

    /// <summary>Number of entries in a directory, '.' and '..' excluded.</summary>
    public int EntryCount(InodeId directory)
    {
        _lock.EnterReadLock();
        try
        {
            InodeNode dir = Directory(directory.Value);
            return _dirs.TryGetValue(dir.Ino, out DirectoryIndex? index) ? index.Count : 0;
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    /// <summary>
    /// Resolves an absolute path (relative paths start at the root too) component by component,
    /// following symlinks in the middle, and at the end when <paramref name="followLast"/>.
    /// ELOOP after <see cref="MaxSymlinkFollows"/> links, ENOTDIR through a non-directory,
    /// ENAMETOOLONG for a component over 255 bytes or a path over 4095.
    /// </summary>
    public InodeId Resolve(ReadOnlySpan<byte> path, bool followLast = true)
    {
        if (path.Length > SymlinkMaxBytes)
        {
            ThrowHelper.Fail(Errno.ENAMETOOLONG, $"path of {path.Length} bytes exceeds PATH_MAX");
        }
        _lock.EnterReadLock();
        try
        {
            // Pending components, last component on top.
            var pending = new Stack<byte[]>();
            PushComponents(pending, path);
            ulong current = InodeId.Root.Value;
            int follows = 0;
            while (pending.Count > 0)
            {
                byte[] component = pending.Pop();
                InodeNode dir = Node(current);
                if (!dir.IsDirectory)
                {
                    ThrowHelper.Fail(Errno.ENOTDIR, $"path component before '{ThrowHelper.NameText(component)}' is not a directory");
                }
                ulong child = LookupCore(current, component);
                InodeNode node = Node(child);
                if (PosixMode.IsSymlink(node.Mode) && (pending.Count > 0 || followLast))
                {
                    if (++follows > MaxSymlinkFollows)
                    {
                        ThrowHelper.Fail(Errno.ELOOP, $"more than {MaxSymlinkFollows} symbolic links while resolving the path");
                    }
                    ReadOnlySpan<byte> target = node.Data;
                    PushComponents(pending, target);
                    if (target.Length > 0 && target[0] == (byte)'/')
                    {
                        current = InodeId.Root.Value;
                    }
                    continue;
                }
                current = child;
            }
            return new InodeId(current);
        }
        finally
        {
            _lock.ExitReadLock();
        }
    }

    private static void PushComponents(Stack<byte[]> pending, ReadOnlySpan<byte> path)
    {
        var parts = new List<byte[]>();
        foreach (Range r in path.Split((byte)'/'))
        {
            ReadOnlySpan<byte> part = path[r];
            if (part.Length == 0 || (part.Length == 1 && part[0] == (byte)'.'))
            {
                continue;
            }
            parts.Add(part.ToArray());
        }
        for (int i = parts.Count - 1; i >= 0; i--)
        {
            pending.Push(parts[i]);
        }
    }
}
