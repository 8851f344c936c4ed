namespace Argos.Format.Pool;

/// <summary>A byte range on one member, 4 KiB aligned when it comes from the allocator.</summary>
public readonly record struct Extent(MemberIndex Member, long OffsetBytes, long LengthBytes)
{
    public long EndBytes => OffsetBytes + LengthBytes;

    public bool Overlaps(Extent other)
        => Member == other.Member && OffsetBytes < other.EndBytes && other.OffsetBytes < EndBytes;

    public override string ToString() => $"member {Member} [{OffsetBytes}, +{LengthBytes})";
}
