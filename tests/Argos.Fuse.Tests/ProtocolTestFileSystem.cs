using System.Text;
using Argos.Platform;

namespace Argos.Fuse.Tests;

/// <summary>A scripted filesystem with fixed answers, for byte-exact protocol tests.</summary>
internal sealed class ProtocolTestFileSystem : FuseFileSystem
{
    public static readonly FuseTimestamp Time = new(1_700_000_000, 5);

    public int DestroyCount;
    public FuseConnectionInfo? InitConnection;
    public Action<FuseConnectionInfo>? OnInit;
    public readonly List<(ulong Node, ulong Count)> Forgotten = [];
    public readonly string[] DirectoryNames = ["a", "bb", "ccc", "dddd"];
    public ManualResetEventSlim ReadStarted = new(false);

    public override void Init(FuseConnectionInfo connection)
    {
        InitConnection = connection;
        OnInit?.Invoke(connection);
    }

    public override void Destroy() => Interlocked.Increment(ref DestroyCount);

    public static FuseAttr FileAttr(ulong ino) => new()
    {
        Ino = ino,
        Size = 5,
        Blocks = 1,
        Atime = Time,
        Mtime = Time,
        Ctime = Time,
        Mode = 0x81A4, // S_IFREG | 0644
        Nlink = 1,
        Uid = 1000,
        Gid = 1000,
        BlockSize = 4096,
        Btime = new FuseTimestamp(1_500_000_000, 250),
        HasBtime = true,
    };

    public static FuseAttr DirAttr() => new()
    {
        Ino = 1,
        Mode = 0x41ED, // S_IFDIR | 0755
        Nlink = 2,
        Atime = Time,
        Mtime = Time,
        Ctime = Time,
    };

    public override Errno Lookup(in FuseContext context, NodeId parent, ReadOnlySpan<byte> name, out FuseEntry entry)
    {
        entry = default;
        switch (Encoding.UTF8.GetString(name))
        {
            case "hello":
                entry = new FuseEntry { Node = new NodeId(2), Attr = FileAttr(2), EntryTimeout = TimeSpan.FromSeconds(1), AttrTimeout = TimeSpan.FromSeconds(1) };
                return Errno.None;
            case "negative":
                entry = FuseEntry.Negative(TimeSpan.FromSeconds(5));
                return Errno.None;
            case "boom":
                throw new InvalidOperationException("scripted failure");
            case "denied":
                throw new FuseErrnoException(Errno.EACCES);
            default:
                return Errno.ENOENT;
        }
    }

    public override void Forget(NodeId node, ulong lookupCount)
    {
        lock (Forgotten)
        {
            Forgotten.Add((node.Value, lookupCount));
        }
    }

    public override Errno GetAttr(in FuseContext context, NodeId node, FileHandle? handle, out FuseAttrResult attr)
    {
        switch (node.Value)
        {
            case 1:
                attr = new FuseAttrResult(DirAttr(), TimeSpan.FromSeconds(1));
                return Errno.None;
            case 2:
                attr = new FuseAttrResult(FileAttr(2), TimeSpan.FromMilliseconds(1500));
                return Errno.None;
            case 7:
                throw new InvalidOperationException("disk on fire");
            default:
                attr = default;
                return Errno.ENOENT;
        }
    }

    public override Errno ReadDir(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ref FuseDirectoryWriter writer)
    {
        for (ulong i = offset; i < (ulong)DirectoryNames.Length; i++)
        {
            if (!writer.TryAdd(10 + i, Encoding.UTF8.GetBytes(DirectoryNames[i]), 0x8000, i + 1))
            {
                break;
            }
        }

        return Errno.None;
    }

    public override Errno GetXattr(in FuseContext context, NodeId node, ReadOnlySpan<byte> name, Span<byte> destination, out int valueLength)
    {
        valueLength = 0;
        if (!name.SequenceEqual("user.k"u8))
        {
            return Errno.ENODATA;
        }

        "value"u8.CopyTo(destination);
        valueLength = 5;
        return Errno.None;
    }

    public override Errno ListXattr(in FuseContext context, NodeId node, Span<byte> destination, out int listLength)
    {
        "user.k\0user.other\0"u8.CopyTo(destination);
        listLength = 18;
        return Errno.None;
    }

    public override Errno Read(in FuseContext context, NodeId node, FileHandle handle, ulong offset, Span<byte> destination, out int bytesRead)
    {
        bytesRead = 0;
        if (node.Value == 9)
        {
            // Waits for FUSE_INTERRUPT, then gives up with EINTR as a filesystem should.
            ReadStarted.Set();
            var deadline = Environment.TickCount64 + 10_000;
            while (!context.IsInterrupted)
            {
                if (Environment.TickCount64 > deadline)
                {
                    return Errno.ETIMEDOUT;
                }

                Thread.Sleep(1);
            }

            return Errno.EINTR;
        }

        var data = "hello"u8;
        if (offset >= (ulong)data.Length)
        {
            return Errno.None;
        }

        int n = Math.Min(destination.Length, data.Length - (int)offset);
        data.Slice((int)offset, n).CopyTo(destination);
        bytesRead = n;
        return Errno.None;
    }

    public override Errno Write(in FuseContext context, NodeId node, FileHandle handle, ulong offset, ReadOnlySpan<byte> data, FuseWriteFlags flags, int openFlags, out int bytesWritten)
    {
        bytesWritten = data.Length;
        return Errno.None;
    }
}
