using System.Text;
using Argos.Initramfs.Cpio;

namespace Argos.Initramfs.Tests;

public class CpioTests
{
    [Fact]
    public void Layout_HeaderIs110Bytes_WithFieldsAtTheirOffsets()
    {
        Assert.Equal(110, CpioNewc.HeaderSize);
        Assert.Equal(14, CpioNewc.ModeOffset);
        Assert.Equal(54, CpioNewc.FileSizeOffset);
        Assert.Equal(94, CpioNewc.NameSizeOffset);
    }

    [Fact]
    public void Writer_EncodesAFileAsTheKernelExpects()
    {
        using var ms = new MemoryStream();
        var w = new CpioWriter(ms);
        w.Add(CpioEntry.File("init", "hi"u8.ToArray(), 0x1ED));
        var bytes = ms.ToArray();
        var header = Encoding.ASCII.GetString(bytes, 0, CpioNewc.HeaderSize);
        // magic   ino      mode     uid      gid      nlink    mtime    filesize devmaj   devmin   rdevmaj  rdevmin  namesize check
        Assert.Equal("070701" + "00000001" + "000081ed" + "00000000" + "00000000" + "00000001" + "00000000" + "00000002" +
                     "00000000" + "00000000" + "00000000" + "00000000" + "00000005" + "00000000", header);
        // name "init\0" ends at 115, padded to 116; data "hi" padded to 120
        Assert.Equal("init\0", Encoding.ASCII.GetString(bytes, 110, 5));
        Assert.Equal(120, bytes.Length);
        Assert.Equal("hi", Encoding.ASCII.GetString(bytes, 116, 2));
    }

    [Fact]
    public void RoundTrip_KeepsEveryEntryKind()
    {
        var entries = new[]
        {
            CpioEntry.Dir("bin"),
            CpioEntry.File("bin/busybox", Enumerable.Range(0, 1001).Select(i => (byte)i).ToArray(), 0x1ED),
            CpioEntry.Link("bin/sh", "busybox"),
            CpioEntry.CharDev("dev/console", 5, 1, 0x180),
        };
        using var ms = new MemoryStream();
        var w = new CpioWriter(ms);
        foreach (var e in entries)
        {
            w.Add(e);
        }
        w.Finish();
        Assert.Equal(0, ms.Length % 4);
        var back = CpioReader.ReadAll(ms.ToArray());
        Assert.Equal(entries.Length, back.Count);
        for (var i = 0; i < entries.Length; i++)
        {
            Assert.Equal(entries[i].Name, back[i].Name);
            Assert.Equal(entries[i].Mode, back[i].Mode);
            Assert.Equal(entries[i].Data, back[i].Data);
            Assert.Equal(entries[i].RdevMajor, back[i].RdevMajor);
            Assert.Equal(entries[i].RdevMinor, back[i].RdevMinor);
        }
        Assert.Equal("busybox", back[2].LinkTarget);
    }

    [Fact]
    public void Reader_TruncatedArchive_SaysWhere()
    {
        using var ms = new MemoryStream();
        var w = new CpioWriter(ms);
        w.Add(CpioEntry.File("a", new byte[100], 0x1A4));
        var e = Assert.Throws<InvalidDataException>(() => CpioReader.ReadAll(ms.ToArray().AsSpan(0, 150)));
        Assert.Contains("past the end", e.Message);
        Assert.Throws<InvalidDataException>(() => CpioReader.ReadAll("070702"u8.ToArray().Concat(new byte[200]).ToArray()));
    }

    [Fact]
    public void SystemCpio_ReadsOurArchive()
    {
        if (!TestRepo.Has("cpio"))
        {
            return;
        }
        var path = Path.Combine(Path.GetTempPath(), "argos-" + Guid.NewGuid().ToString("N") + ".cpio");
        using (var f = File.Create(path))
        {
            var w = new CpioWriter(f);
            w.Add(CpioEntry.Dir("etc"));
            w.Add(CpioEntry.File("etc/hostname", "argos\n"u8.ToArray(), 0x1A4));
            w.Finish();
        }
        try
        {
            var (code, stdout, stderr) = TestRepo.Run("sh", "-c", $"cpio -it < '{path}'");
            Assert.True(code == 0, stderr);
            Assert.Equal(["etc", "etc/hostname"], stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
