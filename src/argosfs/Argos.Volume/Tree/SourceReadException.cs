using Argos.Platform;

namespace Argos.Volume.Tree;

/// <summary>Reading the host file failed (not the pool): the message names the file.</summary>
public sealed class SourceReadException(string source, Exception inner) : IOException($"{source}: {inner.Message}", inner)
{
    public Errno Errno => InnerException is SystemCallException s ? s.Errno : Errno.EIO;
}
