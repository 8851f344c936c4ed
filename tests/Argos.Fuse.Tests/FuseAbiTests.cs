using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Xunit;

namespace Argos.Fuse.Tests;

/// <summary>
/// STYLE habit 1/2: every mirrored struct's size and every field offset is checked against the C compiler's
/// view of the system's &lt;linux/fuse.h&gt; (compiled with gcc here), and the sizes against the header's
/// documented constants (FUSE_COMPAT_*_SIZE, FUSE_NAME_OFFSET…).
/// </summary>
public sealed class FuseAbiTests
{
    // (struct, fields that exist under the same name in the 7.38 header shipped by linux-libc-dev).
    // Fields renamed after 7.38 (fuse_open_out.backing_id ← padding, fuse_init_out.max_stack_depth ←
    // unused) and structs added after it (statx, copy_file_range_out) are checked by the fixed sizes below.
    private static readonly (Type Type, string[] Fields)[] s_layouts =
    [
        (typeof(fuse_attr), ["ino", "size", "blocks", "atime", "mtime", "ctime", "atimensec", "mtimensec", "ctimensec", "mode", "nlink", "uid", "gid", "rdev", "blksize", "flags"]),
        (typeof(fuse_kstatfs), ["blocks", "bfree", "bavail", "files", "ffree", "bsize", "namelen", "frsize", "padding", "spare"]),
        (typeof(fuse_file_lock), ["start", "end", "type", "pid"]),
        (typeof(fuse_entry_out), ["nodeid", "generation", "entry_valid", "attr_valid", "entry_valid_nsec", "attr_valid_nsec", "attr"]),
        (typeof(fuse_forget_in), ["nlookup"]),
        (typeof(fuse_forget_one), ["nodeid", "nlookup"]),
        (typeof(fuse_batch_forget_in), ["count", "dummy"]),
        (typeof(fuse_getattr_in), ["getattr_flags", "dummy", "fh"]),
        (typeof(fuse_attr_out), ["attr_valid", "attr_valid_nsec", "dummy", "attr"]),
        (typeof(fuse_mknod_in), ["mode", "rdev", "umask", "padding"]),
        (typeof(fuse_mkdir_in), ["mode", "umask"]),
        (typeof(fuse_rename_in), ["newdir"]),
        (typeof(fuse_rename2_in), ["newdir", "flags", "padding"]),
        (typeof(fuse_link_in), ["oldnodeid"]),
        (typeof(fuse_setattr_in), ["valid", "padding", "fh", "size", "lock_owner", "atime", "mtime", "ctime", "atimensec", "mtimensec", "ctimensec", "mode", "unused4", "uid", "gid", "unused5"]),
        (typeof(fuse_open_in), ["flags", "open_flags"]),
        (typeof(fuse_create_in), ["flags", "mode", "umask", "open_flags"]),
        (typeof(fuse_open_out), ["fh", "open_flags"]),
        (typeof(fuse_release_in), ["fh", "flags", "release_flags", "lock_owner"]),
        (typeof(fuse_flush_in), ["fh", "unused", "padding", "lock_owner"]),
        (typeof(fuse_read_in), ["fh", "offset", "size", "read_flags", "lock_owner", "flags", "padding"]),
        (typeof(fuse_write_in), ["fh", "offset", "size", "write_flags", "lock_owner", "flags", "padding"]),
        (typeof(fuse_write_out), ["size", "padding"]),
        (typeof(fuse_statfs_out), ["st"]),
        (typeof(fuse_fsync_in), ["fh", "fsync_flags", "padding"]),
        (typeof(fuse_setxattr_in), ["size", "flags", "setxattr_flags", "padding"]),
        (typeof(fuse_getxattr_in), ["size", "padding"]),
        (typeof(fuse_getxattr_out), ["size", "padding"]),
        (typeof(fuse_lk_in), ["fh", "owner", "lk", "lk_flags", "padding"]),
        (typeof(fuse_lk_out), ["lk"]),
        (typeof(fuse_access_in), ["mask", "padding"]),
        (typeof(fuse_init_in), ["major", "minor", "max_readahead", "flags", "flags2", "unused"]),
        (typeof(fuse_init_out), ["major", "minor", "max_readahead", "flags", "max_background", "congestion_threshold", "max_write", "time_gran", "max_pages", "map_alignment", "flags2"]),
        (typeof(cuse_init_in), ["major", "minor", "unused", "flags"]),
        (typeof(cuse_init_out), ["major", "minor", "unused", "flags", "max_read", "max_write", "dev_major", "dev_minor", "spare"]),
        (typeof(fuse_interrupt_in), ["unique"]),
        (typeof(fuse_bmap_in), ["block", "blocksize", "padding"]),
        (typeof(fuse_bmap_out), ["block"]),
        (typeof(fuse_ioctl_in), ["fh", "flags", "cmd", "arg", "in_size", "out_size"]),
        (typeof(fuse_ioctl_iovec), ["base", "len"]),
        (typeof(fuse_ioctl_out), ["result", "flags", "in_iovs", "out_iovs"]),
        (typeof(fuse_poll_in), ["fh", "kh", "flags", "events"]),
        (typeof(fuse_poll_out), ["revents", "padding"]),
        (typeof(fuse_notify_poll_wakeup_out), ["kh"]),
        (typeof(fuse_fallocate_in), ["fh", "offset", "length", "mode", "padding"]),
        (typeof(fuse_in_header), ["len", "opcode", "unique", "nodeid", "uid", "gid", "pid", "total_extlen", "padding"]),
        (typeof(fuse_out_header), ["len", "error", "unique"]),
        (typeof(fuse_dirent), ["ino", "off", "namelen", "type"]),
        (typeof(fuse_direntplus), ["entry_out", "dirent"]),
        (typeof(fuse_notify_inval_inode_out), ["ino", "off", "len"]),
        (typeof(fuse_notify_inval_entry_out), ["parent", "namelen", "flags"]),
        (typeof(fuse_notify_delete_out), ["parent", "child", "namelen", "padding"]),
        (typeof(fuse_notify_store_out), ["nodeid", "offset", "size", "padding"]),
        (typeof(fuse_notify_retrieve_out), ["notify_unique", "nodeid", "offset", "size", "padding"]),
        (typeof(fuse_notify_retrieve_in), ["dummy1", "offset", "size", "dummy2", "dummy3", "dummy4"]),
        (typeof(fuse_lseek_in), ["fh", "offset", "whence", "padding"]),
        (typeof(fuse_lseek_out), ["offset"]),
        (typeof(fuse_copy_file_range_in), ["fh_in", "off_in", "nodeid_out", "fh_out", "off_out", "len", "flags"]),
        (typeof(fuse_setupmapping_in), ["fh", "foffset", "len", "flags", "moffset"]),
        (typeof(fuse_removemapping_in), ["count"]),
        (typeof(fuse_removemapping_one), ["moffset", "len"]),
        (typeof(fuse_syncfs_in), ["padding"]),
        (typeof(fuse_secctx), ["size", "padding"]),
        (typeof(fuse_secctx_header), ["size", "nr_secctx"]),
        (typeof(fuse_ext_header), ["size", "type"]),
    ];

    // Constants compared with the header's macros and enum values.
    private static readonly (string CName, ulong Value)[] s_constants =
    [
        ("FUSE_KERNEL_VERSION", FuseAbi.FUSE_KERNEL_VERSION),
        ("FUSE_ROOT_ID", FuseAbi.FUSE_ROOT_ID),
        ("FUSE_MIN_READ_BUFFER", FuseAbi.FUSE_MIN_READ_BUFFER),
        ("FUSE_COMPAT_ENTRY_OUT_SIZE", FuseAbi.FUSE_COMPAT_ENTRY_OUT_SIZE),
        ("FUSE_COMPAT_ATTR_OUT_SIZE", FuseAbi.FUSE_COMPAT_ATTR_OUT_SIZE),
        ("FUSE_COMPAT_MKNOD_IN_SIZE", FuseAbi.FUSE_COMPAT_MKNOD_IN_SIZE),
        ("FUSE_COMPAT_WRITE_IN_SIZE", FuseAbi.FUSE_COMPAT_WRITE_IN_SIZE),
        ("FUSE_COMPAT_STATFS_SIZE", FuseAbi.FUSE_COMPAT_STATFS_SIZE),
        ("FUSE_COMPAT_SETXATTR_IN_SIZE", FuseAbi.FUSE_COMPAT_SETXATTR_IN_SIZE),
        ("FUSE_COMPAT_INIT_OUT_SIZE", FuseAbi.FUSE_COMPAT_INIT_OUT_SIZE),
        ("FUSE_COMPAT_22_INIT_OUT_SIZE", FuseAbi.FUSE_COMPAT_22_INIT_OUT_SIZE),
        ("FUSE_NAME_OFFSET", FuseAbi.FUSE_NAME_OFFSET),
        ("FUSE_NAME_OFFSET_DIRENTPLUS", FuseAbi.FUSE_NAME_OFFSET_DIRENTPLUS),
        ("FUSE_DEV_IOC_CLONE", FuseAbi.FUSE_DEV_IOC_CLONE),
        ("FATTR_KILL_SUIDGID", FuseAbi.FATTR_KILL_SUIDGID),
        ("FOPEN_PARALLEL_DIRECT_WRITES", FuseAbi.FOPEN_PARALLEL_DIRECT_WRITES),
        ("FUSE_ASYNC_READ", FuseAbi.FUSE_ASYNC_READ),
        ("FUSE_ATOMIC_O_TRUNC", FuseAbi.FUSE_ATOMIC_O_TRUNC),
        ("FUSE_BIG_WRITES", FuseAbi.FUSE_BIG_WRITES),
        ("FUSE_DO_READDIRPLUS", FuseAbi.FUSE_DO_READDIRPLUS),
        ("FUSE_READDIRPLUS_AUTO", FuseAbi.FUSE_READDIRPLUS_AUTO),
        ("FUSE_WRITEBACK_CACHE", FuseAbi.FUSE_WRITEBACK_CACHE),
        ("FUSE_PARALLEL_DIROPS", FuseAbi.FUSE_PARALLEL_DIROPS),
        ("FUSE_HANDLE_KILLPRIV", FuseAbi.FUSE_HANDLE_KILLPRIV),
        ("FUSE_POSIX_ACL", FuseAbi.FUSE_POSIX_ACL),
        ("FUSE_MAX_PAGES", FuseAbi.FUSE_MAX_PAGES),
        ("FUSE_CACHE_SYMLINKS", FuseAbi.FUSE_CACHE_SYMLINKS),
        ("FUSE_HANDLE_KILLPRIV_V2", FuseAbi.FUSE_HANDLE_KILLPRIV_V2),
        ("FUSE_SETXATTR_EXT", FuseAbi.FUSE_SETXATTR_EXT),
        ("FUSE_INIT_EXT", FuseAbi.FUSE_INIT_EXT),
        ("FUSE_SECURITY_CTX", FuseAbi.FUSE_SECURITY_CTX),
        ("FUSE_HAS_INODE_DAX", FuseAbi.FUSE_HAS_INODE_DAX),
        ("FUSE_HAS_EXPIRE_ONLY", FuseAbi.FUSE_HAS_EXPIRE_ONLY),
        ("FUSE_WRITE_KILL_SUIDGID", FuseAbi.FUSE_WRITE_KILL_SUIDGID),
        ("FUSE_OPEN_KILL_SUIDGID", FuseAbi.FUSE_OPEN_KILL_SUIDGID),
        ("FUSE_SETXATTR_ACL_KILL_SGID", FuseAbi.FUSE_SETXATTR_ACL_KILL_SGID),
        ("FUSE_GETATTR_FH", FuseAbi.FUSE_GETATTR_FH),
        ("FUSE_FSYNC_FDATASYNC", FuseAbi.FUSE_FSYNC_FDATASYNC),
        ("FUSE_RELEASE_FLUSH", FuseAbi.FUSE_RELEASE_FLUSH),
        ("FUSE_LOOKUP", (ulong)fuse_opcode.FUSE_LOOKUP),
        ("FUSE_BATCH_FORGET", (ulong)fuse_opcode.FUSE_BATCH_FORGET),
        ("FUSE_READDIRPLUS", (ulong)fuse_opcode.FUSE_READDIRPLUS),
        ("FUSE_RENAME2", (ulong)fuse_opcode.FUSE_RENAME2),
        ("FUSE_LSEEK", (ulong)fuse_opcode.FUSE_LSEEK),
        ("FUSE_COPY_FILE_RANGE", (ulong)fuse_opcode.FUSE_COPY_FILE_RANGE),
        ("FUSE_SYNCFS", (ulong)fuse_opcode.FUSE_SYNCFS),
        ("FUSE_TMPFILE", (ulong)fuse_opcode.FUSE_TMPFILE),
        ("FUSE_INIT_BSWAP_RESERVED", (ulong)fuse_opcode.FUSE_INIT_BSWAP_RESERVED),
        ("FUSE_NOTIFY_DELETE", (ulong)fuse_notify_code.FUSE_NOTIFY_DELETE),
    ];

    [Fact]
    public void StructLayouts_MatchTheSystemHeaderCompiledWithGcc()
    {
        var program = new StringBuilder();
        program.AppendLine("#include <stdio.h>\n#include <stddef.h>\n#include <sys/ioctl.h>\n#include <linux/fuse.h>\nint main(void) {");
        foreach (var (type, fields) in s_layouts)
        {
            program.AppendLine(CultureInfo.InvariantCulture, $"printf(\"{type.Name} %zu\\n\", sizeof(struct {type.Name}));");
            foreach (var field in fields)
            {
                program.AppendLine(CultureInfo.InvariantCulture, $"printf(\"{type.Name}.{field} %zu\\n\", offsetof(struct {type.Name}, {field}));");
            }
        }

        foreach (var (name, _) in s_constants)
        {
            program.AppendLine(CultureInfo.InvariantCulture, $"printf(\"{name} %llu\\n\", (unsigned long long)({name}));");
        }

        program.AppendLine("return 0; }");
        var c = CompileAndRun(program.ToString());

        var mismatches = new List<string>();
        foreach (var (type, fields) in s_layouts)
        {
            Check(mismatches, c, type.Name, Marshal.SizeOf(type));
            foreach (var field in fields)
            {
                Check(mismatches, c, $"{type.Name}.{field}", (long)Marshal.OffsetOf(type, field));
            }
        }

        foreach (var (name, value) in s_constants)
        {
            Check(mismatches, c, name, (long)value);
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
    }

    [Fact]
    public void StructSizes_MatchTheHeaderDocumentedSizes()
    {
        // Sizes from fuse.h (7.45): the compat constants name the older sizes of the same structs.
        Assert.Equal(40, Marshal.SizeOf<fuse_in_header>());
        Assert.Equal(16, Marshal.SizeOf<fuse_out_header>());
        Assert.Equal(88, Marshal.SizeOf<fuse_attr>());
        Assert.Equal(128, Marshal.SizeOf<fuse_entry_out>());         // FUSE_COMPAT_ENTRY_OUT_SIZE 120 before 7.9
        Assert.Equal(104, Marshal.SizeOf<fuse_attr_out>());          // FUSE_COMPAT_ATTR_OUT_SIZE 96 before 7.9
        Assert.Equal(64, Marshal.SizeOf<fuse_init_in>());            // 16 before 7.36
        Assert.Equal(64, Marshal.SizeOf<fuse_init_out>());           // FUSE_COMPAT_22_INIT_OUT_SIZE 24 before 7.23
        Assert.Equal(80, Marshal.SizeOf<fuse_kstatfs>());            // FUSE_COMPAT_STATFS_SIZE 48 before 7.4
        Assert.Equal(40, Marshal.SizeOf<fuse_write_in>());           // FUSE_COMPAT_WRITE_IN_SIZE 24 before 7.9
        Assert.Equal(16, Marshal.SizeOf<fuse_setxattr_in>());        // FUSE_COMPAT_SETXATTR_IN_SIZE 8 without SETXATTR_EXT
        Assert.Equal(16, Marshal.SizeOf<fuse_open_out>());           // backing_id took the padding in 7.40
        Assert.Equal(24, Marshal.SizeOf<fuse_dirent>());             // FUSE_NAME_OFFSET
        Assert.Equal(152, Marshal.SizeOf<fuse_direntplus>());        // FUSE_NAME_OFFSET_DIRENTPLUS
        Assert.Equal(16, Marshal.SizeOf<fuse_sx_time>());            // 7.39
        Assert.Equal(256, Marshal.SizeOf<fuse_statx>());             // 7.39
        Assert.Equal(24, Marshal.SizeOf<fuse_statx_in>());           // 7.39
        Assert.Equal(32 + 256, Marshal.SizeOf<fuse_statx_out>());    // 7.39: attr_valid, nsec, flags, spare[2], stat
        Assert.Equal(8, Marshal.SizeOf<fuse_copy_file_range_out>()); // 7.45
        Assert.Equal(16, Marshal.SizeOf<FuseForget>());              // read in place as fuse_forget_one
        // Fields newer than the 7.38 system header, at the offsets the kernel's 7.40/7.43 header gives them.
        Assert.Equal(36, (int)Marshal.OffsetOf<fuse_init_out>("max_stack_depth"));  // 7.40
        Assert.Equal(40, (int)Marshal.OffsetOf<fuse_init_out>("request_timeout"));  // 7.43
        Assert.Equal(12, (int)Marshal.OffsetOf<fuse_open_out>("backing_id"));       // 7.40
    }

    [Theory]
    [InlineData(0, 24)]
    [InlineData(1, 32)]
    [InlineData(8, 32)]
    [InlineData(9, 40)]
    [InlineData(255, 280)]
    public void DirentSize_IsPaddedToEightBytes(int nameLength, int expected)
    {
        Assert.Equal(expected, FuseAbi.FUSE_DIRENT_SIZE(nameLength));
        Assert.Equal(expected + 128, FuseAbi.FUSE_DIRENTPLUS_SIZE(nameLength));
    }

    private static void Check(List<string> mismatches, Dictionary<string, long> c, string key, long actual)
    {
        if (!c.TryGetValue(key, out long expected))
        {
            mismatches.Add($"{key}: missing from the C program's output");
        }
        else if (expected != actual)
        {
            mismatches.Add($"{key}: C says {expected}, C# says {actual}");
        }
    }

    private static Dictionary<string, long> CompileAndRun(string source)
    {
        var dir = Directory.CreateTempSubdirectory("argos-fuse-abi-");
        try
        {
            var src = Path.Combine(dir.FullName, "abi.c");
            var exe = Path.Combine(dir.FullName, "abi");
            File.WriteAllText(src, source);
            var (code, output) = Run("gcc", ["-std=c11", "-Wall", "-Werror", "-o", exe, src]);
            Assert.True(code == 0, "gcc failed (install gcc and linux-libc-dev):\n" + output);
            (code, output) = Run(exe, []);
            Assert.True(code == 0, output);
            var values = new Dictionary<string, long>();
            foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var parts = line.Split(' ');
                values[parts[0]] = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }

            return values;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    internal static (int Code, string Output) Run(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            return (-1, $"{program} timed out");
        }

        p.WaitForExit();
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
