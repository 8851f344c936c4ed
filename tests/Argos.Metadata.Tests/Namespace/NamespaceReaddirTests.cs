using System.Text;
using Argos.Format;
using Argos.Metadata.Namespace;
using Argos.Metadata.Records;
using Xunit;
using static Argos.Metadata.Tests.Namespace.Harness;

namespace Argos.Metadata.Tests.Namespace;

public class NamespaceReaddirTests
{
    [Fact]
    public void Readdir_10kEntries_PagedCompletely()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "big");
        h.Run(tx =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                h.Ns.Create(tx, d, N($"file{i:D5}"), 0x1A4, Root);
            }
        });
        var seen = new HashSet<string>();
        ulong cookie = 0;
        var page = new List<DirEntry>();
        while (true)
        {
            page.Clear();
            if (h.Ns.ReadDirectory(d, cookie, 97, page) == 0)
            {
                break;
            }
            foreach (DirEntry e in page)
            {
                Assert.True(seen.Add(Encoding.UTF8.GetString(e.Name.Span)));
                Assert.True(e.Cookie > cookie);
            }
            cookie = page[^1].Cookie;
        }
        Assert.Equal(10_002, seen.Count);
        Assert.Equal(10_000, h.Ns.EntryCount(d));
    }

    [Fact]
    public void Readdir_ConcurrentInsertsAndDeletes_StableEntriesReturnedExactlyOnce()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "dir");
        h.Run(tx =>
        {
            for (int i = 0; i < 10_000; i++)
            {
                h.Ns.Create(tx, d, N($"stable{i}"), 0x1A4, Root);
                h.Ns.Create(tx, d, N($"churn{i}"), 0x1A4, Root);
            }
        });
        var seen = new Dictionary<string, int>();
        ulong cookie = 0;
        var page = new List<DirEntry>();
        int round = 0;
        var rnd = new Random(42);
        int created = 0;
        while (true)
        {
            page.Clear();
            if (h.Ns.ReadDirectory(d, cookie, 50, page) == 0)
            {
                break;
            }
            foreach (DirEntry e in page)
            {
                string name = Encoding.UTF8.GetString(e.Name.Span);
                seen[name] = seen.GetValueOrDefault(name) + 1;
            }
            cookie = page[^1].Cookie;
            // Between pages: delete churn entries everywhere (before and after the cursor), add new ones.
            h.Run(tx =>
            {
                for (int j = 0; j < 60; j++)
                {
                    string victim = $"churn{rnd.Next(10_000)}";
                    try
                    {
                        h.Ns.Unlink(tx, d, N(victim));
                    }
                    catch (NamespaceException)
                    {
                        // already gone
                    }
                }
                // New entries only while the listing is far from its end: each page adds fewer than it
                // reads, and once the cursor reaches the tail, an add per page would never let it end.
                for (int j = 0; j < 20 && round < 300; j++)
                {
                    h.Ns.Create(tx, d, N($"new{created++}"), 0x1A4, Root);
                }
            });
            round++;
        }
        for (int i = 0; i < 10_000; i++)
        {
            Assert.Equal(1, seen.GetValueOrDefault($"stable{i}"));
        }
        Assert.All(seen, kv => Assert.Equal(1, kv.Value));
        Assert.True(round > 300, $"only {round} pages");
        Assert.True(seen.Keys.Count(k => k.StartsWith("new", StringComparison.Ordinal)) > 1000, "entries added during the listing after the cursor are returned");
    }

    [Fact]
    public async Task Readdir_ParallelReadersWithWriter_NoCrashAndStableEntriesComplete()
    {
        using var h = new Harness();
        InodeId d = h.Mkdir(R, "dir");
        h.Run(tx =>
        {
            for (int i = 0; i < 2000; i++)
            {
                h.Ns.Create(tx, d, N($"s{i}"), 0x1A4, Root);
            }
        });
        // The writer does a bounded amount of work: a reader chases new entries at the tail, so an
        // endless writer could keep it listing forever.
        Task writer = Task.Run(() =>
        {
            for (int n = 0; n < 3000; n++)
            {
                using NamespaceTransaction tx = h.Ns.Begin();
                h.Ns.Create(tx, d, N($"w{n}"), 0x1A4, Root);
                if (n >= 10)
                {
                    h.Ns.Unlink(tx, d, N($"w{n - 10}"));
                }
                tx.Complete();
            }
        });
        Task[] readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            for (int pass = 0; pass < 5; pass++)
            {
                var names = new HashSet<string>();
                ulong cookie = 0;
                var page = new List<DirEntry>();
                while (true)
                {
                    page.Clear();
                    if (h.Ns.ReadDirectory(d, cookie, 64, page) == 0)
                    {
                        break;
                    }
                    foreach (DirEntry e in page)
                    {
                        Assert.True(names.Add(Encoding.UTF8.GetString(e.Name.Span)));
                    }
                    cookie = page[^1].Cookie;
                }
                Assert.Equal(2000, names.Count(n => n.StartsWith('s')));
            }
        })).ToArray();
        await Task.WhenAll(readers);
        await writer;
        Assert.Equal(2000 + 10, h.Ns.EntryCount(d));
    }

    [Fact]
    public void ReaddirPlus_ReturnsAttributes()
    {
        using var h = new Harness();
        InodeId f = h.Create(R, "f", 0x1A4);
        var entries = new List<DirEntryPlus>();
        h.Ns.ReadDirectoryPlus(R, 0, 10, entries);
        Assert.Equal(3, entries.Count);
        Assert.Equal(f, entries[2].Attributes.Ino);
        Assert.Equal(FileType.Regular, entries[2].Attributes.Type);
        Assert.Equal(R, entries[1].Attributes.Ino); // root's '..' is itself
    }

    [Fact]
    public void Readdir_AfterOutOfOrderReplay_IsSortedByCookie()
    {
        using var h = new Harness();
        for (int i = 0; i < 100; i++)
        {
            h.Create(R, $"f{i:D3}");
        }
        List<RecordOp> records = h.Ns.EnumerateAll().ToList();
        var shuffled = records.OrderBy(_ => Random.Shared.Next()).ToList();
        using var fresh = new FsNamespace();
        foreach (RecordOp op in shuffled)
        {
            fresh.Apply(op);
        }
        var a = new List<DirEntry>();
        var b = new List<DirEntry>();
        h.Ns.ReadDirectory(R, 0, 1000, a);
        fresh.ReadDirectory(R, 0, 1000, b);
        Assert.Equal(a.Select(e => (Encoding.UTF8.GetString(e.Name.Span), e.Cookie)), b.Select(e => (Encoding.UTF8.GetString(e.Name.Span), e.Cookie)));
        var tail = new List<DirEntry>();
        fresh.ReadDirectory(R, a[50].Cookie, 1000, tail);
        Assert.Equal(a.Skip(51).Select(e => e.Cookie), tail.Select(e => e.Cookie));
    }
}
