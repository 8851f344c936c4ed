using System.Buffers.Binary;
using Argos.Platform;
using Xunit;

namespace Argos.Fuse.Tests;

/// <summary>
/// STYLE habit 4: protocol tests from annotated byte vectors, fed through an in-process session (no kernel).
/// Byte order in the vectors is the host's (x86_64/aarch64: little-endian), as the kernel writes it.
/// </summary>
public sealed class FuseProtocolTests
{
    private readonly ProtocolTestFileSystem _fs = new();
    private readonly List<string> _log = [];

    private (FuseSession Session, FuseInProcessChannel Channel) Open(FuseSessionOptions? options = null, bool init = true)
    {
        options ??= new FuseSessionOptions();
        var session = new FuseSession(_fs, new FuseSessionOptions
        {
            WorkerCount = 1,
            MaxWrite = options.MaxWrite,
            PosixAcl = options.PosixAcl,
            WritebackCache = options.WritebackCache,
            RootTimeout = options.RootTimeout,
            Log = line =>
            {
                lock (_log)
                {
                    _log.Add(line);
                }
            },
        });
        var channel = session.CreateInProcessChannel();
        if (init)
        {
            Assert.Equal(0, Reply.Parse(channel.Exchange(Request.FullInit())).Error);
        }

        return (session, channel);
    }

    [Fact]
    public void Init_CompatSixteenByteInitIn_RepliesWithTwentyFourByteInitOut()
    {
        var (session, channel) = Open(init: false);
        var request = AnnotatedHex.Parse("""
            38000000            // fuse_in_header.len = 56 (40 + 16)
            1a000000            // opcode = 26 FUSE_INIT
            0100000000000000    // unique = 1
            0000000000000000    // nodeid = 0
            00000000 00000000   // uid, gid
            00000000            // pid
            0000 0000           // total_extlen, padding
            07000000            // fuse_init_in.major = 7
            16000000            // minor = 22 (a 3.x kernel: no flags2, 16-byte init_in)
            00000200            // max_readahead = 131072
            2be00000            // flags = ASYNC_READ|POSIX_LOCKS|ATOMIC_O_TRUNC|BIG_WRITES|DO_READDIRPLUS|READDIRPLUS_AUTO|ASYNC_DIO
            """);

        var reply = channel.Exchange(request);

        var expected = AnnotatedHex.Parse("""
            28000000            // fuse_out_header.len = 40 (16 + FUSE_COMPAT_22_INIT_OUT_SIZE)
            00000000            // error = 0
            0100000000000000    // unique = 1
            07000000            // fuse_init_out.major = 7
            2d000000            // minor = 45 (ours; the kernel then speaks 22)
            00000200            // max_readahead = 131072 (the kernel's value)
            29e00000            // flags = the offer minus POSIX_LOCKS (the kernel keeps local locking)
            4000                // max_background = 64
            3000                // congestion_threshold = 48
            00001000            // max_write = 1 MiB
            """);
        Assert.Equal(AnnotatedHex.Format(expected), AnnotatedHex.Format(reply));
        Assert.True(session.IsInitialized);
        Assert.Equal(22u, session.Connection!.ProtocolMinor);
        Assert.Equal(0xe02bUL, _fs.InitConnection!.KernelFlags);
    }

    [Fact]
    public void Init_FullInitInWithInitExt_NegotiatesFlags2AndMaxPages()
    {
        var (session, channel) = Open(new FuseSessionOptions { PosixAcl = true }, init: false);
        var request = AnnotatedHex.Parse("""
            68000000            // fuse_in_header.len = 104 (40 + 64)
            1a000000            // opcode = 26 FUSE_INIT
            0200000000000000    // unique = 2
            0000000000000000    // nodeid
            00000000 00000000 00000000 0000 0000 // uid gid pid total_extlen padding
            07000000            // major = 7
            2c000000            // minor = 44
            00000200            // max_readahead = 131072
            21005570            // flags = ASYNC_READ|BIG_WRITES|WRITEBACK_CACHE|PARALLEL_DIROPS|POSIX_ACL|MAX_PAGES|SETXATTR_EXT|INIT_EXT|bit 28 (KILLPRIV_V2)
            11000000            // flags2 = SECURITY_CTX (bit 32) | DIRECT_IO_ALLOW_MMAP (bit 36)
            0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000 // unused[11]
            """);

        var reply = channel.Exchange(request);

        var expected = AnnotatedHex.Parse("""
            50000000            // len = 80 (16 + 64)
            00000000            // error = 0
            0200000000000000    // unique = 2
            07000000            // major = 7
            2d000000            // minor = 45
            00000200            // max_readahead = 131072
            21005460            // flags = ASYNC_READ|BIG_WRITES|PARALLEL_DIROPS|POSIX_ACL|MAX_PAGES|SETXATTR_EXT|INIT_EXT
                                //   (no WRITEBACK_CACHE, no KILLPRIV_V2: not opted in)
            4000 3000           // max_background = 64, congestion_threshold = 48
            00001000            // max_write = 1 MiB
            01000000            // time_gran = 1 ns
            0001                // max_pages = 256
            0000                // map_alignment
            10000000            // flags2 = DIRECT_IO_ALLOW_MMAP (SECURITY_CTX not wanted)
            00000000            // max_stack_depth
            0000                // request_timeout
            00000000000000000000000000000000000000000000 // unused[11]
            """);
        Assert.Equal(AnnotatedHex.Format(expected), AnnotatedHex.Format(reply));
        Assert.True(session.Connection!.IsNegotiated(FuseAbi.FUSE_POSIX_ACL));
        Assert.False(session.Connection.IsNegotiated(FuseAbi.FUSE_WRITEBACK_CACHE));
        Assert.Equal(256, session.Connection.MaxPages);
    }

    [Fact]
    public void Init_FilesystemAdjustsWant_ReplyCarriesTheChoice()
    {
        _fs.OnInit = connection =>
        {
            connection.Want |= FuseAbi.FUSE_WRITEBACK_CACHE;
            connection.MaxWrite = 128 * 1024;
        };
        var (session, _) = Open();
        Assert.True(session.Connection!.IsNegotiated(FuseAbi.FUSE_WRITEBACK_CACHE));
        Assert.Equal(128u * 1024, session.Connection.MaxWrite);
        Assert.Equal(32, session.Connection.MaxPages);
    }

    [Fact]
    public void Init_TooShort_AnswersEinvalAndStaysUninitialised()
    {
        var (session, channel) = Open(init: false);
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_INIT, 5, 0, [7, 0, 0, 0])));
        Assert.Equal(-(int)Errno.EINVAL, reply.Error);
        Assert.False(session.IsInitialized);
    }

    [Fact]
    public void RequestBeforeInit_AnswersEio()
    {
        var (_, channel) = Open(init: false);
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_GETATTR, 3, 1, new byte[16])));
        Assert.Equal(-(int)Errno.EIO, reply.Error);
    }

    [Fact]
    public void Lookup_ExistingName_RepliesFuseEntryOut()
    {
        var (_, channel) = Open();
        var request = AnnotatedHex.Parse("""
            2e000000            // len = 46 (40 + "hello\0")
            01000000            // opcode = 1 FUSE_LOOKUP
            0a00000000000000    // unique = 10
            0100000000000000    // nodeid = 1 (the root)
            e8030000 e8030000   // uid = 1000, gid = 1000
            01000000 0000 0000  // pid = 1, total_extlen, padding
            68656c6c6f00        // name = "hello\0"
            """);

        var reply = channel.Exchange(request);

        var expected = AnnotatedHex.Parse("""
            90000000 00000000   // len = 144 (16 + 128), error = 0
            0a00000000000000    // unique = 10
            0200000000000000    // fuse_entry_out.nodeid = 2
            0000000000000000    // generation = 0
            0100000000000000    // entry_valid = 1 s
            0100000000000000    // attr_valid = 1 s
            00000000 00000000   // entry_valid_nsec, attr_valid_nsec
            0200000000000000    // attr.ino = 2
            0500000000000000    // attr.size = 5
            0100000000000000    // attr.blocks = 1
            00f1536500000000    // attr.atime = 1700000000
            00f1536500000000    // attr.mtime
            00f1536500000000    // attr.ctime
            05000000 05000000 05000000 // atimensec, mtimensec, ctimensec = 5
            a4810000            // mode = S_IFREG | 0644
            01000000            // nlink = 1
            e8030000 e8030000   // uid, gid = 1000
            00000000            // rdev
            00100000            // blksize = 4096
            00000000            // flags
            """);
        Assert.Equal(AnnotatedHex.Format(expected), AnnotatedHex.Format(reply));
    }

    [Fact]
    public void Lookup_MissingName_AnswersEnoent()
    {
        var (_, channel) = Open();
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_LOOKUP, 11, 1, Request.Name("missing"))));
        Assert.Equal(-(int)Errno.ENOENT, reply.Error);
        Assert.Empty(reply.Payload);
        Assert.Equal(11UL, reply.Unique);
    }

    [Fact]
    public void Lookup_NegativeEntry_RepliesNodeZeroWithEntryTimeout()
    {
        var (_, channel) = Open();
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_LOOKUP, 12, 1, Request.Name("negative"))));
        Assert.Equal(0, reply.Error);
        Assert.Equal(128, reply.Payload.Length);
        Assert.Equal(0UL, BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload));          // nodeid 0
        Assert.Equal(5UL, BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload.AsSpan(16))); // entry_valid = 5 s
    }

    [Fact]
    public void Lookup_NameWithoutNul_AnswersEinvalAndLogs()
    {
        var (_, channel) = Open();
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_LOOKUP, 13, 1, "hello"u8.ToArray())));
        Assert.Equal(-(int)Errno.EINVAL, reply.Error);
        Assert.Contains(_log, l => l.Contains("FUSE_LOOKUP (1)") && l.Contains("unique=13") && l.Contains("malformed"));
    }

    [Fact]
    public void GetAttr_RepliesFuseAttrOut()
    {
        var (_, channel) = Open();
        var request = AnnotatedHex.Parse("""
            38000000            // len = 56 (40 + 16)
            03000000            // opcode = 3 FUSE_GETATTR
            1400000000000000    // unique = 20
            0200000000000000    // nodeid = 2
            00000000 00000000 00000000 0000 0000 // uid gid pid total_extlen padding
            00000000 00000000   // fuse_getattr_in.getattr_flags = 0, dummy
            0000000000000000    // fh
            """);

        var reply = channel.Exchange(request);

        var expected = AnnotatedHex.Parse("""
            78000000 00000000   // len = 120 (16 + 104), error = 0
            1400000000000000    // unique = 20
            0100000000000000    // fuse_attr_out.attr_valid = 1 s
            0065cd1d            // attr_valid_nsec = 500,000,000 (1.5 s)
            00000000            // dummy
            0200000000000000 0500000000000000 0100000000000000 // ino, size, blocks
            00f1536500000000 00f1536500000000 00f1536500000000 // atime, mtime, ctime
            05000000 05000000 05000000 // nsecs
            a4810000 01000000 e8030000 e8030000 00000000 00100000 00000000 // mode nlink uid gid rdev blksize flags
            """);
        Assert.Equal(AnnotatedHex.Format(expected), AnnotatedHex.Format(reply));
    }

    [Fact]
    public void GetAttr_OfRoot_RootTimeoutRaisesTheFilesystemsTimeout()
    {
        var (_, channel) = Open(new FuseSessionOptions { RootTimeout = TimeSpan.FromDays(1) });
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_GETATTR, 21, 1, new byte[16])));
        Assert.Equal(0, reply.Error);
        Assert.Equal(86400UL, BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload)); // attr_valid
    }

    [Fact]
    public void Statx_RepliesFuseStatxOutWithTheBirthTime_WithoutOneAnswersEnosysOnce()
    {
        var (_, channel) = Open();
        var statxIn = new byte[24]; // getattr_flags, reserved, fh, sx_flags, sx_mask = STATX_BTIME
        BinaryPrimitives.WriteUInt32LittleEndian(statxIn.AsSpan(20), 0x800);
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_STATX, 60, 2, statxIn)));
        Assert.Equal(0, reply.Error);
        var p = reply.Payload;
        Assert.Equal(32 + 256, p.Length);                                                  // fuse_statx_out
        Assert.Equal(1UL, BinaryPrimitives.ReadUInt64LittleEndian(p));                     // attr_valid = 1 s (1500 ms)
        Assert.Equal(500_000_000U, BinaryPrimitives.ReadUInt32LittleEndian(p[8..]));      // attr_valid_nsec
        Assert.Equal(0xfffU, BinaryPrimitives.ReadUInt32LittleEndian(p[32..]));           // mask = BASIC_STATS | BTIME
        Assert.Equal(4096U, BinaryPrimitives.ReadUInt32LittleEndian(p[36..]));            // blksize
        Assert.Equal(1U, BinaryPrimitives.ReadUInt32LittleEndian(p[48..]));               // nlink
        Assert.Equal(1000U, BinaryPrimitives.ReadUInt32LittleEndian(p[52..]));            // uid
        Assert.Equal((ushort)0x81A4, BinaryPrimitives.ReadUInt16LittleEndian(p[60..]));   // mode
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(p[64..]));              // ino
        Assert.Equal(5UL, BinaryPrimitives.ReadUInt64LittleEndian(p[72..]));              // size
        Assert.Equal(1_500_000_000L, BinaryPrimitives.ReadInt64LittleEndian(p[112..]));   // btime.tv_sec
        Assert.Equal(250U, BinaryPrimitives.ReadUInt32LittleEndian(p[120..]));            // btime.tv_nsec
        Assert.Equal(ProtocolTestFileSystem.Time.Seconds, BinaryPrimitives.ReadInt64LittleEndian(p[144..])); // mtime

        // The root has no birth time here: ENOSYS, so the kernel stops asking and uses GETATTR.
        Assert.Equal(-(int)Errno.ENOSYS, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_STATX, 61, 1, statxIn))).Error);
        Assert.Equal(-(int)Errno.ENOSYS, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_STATX, 62, 1, statxIn))).Error);
        Assert.Single(_log, l => l.Contains("FUSE_STATX (52) is not implemented"));
        // Short input: EINVAL, not a crash.
        Assert.Equal(-(int)Errno.EINVAL, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_STATX, 63, 2, new byte[10]))).Error);
    }

    [Fact]
    public void HandlerException_AnswersEioAndLogsOpcodeNodeAndUnique()
    {
        var (_, channel) = Open();
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_GETATTR, 42, 7, new byte[16])));
        Assert.Equal(-(int)Errno.EIO, reply.Error);
        Assert.Equal(42UL, reply.Unique);
        var line = Assert.Single(_log, l => l.Contains("disk on fire"));
        Assert.Contains("FUSE_GETATTR (3)", line);
        Assert.Contains("nodeid=7", line);
        Assert.Contains("unique=42", line);
    }

    [Fact]
    public void FuseErrnoException_AnswersItsErrnoWithoutLogging()
    {
        var (_, channel) = Open();
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_LOOKUP, 43, 1, Request.Name("denied"))));
        Assert.Equal(-(int)Errno.EACCES, reply.Error);
        Assert.Empty(_log);
    }

    [Fact]
    public void UnknownOpcode_AnswersEnosysAndLogsOnce()
    {
        var (_, channel) = Open();
        for (ulong unique = 50; unique < 53; unique++)
        {
            var reply = Reply.Parse(channel.Exchange(Request.Build((fuse_opcode)9999, unique, 1)));
            Assert.Equal(-(int)Errno.ENOSYS, reply.Error);
        }

        Assert.Single(_log, l => l.Contains("opcode 9999") && l.Contains("ENOSYS"));
    }

    [Fact]
    public void UnimplementedFilesystemMethod_AnswersEnosysAndLogsOncePerOpcode()
    {
        var (_, channel) = Open();
        var link = Request.Struct(new fuse_link_in { oldnodeid = 2 });
        Assert.Equal(-(int)Errno.ENOSYS, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_LINK, 60, 1, link, Request.Name("x")))).Error);
        Assert.Equal(-(int)Errno.ENOSYS, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_LINK, 61, 1, link, Request.Name("y")))).Error);
        Assert.Equal(-(int)Errno.ENOSYS, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_GETLK, 62, 2, new byte[48]))).Error);
        Assert.Single(_log, l => l.Contains("FUSE_LINK (13)"));
        Assert.Single(_log, l => l.Contains("FUSE_GETLK (31)"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(15)]
    public void TinyRequest_WithoutUniqueId_IsDroppedWithoutCrash(int length)
    {
        var (_, channel) = Open();
        Assert.Null(channel.Exchange(new byte[length]));
        Assert.Contains(_log, l => l.Contains("short request"));
    }

    [Fact]
    public void ShortRequest_WithUniqueId_AnswersEio()
    {
        var (_, channel) = Open();
        var bytes = Request.Build(fuse_opcode.FUSE_GETATTR, 77, 1)[..24];
        var reply = Reply.Parse(channel.Exchange(bytes));
        Assert.Equal(-(int)Errno.EIO, reply.Error);
        Assert.Equal(77UL, reply.Unique);
    }

    [Fact]
    public void HeaderLengthBeyondTheBytesRead_AnswersEio()
    {
        var (_, channel) = Open();
        var bytes = Request.Build(fuse_opcode.FUSE_LOOKUP, 78, 1, Request.Name("hello"));
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, 4096);
        Assert.Equal(-(int)Errno.EIO, Reply.Parse(channel.Exchange(bytes)).Error);
    }

    [Fact]
    public void ExtensionLengthBeyondThePayload_AnswersEio()
    {
        var (_, channel) = Open();
        var bytes = Request.Build(fuse_opcode.FUSE_LOOKUP, 79, 1, Request.Name("hello"));
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(36), 100); // total_extlen = 800 bytes
        Assert.Equal(-(int)Errno.EIO, Reply.Parse(channel.Exchange(bytes)).Error);
    }

    [Fact]
    public void Extensions_AreStrippedBeforeParsing()
    {
        var (_, channel) = Open();
        var ext = new byte[16]; // one fuse_ext_header + 8 bytes of FUSE_EXT_GROUPS payload
        BinaryPrimitives.WriteUInt32LittleEndian(ext, 16);
        BinaryPrimitives.WriteUInt32LittleEndian(ext.AsSpan(4), FuseAbi.FUSE_EXT_GROUPS);
        var bytes = Request.Build(fuse_opcode.FUSE_LOOKUP, 80, 1, Request.Name("hello"), new byte[2] /* pad name to 8 */, ext);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(36), 2);
        var reply = Reply.Parse(channel.Exchange(bytes));
        Assert.Equal(0, reply.Error);
        Assert.Equal(2UL, BinaryPrimitives.ReadUInt64LittleEndian(reply.Payload));
    }

    [Fact]
    public void Write_DataShorterThanDeclaredSize_AnswersEinval()
    {
        var (_, channel) = Open();
        var write = Request.Struct(new fuse_write_in { fh = 1, offset = 0, size = 100 });
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_WRITE, 81, 2, write, new byte[10])));
        Assert.Equal(-(int)Errno.EINVAL, reply.Error);
    }

    [Fact]
    public void Write_RepliesFuseWriteOut()
    {
        var (_, channel) = Open();
        var write = Request.Struct(new fuse_write_in { fh = 1, offset = 0, size = 3 });
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_WRITE, 82, 2, write, "abc"u8.ToArray())));
        Assert.Equal(0, reply.Error);
        Assert.Equal("0300000000000000", AnnotatedHex.Format(reply.Payload)); // fuse_write_out.size = 3, padding
    }

    [Fact]
    public void Read_RepliesTheBytesRead()
    {
        var (_, channel) = Open();
        var read = Request.Struct(new fuse_read_in { fh = 1, offset = 1, size = 4096 });
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_READ, 83, 2, read)));
        Assert.Equal(0, reply.Error);
        Assert.Equal("ello"u8.ToArray(), reply.Payload);
    }

    [Fact]
    public void BatchForget_CountBeyondPayload_IsIgnoredWithoutReply()
    {
        var (_, channel) = Open();
        var batch = Request.Struct(new fuse_batch_forget_in { count = 1000 });
        Assert.Null(channel.Exchange(Request.Build(fuse_opcode.FUSE_BATCH_FORGET, 84, 0, batch, new byte[16])));
        Assert.Empty(_fs.Forgotten);
    }

    [Fact]
    public void ForgetAndBatchForget_ReachTheFilesystemWithoutReply()
    {
        var (_, channel) = Open();
        Assert.Null(channel.Exchange(Request.Build(fuse_opcode.FUSE_FORGET, 85, 2, Request.Struct(new fuse_forget_in { nlookup = 3 }))));
        var batch = AnnotatedHex.Parse("""
            02000000 00000000   // fuse_batch_forget_in.count = 2, dummy
            0500000000000000    // forget_one[0].nodeid = 5
            0100000000000000    // nlookup = 1
            0600000000000000    // forget_one[1].nodeid = 6
            0700000000000000    // nlookup = 7
            """);
        Assert.Null(channel.Exchange(Request.Build(fuse_opcode.FUSE_BATCH_FORGET, 86, 0, batch)));
        Assert.Equal([(2UL, 3UL), (5UL, 1UL), (6UL, 7UL)], _fs.Forgotten);
    }

    [Fact]
    public void ReadDir_PacksAlignedDirentsStopsAtSizeAndResumesFromCookie()
    {
        var (_, channel) = Open();
        // Room for exactly two 32-byte entries ("a" and "bb" each pad to 32).
        var first = channel.Exchange(Request.Build(fuse_opcode.FUSE_READDIR, 90, 1, Request.Struct(new fuse_read_in { fh = 0, offset = 0, size = 64 + 8 })));
        var expected = AnnotatedHex.Parse("""
            50000000 00000000   // len = 80 (16 + 64), error = 0
            5a00000000000000    // unique = 90
            0a00000000000000    // dirent[0].ino = 10
            0100000000000000    // off = 1 (resume cookie)
            01000000            // namelen = 1
            08000000            // type = DT_REG (S_IFREG >> 12)
            61 00000000000000   // "a" + 7 bytes of padding
            0b00000000000000    // dirent[1].ino = 11
            0200000000000000    // off = 2
            02000000 08000000   // namelen = 2, type = DT_REG
            6262 000000000000   // "bb" + 6 bytes of padding
            """);
        Assert.Equal(AnnotatedHex.Format(expected), AnnotatedHex.Format(first));

        var second = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_READDIR, 91, 1, Request.Struct(new fuse_read_in { offset = 2, size = 4096 }))));
        Assert.Equal(64, second.Payload.Length); // "ccc" (32) + "dddd" (32)
        Assert.Equal(3UL, BinaryPrimitives.ReadUInt64LittleEndian(second.Payload.AsSpan(8)));
        Assert.Equal("ccc"u8.ToArray(), second.Payload[24..27]);
        Assert.Equal("dddd"u8.ToArray(), second.Payload[56..60]);

        var end = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_READDIR, 92, 1, Request.Struct(new fuse_read_in { offset = 4, size = 4096 }))));
        Assert.Empty(end.Payload);
    }

    [Fact]
    public void GetXattr_SizeZeroQueriesTheSize_SmallBufferIsErange_LargeBufferGetsTheValue()
    {
        var (_, channel) = Open();
        byte[] GetXattr(ulong unique, uint size) =>
            channel.Exchange(Request.Build(fuse_opcode.FUSE_GETXATTR, unique, 2, Request.Struct(new fuse_getxattr_in { size = size }), Request.Name("user.k")))!;

        var query = GetXattr(100, 0);
        Assert.Equal(AnnotatedHex.Format(AnnotatedHex.Parse("""
            18000000 00000000   // len = 24 (16 + 8), error = 0
            6400000000000000    // unique = 100
            05000000 00000000   // fuse_getxattr_out.size = 5, padding
            """)), AnnotatedHex.Format(query));

        Assert.Equal(-(int)Errno.ERANGE, Reply.Parse(GetXattr(101, 3)).Error);
        var full = Reply.Parse(GetXattr(102, 100));
        Assert.Equal(0, full.Error);
        Assert.Equal("value"u8.ToArray(), full.Payload);

        var missing = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_GETXATTR, 103, 2, Request.Struct(new fuse_getxattr_in { size = 100 }), Request.Name("user.none"))));
        Assert.Equal(-(int)Errno.ENODATA, missing.Error);
    }

    [Fact]
    public void ListXattr_SizeQueryAndErange()
    {
        var (_, channel) = Open();
        byte[] List(ulong unique, uint size) =>
            channel.Exchange(Request.Build(fuse_opcode.FUSE_LISTXATTR, unique, 2, Request.Struct(new fuse_getxattr_in { size = size })))!;
        Assert.Equal(18u, BinaryPrimitives.ReadUInt32LittleEndian(Reply.Parse(List(110, 0)).Payload));
        Assert.Equal(-(int)Errno.ERANGE, Reply.Parse(List(111, 17)).Error);
        Assert.Equal("user.k\0user.other\0"u8.ToArray(), Reply.Parse(List(112, 18)).Payload);
    }

    [Fact]
    public async Task Interrupt_MarksTheRunningRequest_FilesystemAnswersEintr()
    {
        var (session, reader) = Open();
        var interrupter = session.CreateInProcessChannel();
        var read = Request.Struct(new fuse_read_in { fh = 1, offset = 0, size = 16 });
        var pending = Task.Run(() => reader.Exchange(Request.Build(fuse_opcode.FUSE_READ, 200, 9, read)));
        Assert.True(_fs.ReadStarted.Wait(TimeSpan.FromSeconds(10)));

        // FUSE_INTERRUPT's own unique has FUSE_INT_REQ_BIT set; it is never answered.
        var interrupt = Request.Struct(new fuse_interrupt_in { unique = 200 });
        Assert.Null(interrupter.Exchange(Request.Build(fuse_opcode.FUSE_INTERRUPT, 201, 0, interrupt)));

        var reply = Reply.Parse(await pending.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(-(int)Errno.EINTR, reply.Error);
        Assert.Equal(200UL, reply.Unique);
    }

    [Fact]
    public async Task Destroy_CallsTheFilesystemOnceEvenWhenTheSessionEndsAfterwards()
    {
        var (session, channel) = Open();
        var reply = Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_DESTROY, 300, 0)));
        Assert.Equal(0, reply.Error);
        Assert.Equal(1, _fs.DestroyCount);

        session.Abort();
        Assert.Equal(FuseSessionEndReason.Aborted, await session.Completion.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, _fs.DestroyCount);

        // After the end, requests are refused instead of reaching a destroyed filesystem.
        Assert.Equal(-(int)Errno.EIO, Reply.Parse(channel.Exchange(Request.Build(fuse_opcode.FUSE_GETATTR, 301, 2, new byte[16]))).Error);
    }
    [Fact]
    public void MayBlock_PassesTheReadTurnOnForRequestsThatWaitOnTheMembers_NotForAnswersFromMemory()
    {
        static bool MayBlock(fuse_opcode opcode, params byte[][] parts) => FuseSession.MayBlock(Request.Build(opcode, 9, 2, parts));

        // Answered from memory (a READ, WRITE, RELEASE or FLUSH that is not says so through FuseContext.WillBlock).
        foreach (var quick in new[]
        {
            fuse_opcode.FUSE_LOOKUP, fuse_opcode.FUSE_GETATTR, fuse_opcode.FUSE_CREATE, fuse_opcode.FUSE_MKDIR, fuse_opcode.FUSE_UNLINK,
            fuse_opcode.FUSE_RENAME2, fuse_opcode.FUSE_GETXATTR, fuse_opcode.FUSE_READDIRPLUS, fuse_opcode.FUSE_INTERRUPT,
            fuse_opcode.FUSE_BATCH_FORGET, fuse_opcode.FUSE_READ, fuse_opcode.FUSE_WRITE, fuse_opcode.FUSE_RELEASE, fuse_opcode.FUSE_FLUSH,
        })
        {
            Assert.False(MayBlock(quick, new byte[64]), $"{quick} should be answered by the reading worker");
        }

        // Waits whatever its arguments.
        foreach (var slow in new[]
        {
            fuse_opcode.FUSE_FSYNC, fuse_opcode.FUSE_FSYNCDIR, fuse_opcode.FUSE_SYNCFS, fuse_opcode.FUSE_FALLOCATE,
            fuse_opcode.FUSE_COPY_FILE_RANGE, fuse_opcode.FUSE_DESTROY, fuse_opcode.FUSE_INIT, (fuse_opcode)999,
        })
        {
            Assert.True(MayBlock(slow, new byte[64]), $"{slow} should pass the read turn on");
        }

        // OPEN waits only with O_TRUNC; SETATTR only with a size.
        Assert.False(MayBlock(fuse_opcode.FUSE_OPEN, Request.Struct(new fuse_open_in { flags = 0x2 /* O_RDWR */ })));
        Assert.True(MayBlock(fuse_opcode.FUSE_OPEN, Request.Struct(new fuse_open_in { flags = 0x2 | 0x200 /* O_RDWR|O_TRUNC */ })));
        Assert.False(MayBlock(fuse_opcode.FUSE_SETATTR, Request.Struct(new fuse_setattr_in { valid = FuseAbi.FATTR_MODE })));
        Assert.True(MayBlock(fuse_opcode.FUSE_SETATTR, Request.Struct(new fuse_setattr_in { valid = FuseAbi.FATTR_MODE | FuseAbi.FATTR_SIZE })));
        // Truncated bodies count as slow: the handler rejects them, nothing is lost by a hand-off.
        Assert.True(MayBlock(fuse_opcode.FUSE_OPEN));
        Assert.True(MayBlock(fuse_opcode.FUSE_SETATTR));
    }
}
