namespace Argos.Fuse;

/// <summary>A mount or unmount that failed for a reason other than one system call (fusermount3 refused, timed out…).</summary>
public sealed class FuseMountException : IOException
{
    public FuseMountException(string message)
        : base(message)
    {
    }
}
