namespace Argos.Platform.Native;

/// <summary>
/// A native codec call failed: corrupt or truncated compressed input, a result of the wrong size,
/// or a library that could not do its job (out of memory, failed initialisation).
/// </summary>
/// <remarks>At the FUSE boundary this is EIO: the bytes on disk (or in a reconstructed stripe) are bad.</remarks>
public sealed class NativeCodecException : IOException
{
    public NativeCodecException(string library, string function, string detail)
        : base($"{library} {function}: {detail}")
    {
        Library = library;
        Function = function;
        Detail = detail;
        HResult = (int)Errno.EIO;
    }

    public string Library { get; }
    public string Function { get; }
    public string Detail { get; }
    public Errno Errno => Errno.EIO;
}
