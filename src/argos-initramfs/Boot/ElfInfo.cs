using System.Buffers.Binary;

namespace Argos.Initramfs.Boot;

/// <summary>
/// Just enough ELF64 to tell a static executable from a dynamic one: a dynamic executable has a
/// PT_INTERP program header (its loader). Layout (little-endian, ELFCLASS64):
///   0  e_ident[16]  7F 'E' 'L' 'F', class (2 = 64-bit), data (1 = LSB)
///  32  e_phoff      u64  program header table offset
///  54  e_phentsize  u16
///  56  e_phnum      u16
///   program header: 0 p_type u32 (3 = PT_INTERP)
/// The initramfs can hold only static binaries: it has no loader and no libraries after switch_root.
/// </summary>
public static class ElfInfo
{
    public const int PhoffOffset = 32;
    public const int PhentsizeOffset = 54;
    public const int PhnumOffset = 56;
    public const uint PtInterp = 3;
    private static ReadOnlySpan<byte> Magic => [0x7F, (byte)'E', (byte)'L', (byte)'F'];

    /// <summary>true: static; false: dynamic; null: not a 64-bit little-endian ELF file.</summary>
    public static bool? IsStatic(ReadOnlySpan<byte> file)
    {
        if (file.Length < 64 || !file[..4].SequenceEqual(Magic) || file[4] != 2 || file[5] != 1)
        {
            return null;
        }
        var phoff = BinaryPrimitives.ReadUInt64LittleEndian(file[PhoffOffset..]);
        var phentsize = BinaryPrimitives.ReadUInt16LittleEndian(file[PhentsizeOffset..]);
        var phnum = BinaryPrimitives.ReadUInt16LittleEndian(file[PhnumOffset..]);
        if (phentsize < 4 || phoff > (ulong)file.Length || (ulong)phnum * phentsize > (ulong)file.Length - phoff)
        {
            return null;
        }
        for (var i = 0; i < phnum; i++)
        {
            var type = BinaryPrimitives.ReadUInt32LittleEndian(file[(int)(phoff + (ulong)(i * phentsize))..]);
            if (type == PtInterp)
            {
                return false;
            }
        }
        return true;
    }

    public static void RequireStatic(string path, string what)
    {
        if (!File.Exists(path))
        {
            throw new ToolException($"{what} {path} does not exist", what == "argosfs"
                ? "build it (make argosfs, giving artifacts/bin/argosfs) or pass --argosfs PATH"
                : "install busybox-static (apt-get install busybox-static) or pass --busybox PATH");
        }
        var head = new byte[Math.Min(new FileInfo(path).Length, 64 * 1024)];
        using (var f = File.OpenRead(path))
        {
            f.ReadExactly(head);
        }
        if (IsStatic(head) == false)
        {
            throw new ToolException($"{what} {path} is dynamically linked; the initramfs has no loader or libraries",
                what == "argosfs" ? "use the static native-AOT build (artifacts/bin/argosfs)" : "use Debian's busybox-static (/bin/busybox)");
        }
    }
}
