namespace Argos.Format;

/// <summary>An inode number. 1 is the root directory; 0 is never a valid inode.</summary>
public readonly record struct InodeId(ulong Value)
{
    public static readonly InodeId Root = new(1);
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A member's index in its pool (0-based, stable for the member's life, never reused).</summary>
public readonly record struct MemberIndex(int Value)
{
    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The index of a stripe within a file: byte offset / stripe data size.</summary>
public readonly record struct StripeIndex(ulong Value);

/// <summary>A shard's position in its stripe: 0..k-1 data, k..k+m-1 parity.</summary>
public readonly record struct ShardIndex(int Value);

/// <summary>A metadata transaction id: strictly increasing over the pool's life.</summary>
public readonly record struct TxId(ulong Value)
{
    public TxId Next => new(Value + 1);

    // The generated one prints properties too, and Next's own Next: ToString never ended (a stack
    // overflow in any assertion message or log line naming a TxId).
    private bool PrintMembers(System.Text.StringBuilder builder)
    {
        builder.Append("Value = ").Append(Value);
        return true;
    }
}

/// <summary>The superblock generation: bumped on every read-write open and clean close.</summary>
public readonly record struct Generation(ulong Value);
