using System.Diagnostics.CodeAnalysis;
using Argos.Platform;

namespace Argos.Metadata.Namespace;

/// <summary>
/// A namespace operation refused with an errno. The FUSE adapter replies with <see cref="Errno"/>;
/// the CLI prints the message, which names the resource and, where there is one, the fix.
/// </summary>
public sealed class NamespaceException : IOException
{
    public NamespaceException(Errno errno, string message)
        : base($"{message}: {errno}")
    {
        Errno = errno;
        HResult = (int)errno;
    }

    public Errno Errno { get; }
}

internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void Fail(Errno errno, string message) => throw new NamespaceException(errno, message);

    [DoesNotReturn]
    public static T Fail<T>(Errno errno, string message) => throw new NamespaceException(errno, message);

    [DoesNotReturn]
    public static void NoInode(ulong ino) => throw new NamespaceException(Errno.ENOENT, $"inode {ino} does not exist (stale handle or removed)");

    [DoesNotReturn]
    public static void NoEntry(ulong parent, ReadOnlySpan<byte> name)
        => throw new NamespaceException(Errno.ENOENT, $"no entry '{NameText(name)}' in directory {parent}");

    /// <summary>Printable form of a name that need not be UTF-8 (invalid bytes as \xNN).</summary>
    public static string NameText(ReadOnlySpan<byte> name)
    {
        var sb = new System.Text.StringBuilder(name.Length);
        foreach (byte b in name)
        {
            if (b >= 0x20 && b < 0x7F && b != (byte)'\\')
            {
                sb.Append((char)b);
            }
            else
            {
                sb.Append("\\x").Append(b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return sb.ToString();
    }
}
