namespace Argos.Fuse;

/// <summary>
/// INIT negotiation, handed to <see cref="FuseFileSystem.Init"/> before the reply is sent. The filesystem may
/// adjust <see cref="Want"/> and the limits; the session then answers with <c>Want &amp; KernelFlags</c>.
/// Flags are the 64-bit FUSE_* INIT values of <see cref="FuseAbi"/> (bits 32..63 travel in flags2).
/// </summary>
public sealed class FuseConnectionInfo
{
    internal FuseConnectionInfo(uint kernelMajor, uint kernelMinor, ulong kernelFlags, uint kernelMaxReadahead)
    {
        KernelMajor = kernelMajor;
        KernelMinor = kernelMinor;
        KernelFlags = kernelFlags;
        KernelMaxReadahead = kernelMaxReadahead;
    }

    public uint KernelMajor { get; }
    public uint KernelMinor { get; }
    /// <summary>The minor both sides speak: min(kernel, <see cref="FuseAbi.FUSE_KERNEL_MINOR_VERSION"/>).</summary>
    public uint ProtocolMinor => Math.Min(KernelMinor, FuseAbi.FUSE_KERNEL_MINOR_VERSION);
    /// <summary>What the kernel offers.</summary>
    public ulong KernelFlags { get; }
    public uint KernelMaxReadahead { get; }

    /// <summary>What the daemon asks for; prefilled from <see cref="FuseSessionOptions"/>.</summary>
    public ulong Want { get; set; }

    /// <summary>After the reply: what both sides agreed on.</summary>
    public ulong Negotiated { get; internal set; }

    /// <summary>Largest WRITE payload; capped by the session's buffers (set by <see cref="FuseSessionOptions.MaxWrite"/>).</summary>
    public uint MaxWrite { get; set; }
    public uint MaxReadahead { get; set; }
    public ushort MaxBackground { get; set; }
    public ushort CongestionThreshold { get; set; }
    /// <summary>Timestamp granularity in nanoseconds (1 = full nanosecond precision).</summary>
    public uint TimeGranularityNs { get; set; } = 1;
    /// <summary>Pages per request (FUSE_MAX_PAGES): derived from <see cref="MaxWrite"/> when the reply is built.</summary>
    public ushort MaxPages { get; internal set; }

    public bool KernelOffers(ulong flag) => (KernelFlags & flag) == flag;

    public bool IsNegotiated(ulong flag) => (Negotiated & flag) == flag;
}
