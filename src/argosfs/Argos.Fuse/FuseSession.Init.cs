using Argos.Platform;

namespace Argos.Fuse;

// INIT negotiation (fuse.h "Version negotiation"):
//  - fuse_init_in is read BY LENGTH: 8 bytes before 7.6, 16 bytes before 7.36, 64 bytes after (flags2 valid
//    only when FUSE_INIT_EXT is set).
//  - kernel major > 7: answer major 7 and wait for another INIT; major < 7: EPROTO.
//  - the answer carries our minor; both sides then use min(kernel, ours). fuse_init_out is 8 bytes before 7.5,
//    24 before 7.23, 64 after.
//  - _initialized is set BEFORE the reply is written: other workers may read requests the moment it lands.
public sealed partial class FuseSession
{
    private const Errno EPROTO = (Errno)71;

    private unsafe void OnInit(FuseWorker worker, in fuse_in_header header, ref FuseRequestReader reader)
    {
        if (IsInitialized)
        {
            Malformed(worker, in header, "second INIT");
            return;
        }

        int wire = Math.Min(reader.Remaining, sizeof(fuse_init_in));
        if (wire < 8 || !reader.TryRead(wire, out fuse_init_in init))
        {
            Malformed(worker, in header, $"fuse_init_in of {reader.Remaining} bytes");
            return;
        }

        if (init.major < FuseAbi.FUSE_KERNEL_VERSION)
        {
            _log($"argosfs: fuse: kernel speaks FUSE {init.major}.{init.minor}; 7.x is required");
            SendError(worker, header.unique, EPROTO);
            return;
        }

        if (init.major > FuseAbi.FUSE_KERNEL_VERSION)
        {
            var version = new fuse_init_out { major = FuseAbi.FUSE_KERNEL_VERSION, minor = FuseAbi.FUSE_KERNEL_MINOR_VERSION };
            ReplyStruct(worker, in header, in version, FuseAbi.FUSE_COMPAT_INIT_OUT_SIZE);
            return;
        }

        ulong kernelFlags = init.flags;
        if ((init.flags & FuseAbi.FUSE_INIT_EXT) != 0)
        {
            kernelFlags |= (ulong)init.flags2 << 32;
        }

        var connection = new FuseConnectionInfo(init.major, init.minor, kernelFlags, init.max_readahead)
        {
            Want = DefaultWant(),
            MaxWrite = _options.MaxWrite,
            MaxReadahead = init.max_readahead,
            MaxBackground = _options.MaxBackground,
            CongestionThreshold = (ushort)Math.Max(1, _options.MaxBackground * 3 / 4),
        };

        try
        {
            _fs.Init(connection);
        }
        catch (FuseErrnoException e)
        {
            SendError(worker, header.unique, e.Errno);
            return;
        }
        catch (Exception e)
        {
            _log($"argosfs: fuse: FUSE_INIT (26) unique={header.unique}: FuseFileSystem.Init threw, answering EIO: {e}");
            SendError(worker, header.unique, Errno.EIO);
            return;
        }

        ulong want = connection.Want & kernelFlags;
        if ((kernelFlags & FuseAbi.FUSE_INIT_EXT) != 0)
        {
            want |= FuseAbi.FUSE_INIT_EXT; // so the kernel reads flags2
        }

        uint page = (uint)Environment.SystemPageSize;
        uint maxWrite = Math.Clamp(connection.MaxWrite, 4096u, _maxWriteCapacity);
        ushort maxPages = (ushort)Math.Clamp((maxWrite + page - 1) / page, 1u, ushort.MaxValue);
        uint minor = Math.Min(init.minor, FuseAbi.FUSE_KERNEL_MINOR_VERSION);

        var reply = new fuse_init_out
        {
            major = FuseAbi.FUSE_KERNEL_VERSION,
            minor = FuseAbi.FUSE_KERNEL_MINOR_VERSION,
            max_readahead = Math.Min(connection.MaxReadahead, init.max_readahead),
            flags = (uint)want,
            max_background = connection.MaxBackground,
            congestion_threshold = connection.CongestionThreshold,
            max_write = maxWrite,
            time_gran = Math.Max(1u, connection.TimeGranularityNs),
            max_pages = maxPages,
            map_alignment = 0,
            flags2 = (uint)(want >> 32),
        };

        int replySize = minor < 5 ? FuseAbi.FUSE_COMPAT_INIT_OUT_SIZE
            : minor < 23 ? FuseAbi.FUSE_COMPAT_22_INIT_OUT_SIZE
            : sizeof(fuse_init_out);

        _protocolMinor = minor;
        _entryOutSize = minor < 9 ? FuseAbi.FUSE_COMPAT_ENTRY_OUT_SIZE : sizeof(fuse_entry_out);
        _attrOutSize = minor < 9 ? FuseAbi.FUSE_COMPAT_ATTR_OUT_SIZE : sizeof(fuse_attr_out);
        _statfsOutSize = minor < 4 ? FuseAbi.FUSE_COMPAT_STATFS_SIZE : sizeof(fuse_statfs_out);
        _setxattrExt = (want & FuseAbi.FUSE_SETXATTR_EXT) != 0;

        connection.Negotiated = want;
        connection.MaxWrite = maxWrite;
        connection.MaxPages = maxPages;
        Connection = connection;

        Volatile.Write(ref _initialized, 1);
        ReplyStruct(worker, in header, in reply, replySize);
        _initDone.Set();
    }

    private ulong DefaultWant()
    {
        ulong want = FuseAbi.FUSE_BIG_WRITES | FuseAbi.FUSE_MAX_PAGES | FuseAbi.FUSE_ASYNC_DIO
            | FuseAbi.FUSE_SETXATTR_EXT | FuseAbi.FUSE_DIRECT_IO_ALLOW_MMAP;
        if (_options.AsyncRead)
        {
            want |= FuseAbi.FUSE_ASYNC_READ;
        }

        if (_options.AtomicOTrunc)
        {
            want |= FuseAbi.FUSE_ATOMIC_O_TRUNC;
        }

        if (_options.ParallelDirOps)
        {
            want |= FuseAbi.FUSE_PARALLEL_DIROPS;
        }

        if (_options.ReadDirPlus)
        {
            want |= FuseAbi.FUSE_DO_READDIRPLUS | FuseAbi.FUSE_READDIRPLUS_AUTO;
        }

        if (_options.CacheSymlinks)
        {
            want |= FuseAbi.FUSE_CACHE_SYMLINKS;
        }

        if (_options.WritebackCache)
        {
            want |= FuseAbi.FUSE_WRITEBACK_CACHE;
        }

        if (_options.PosixAcl)
        {
            want |= FuseAbi.FUSE_POSIX_ACL;
        }

        if (_options.HandleKillPriv)
        {
            want |= FuseAbi.FUSE_HANDLE_KILLPRIV_V2;
        }

        if (_options.ExportSupport)
        {
            want |= FuseAbi.FUSE_EXPORT_SUPPORT;
        }

        if (_options.DontMask)
        {
            want |= FuseAbi.FUSE_DONT_MASK;
        }

        return want;
    }
}
