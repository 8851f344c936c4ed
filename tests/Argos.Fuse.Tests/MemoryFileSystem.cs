using System.Text;
using Argos.Platform;

namespace Argos.Fuse.Tests;

/// <summary>
/// A small in-memory filesystem used only to drive real mounts in tests. One lock; node ids never reused;
/// handles are node ids. Not a model of Argos semantics — just enough POSIX for the kernel to be happy.
/// </summary>
internal sealed class MemoryFileSystem : FuseFileSystem
{
    private const uint S_IFMT = 0xF000, S_IFDIR = 0x4000, S_IFREG = 0x8000, S_IFLNK = 0xA000;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(1);

    private readonly object _lock = new();
    private readonly Dictionary<ulong, Node> _nodes = [];
    private ulong _nextId = 2;
    private int _destroyCount;
    private int _maxWriteSeen;
    private readonly HashSet<int> _threads = [];

    public MemoryFileSystem()
    {
        var now = FuseTimestamp.Now;
        _nodes[1] = new Node(1, new FuseAttr { Ino = 1, Mode = S_IFDIR | 0x1ED, Nlink = 2, Atime = now, Mtime = now, Ctime = now });
    }

    public int DestroyCount => Volatile.Read(ref _destroyCount);
    public int MaxWriteSeen => Volatile.Read(ref _maxWriteSeen);
    public FuseConnectionInfo? Connection { get; private set; }

    public int DistinctThreads
    {
        get
        {
            lock (_threads)
            {
                return _threads.Count;
            }
        }
    }

    /// <summary>Adds a file directly (no kernel involved); returns its node id.</summary>
    public ulong AddFile(string name, byte[] content)
    {
        lock (_lock)
        {
            var node = NewNode(S_IFREG | 0x1A4, 0, 0);
            node.Data = content;
            node.Attr.Size = (ulong)content.Length;
            _nodes[1].Children[name] = node.Id;
            return node.Id;
        }
    }

    /// <summary>READs of this node say they will block (<see cref="FuseContext.WillBlock"/>), set <see cref="SlowReadEntered"/> and wait for <see cref="SlowReadGate"/>.</summary>
    public ulong SlowReadNode { get; set; }
    public ManualResetEventSlim SlowReadEntered { get; } = new();
    public ManualResetEventSlim SlowReadGate { get; } = new();

    /// <summary>Runs at the start of every LOOKUP, on the worker serving it.</summary>
    public Action? OnLookup { get; set; }

    /// <summary>While set, each LOOKUP records the serving thread and its context switches so far (voluntary and not).</summary>
    public bool RecordLookups { get; set; }
    public System.Collections.Concurrent.ConcurrentQueue<(int Thread, long ContextSwitches)> Lookups { get; } = new();

    private static long ContextSwitchesOfThisThread()
    {
        long total = 0;
        foreach (var line in File.ReadLines("/proc/thread-self/status"))
        {
            int colon = line.IndexOf(':');
            if (colon > 0 && line.AsSpan(0, colon).EndsWith("ctxt_switches", StringComparison.Ordinal))
            {
                total += long.Parse(line.AsSpan(colon + 1).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return total;
    }

    public override void Init(FuseConnectionInfo connection) => Connection = connection;

    public override void Destroy() => Interlocked.Increment(ref _destroyCount);

    public override Errno Lookup(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, out FuseEntry entry)
    {
        OnLookup?.Invoke();
        if (RecordLookups)
        {
            Lookups.Enqueue((Environment.CurrentManagedThreadId, ContextSwitchesOfThisThread()));
        }

        entry = default;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(parent.Value, out var dir) || !dir.IsDir)
            {
                return Errno.ENOTDIR;
            }

            if (!dir.Children.TryGetValue(Encoding.UTF8.GetString(name), out var id))
            {
                return Errno.ENOENT;
            }

            entry = Entry(_nodes[id]);
            return Errno.None;
        }
    }

    public override Errno GetAttr(in FuseContext context, NodeId node, FileHandle? handle, out FuseAttrResult attr)
    {
        Track();
        attr = default;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(node.Value, out var n))
            {
                return Errno.ENOENT;
            }

            attr = new FuseAttrResult(n.Attr, s_timeout);
            return Errno.None;
        }
    }

    public override Errno SetAttr(in FuseContext context, NodeId node, in FuseSetAttr changes, out FuseAttrResult attr)
    {
        attr = default;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(node.Value, out var n))
            {
                return Errno.ENOENT;
            }

            var now = FuseTimestamp.Now;
            if (changes.Has(FuseSetAttrValid.Mode))
            {
                n.Attr.Mode = (n.Attr.Mode & S_IFMT) | (changes.Mode & 0xFFF);
            }

            if (changes.Has(FuseSetAttrValid.Uid))
            {
                n.Attr.Uid = changes.Uid;
            }

            if (changes.Has(FuseSetAttrValid.Gid))
            {
                n.Attr.Gid = changes.Gid;
            }

            if (changes.Has(FuseSetAttrValid.Size))
            {
                Resize(n, (long)changes.Size);
                n.Attr.Mtime = now;
            }

            n.Attr.Atime = changes.ResolveAtime(now) ?? n.Attr.Atime;
            n.Attr.Mtime = changes.ResolveMtime(now) ?? n.Attr.Mtime;
            n.Attr.Ctime = now;
            attr = new FuseAttrResult(n.Attr, s_timeout);
            return Errno.None;
        }
    }

    public override Errno ReadLink(in FuseContext context, NodeId node, Span<byte> target, out int length)
    {
        length = 0;
        lock (_lock)
        {
            if (!_nodes.TryGetValue(node.Value, out var n) || n.Target is null)
            {
                return Errno.EINVAL;
            }

            n.Target.CopyTo(target);
            length = n.Target.Length;
            return Errno.None;
        }
    }

    public override Errno Symlink(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, ReadOnlySpan<byte> target, out FuseEntry entry)
    {
        var targetBytes = target.ToArray();
        var errno = AddChild(context, parent, name, S_IFLNK | 0x1FF, out entry, node =>
        {
            node.Target = targetBytes;
            node.Attr.Size = (ulong)targetBytes.Length;
        });
        return errno;
    }

    public override Errno Mknod(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint rdev, uint umask, out FuseEntry entry)
        => AddChild(context, parent, name, mode, out entry, node => node.Attr.Rdev = rdev);

    public override Errno Mkdir(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, uint umask, out FuseEntry entry)
        => AddChild(context, parent, name, S_IFDIR | (mode & 0xFFF), out entry, null);

    public override Errno Create(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, in FuseOpenRequest request, out FuseEntry entry, out FuseOpenResult result)
    {
        var errno = AddChild(context, parent, name, S_IFREG | (request.Mode & 0xFFF), out entry, null);
        result = new FuseOpenResult(new FileHandle(entry.Node.Value));
        return errno;
    }

    public override Errno Unlink(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name) => Remove(parent, name, directory: false);

    public override Errno Rmdir(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name) => Remove(parent, name, directory: true);

    public override Errno Rename(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, NodeId newParent, ReadOnlySpan<byte> newName, FuseRenameFlags flags)
    {
        string from = Encoding.UTF8.GetString(name), to = Encoding.UTF8.GetString(newName);
        lock (_lock)
        {
            var source = _nodes[parent.Value];
            var target = _nodes[newParent.Value];
            if (!source.Children.TryGetValue(from, out var id))
            {
                return Errno.ENOENT;
            }

            bool exists = target.Children.TryGetValue(to, out var existing);
            if ((flags & FuseRenameFlags.NoReplace) != 0 && exists)
            {
                return Errno.EEXIST;
            }

            if ((flags & FuseRenameFlags.Exchange) != 0)
            {
                if (!exists)
                {
                    return Errno.ENOENT;
                }

                source.Children[from] = existing;
                target.Children[to] = id;
                return Errno.None;
            }

            if (exists && _nodes[existing].IsDir && _nodes[existing].Children.Count > 0)
            {
                return Errno.ENOTEMPTY;
            }

            if (exists)
            {
                _nodes[existing].Attr.Nlink--;
            }

            source.Children.Remove(from);
            target.Children[to] = id;
            _nodes[id].Attr.Ctime = FuseTimestamp.Now;
            return Errno.None;
        }
    }

    public override Errno Link(in FuseContext context, NodeId node, NodeId newParent, ReadOnlySpan<byte> newName, out FuseEntry entry)
    {
        entry = default;
        lock (_lock)
        {
            var n = _nodes[node.Value];
            var dir = _nodes[newParent.Value];
            string name = Encoding.UTF8.GetString(newName);
            if (dir.Children.ContainsKey(name))
            {
                return Errno.EEXIST;
            }

            dir.Children[name] = n.Id;
            n.Attr.Nlink++;
            n.Attr.Ctime = FuseTimestamp.Now;
            entry = Entry(n);
            return Errno.None;
        }
    }

    public override Errno Open(in FuseContext context, NodeId node, in FuseOpenRequest request, out FuseOpenResult result)
    {
        result = new FuseOpenResult(new FileHandle(node.Value));
        if ((request.Flags & 0x200) != 0) // O_TRUNC (FUSE_ATOMIC_O_TRUNC)
        {
            lock (_lock)
            {
                Resize(_nodes[node.Value], 0);
            }
        }

        return Errno.None;
    }

    public override Errno Read(in FuseContext context, NodeId node, FileHandle handle, ulong offset, Span<byte> destination, out int bytesRead)
    {
        Track();
        bytesRead = 0;
        if (destination.Length >= 128 * 1024)
        {
            context.WillBlock(); // as a filesystem reading large ranges from its storage says
        }

        if (node.Value == SlowReadNode && SlowReadNode != 0)
        {
            context.WillBlock();
            SlowReadEntered.Set();
            if (!SlowReadGate.Wait(TimeSpan.FromSeconds(60)))
            {
                return Errno.EIO;
            }
        }

        lock (_lock)
        {
            var n = _nodes[node.Value];
            if (offset >= n.Attr.Size)
            {
                return Errno.None;
            }

            bytesRead = (int)Math.Min((ulong)destination.Length, n.Attr.Size - offset);
            n.Data.AsSpan((int)offset, bytesRead).CopyTo(destination);
            return Errno.None;
        }
    }

    public override Errno Write(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ReadOnlySpan<byte> data, FuseWriteFlags flags, int openFlags, out int bytesWritten)
    {
        Track();
        int seen;
        while (data.Length > (seen = Volatile.Read(ref _maxWriteSeen)) && Interlocked.CompareExchange(ref _maxWriteSeen, data.Length, seen) != seen)
        {
        }

        lock (_lock)
        {
            var n = _nodes[node.Value];
            long end = (long)offset + data.Length;
            if (end > (long)n.Attr.Size)
            {
                Resize(n, end);
            }

            data.CopyTo(n.Data.AsSpan((int)offset));
            n.Attr.Mtime = n.Attr.Ctime = FuseTimestamp.Now;
            bytesWritten = data.Length;
            return Errno.None;
        }
    }

    public override Errno StatFs(in FuseContext context, NodeId node, out FuseStatFs stat)
    {
        stat = new FuseStatFs { Blocks = 1 << 20, BlocksFree = 1 << 19, BlocksAvailable = 1 << 19, Files = 1 << 16, FilesFree = 1 << 15, BlockSize = 4096, FragmentSize = 4096, NameMax = 255 };
        return Errno.None;
    }

    public override Errno Flush(in FuseContext context, NodeId node, FileHandle handle, ulong lockOwner) => Errno.None;

    public override Errno Fsync(in FuseContext context, NodeId node, FileHandle handle, bool dataOnly) => Errno.None;

    public override Errno SetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, FuseXattrFlags flags, bool aclKillSgid)
    {
        lock (_lock)
        {
            var n = _nodes[node.Value];
            string key = Encoding.UTF8.GetString(name);
            bool exists = n.Xattrs.ContainsKey(key);
            if ((flags & FuseXattrFlags.Create) != 0 && exists)
            {
                return Errno.EEXIST;
            }

            if ((flags & FuseXattrFlags.Replace) != 0 && !exists)
            {
                return Errno.ENODATA;
            }

            n.Xattrs[key] = value.ToArray();
            return Errno.None;
        }
    }

    public override Errno GetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, Span<byte> destination, out int valueLength)
    {
        valueLength = 0;
        lock (_lock)
        {
            if (!_nodes[node.Value].Xattrs.TryGetValue(Encoding.UTF8.GetString(name), out var value))
            {
                return Errno.ENODATA;
            }

            value.CopyTo(destination);
            valueLength = value.Length;
            return Errno.None;
        }
    }

    public override Errno ListXattr(in FuseContext context, NodeId node, Span<byte> destination, out int listLength)
    {
        lock (_lock)
        {
            int offset = 0;
            foreach (var key in _nodes[node.Value].Xattrs.Keys)
            {
                offset += Encoding.UTF8.GetBytes(key, destination[offset..]);
                destination[offset++] = 0;
            }

            listLength = offset;
            return Errno.None;
        }
    }

    public override Errno RemoveXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name)
    {
        lock (_lock)
        {
            return _nodes[node.Value].Xattrs.Remove(Encoding.UTF8.GetString(name)) ? Errno.None : Errno.ENODATA;
        }
    }

    public override Errno ReadDir(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryWriter writer)
    {
        lock (_lock)
        {
            var names = Sorted(node);
            for (int i = (int)offset; i < names.Count; i++)
            {
                var child = _nodes[_nodes[node.Value].Children[names[i]]];
                if (!writer.TryAdd(child.Id, Encoding.UTF8.GetBytes(names[i]), child.Attr.Mode, (ulong)i + 1))
                {
                    break;
                }
            }

            return Errno.None;
        }
    }

    public override Errno ReadDirPlus(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryPlusWriter writer)
    {
        lock (_lock)
        {
            var names = Sorted(node);
            for (int i = (int)offset; i < names.Count; i++)
            {
                var child = _nodes[_nodes[node.Value].Children[names[i]]];
                if (!writer.TryAdd(Entry(child), Encoding.UTF8.GetBytes(names[i]), (ulong)i + 1))
                {
                    break;
                }
            }

            return Errno.None;
        }
    }

    private List<string> Sorted(NodeId node)
    {
        var names = _nodes[node.Value].Children.Keys.ToList();
        names.Sort(StringComparer.Ordinal);
        return names;
    }

    private void Track()
    {
        lock (_threads)
        {
            _threads.Add(Environment.CurrentManagedThreadId);
        }
    }

    private Errno AddChild(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, uint mode, out FuseEntry entry, Action<Node>? init)
    {
        entry = default;
        if (name.Length > 255)
        {
            return Errno.ENAMETOOLONG;
        }

        lock (_lock)
        {
            var dir = _nodes[parent.Value];
            string key = Encoding.UTF8.GetString(name);
            if (dir.Children.ContainsKey(key))
            {
                return Errno.EEXIST;
            }

            var node = NewNode(mode, context.Uid, context.Gid);
            init?.Invoke(node);
            dir.Children[key] = node.Id;
            if (node.IsDir)
            {
                dir.Attr.Nlink++;
            }

            dir.Attr.Mtime = dir.Attr.Ctime = FuseTimestamp.Now;
            entry = Entry(node);
            return Errno.None;
        }
    }

    private Errno Remove(NodeId parent, ReadOnlySpan<byte> name, bool directory)
    {
        lock (_lock)
        {
            var dir = _nodes[parent.Value];
            string key = Encoding.UTF8.GetString(name);
            if (!dir.Children.TryGetValue(key, out var id))
            {
                return Errno.ENOENT;
            }

            var node = _nodes[id];
            if (directory && !node.IsDir)
            {
                return Errno.ENOTDIR;
            }

            if (!directory && node.IsDir)
            {
                return Errno.EISDIR;
            }

            if (directory && node.Children.Count > 0)
            {
                return Errno.ENOTEMPTY;
            }

            dir.Children.Remove(key);
            node.Attr.Nlink = directory ? 0 : node.Attr.Nlink - 1;
            if (directory)
            {
                dir.Attr.Nlink--;
            }

            return Errno.None;
        }
    }

    private Node NewNode(uint mode, uint uid, uint gid)
    {
        var now = FuseTimestamp.Now;
        ulong id = _nextId++;
        var node = new Node(id, new FuseAttr
        {
            Ino = id,
            Mode = mode,
            Nlink = (mode & S_IFMT) == S_IFDIR ? 2u : 1u,
            Uid = uid,
            Gid = gid,
            Atime = now,
            Mtime = now,
            Ctime = now,
            BlockSize = 4096,
        });
        _nodes[id] = node;
        return node;
    }

    private static void Resize(Node node, long size)
    {
        if (size > node.Data.Length)
        {
            Array.Resize(ref node.Data, (int)Math.Max(size, node.Data.Length * 2L));
        }
        else if (size < (long)node.Attr.Size)
        {
            node.Data.AsSpan((int)size, (int)node.Attr.Size - (int)size).Clear();
        }

        node.Attr.Size = (ulong)size;
        node.Attr.Blocks = ((ulong)size + 511) / 512;
    }

    private static FuseEntry Entry(Node node) => new()
    {
        Node = new NodeId(node.Id),
        Attr = node.Attr,
        EntryTimeout = s_timeout,
        AttrTimeout = s_timeout,
    };

    private sealed class Node(ulong id, FuseAttr attr)
    {
        public ulong Id = id;
        public FuseAttr Attr = attr;
        public byte[] Data = [];
        public byte[]? Target;
        public readonly Dictionary<string, ulong> Children = [];
        public readonly Dictionary<string, byte[]> Xattrs = [];

        public bool IsDir => (Attr.Mode & S_IFMT) == S_IFDIR;
    }
}
