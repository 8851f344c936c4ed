namespace Argos.Fuse;

/// <summary>The opaque fh a filesystem returns from OPEN/OPENDIR/CREATE; the kernel hands it back on every I/O.</summary>
public readonly record struct FileHandle(ulong Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
