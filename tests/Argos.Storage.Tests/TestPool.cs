using System.Security.Cryptography;
using System.Text;
using Argos.Metadata.Log;
using Argos.Metadata.Records;

namespace Argos.Storage.Tests;

/// <summary>A record store test double: a dictionary, dumped in a canonical order for comparisons.</summary>
public sealed class DictionaryStore : IRecordStore
{
    public Dictionary<string, (RecordKind Kind, byte[] Key, byte[] Value)> Records { get; } = new();

    public static string Id(RecordKind kind, ReadOnlySpan<byte> key) => $"{(byte)kind:x2}:{Convert.ToHexString(key)}";

    public void Apply(in RecordOp op)
    {
        string id = Id(op.Kind, op.Key.Span);
        if (op.IsDelete)
        {
            Records.Remove(id);
        }
        else
        {
            Records[id] = (op.Kind, op.Key.ToArray(), op.Value!.Value.ToArray());
        }
    }

    /// <summary>Applies ops the way a namespace does before it commits them (owned kinds skipped).</summary>
    public void ApplyAll(IEnumerable<RecordOp> ops)
    {
        foreach (RecordOp op in ops)
        {
            if (op.Kind is not (RecordKind.AllocExtent or RecordKind.AllocBitmap or RecordKind.Member))
            {
                Apply(op);
            }
        }
    }

    public IEnumerable<RecordOp> EnumerateAll()
        => Records.Values.Select(r => RecordOp.Put(r.Kind, r.Key, r.Value));

    public string Dump() => string.Join("\n", Records.OrderBy(r => r.Key, StringComparer.Ordinal)
        .Select(r => $"{r.Key}={Convert.ToHexString(r.Value.Value)}"));

    /// <summary>What a namespace does: apply in memory, then commit the same ops.</summary>
    public Argos.Format.TxId Commit(MetadataLog log, params RecordOp[] ops)
    {
        ApplyAll(ops);
        return log.Commit(ops);
    }

    public static RecordOp Put(string key, string value)
        => RecordOp.Put(RecordKind.Inode, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value));

    public static RecordOp Del(string key) => RecordOp.Delete(RecordKind.Inode, Encoding.UTF8.GetBytes(key));
}

/// <summary>Image files in a private temp directory, deleted at dispose.</summary>
public sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("argos-storage-tests-").FullName;
    }

    public string Path { get; }

    public string[] Images(int count) => Enumerable.Range(0, count).Select(i => System.IO.Path.Combine(Path, $"m{i}.img")).ToArray();

    public const long MiB = 1024 * 1024;

    public string[] CreatePool(int count, int k, int m, long sizeBytes = 64 * MiB, string name = "test")
    {
        string[] paths = Images(count);
        PoolCreator.Create(paths, new PoolCreateOptions { K = k, M = m, ImageSizeBytes = sizeBytes, PoolName = name });
        return paths;
    }

    public static string Hash(string path)
    {
        using FileStream f = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(f)) + ":" + f.Length;
    }

    public static string[] HashAll(IEnumerable<string> paths) => paths.Select(Hash).ToArray();

    public static void Patch(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using FileStream f = new(path, FileMode.Open, FileAccess.Write);
        f.Position = offset;
        f.Write(bytes);
    }

    public static byte[] ReadBytes(string path, long offset, int length)
    {
        using FileStream f = File.OpenRead(path);
        f.Position = offset;
        var b = new byte[length];
        f.ReadExactly(b);
        return b;
    }

    public static void FlipByte(string path, long offset)
    {
        byte[] b = ReadBytes(path, offset, 1);
        b[0] ^= 0x5A;
        Patch(path, offset, b);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
