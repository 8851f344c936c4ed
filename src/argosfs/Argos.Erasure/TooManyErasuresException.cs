namespace Argos.Erasure;

/// <summary>
/// More shards of a stripe are missing than its parity can rebuild (missing &gt; m, i.e. fewer than k
/// survivors). The data is not recoverable from this stripe alone.
/// </summary>
public sealed class TooManyErasuresException : Exception
{
    public TooManyErasuresException(int missingShards, int dataShards, int parityShards)
        : base($"stripe has {missingShards} shards missing but parity can recover at most {parityShards} " +
               $"(layout {dataShards}+{parityShards}); bring a missing member back online or restore the data from another copy")
    {
        MissingShards = missingShards;
        DataShards = dataShards;
        ParityShards = parityShards;
    }

    public int MissingShards { get; }

    public int DataShards { get; }

    public int ParityShards { get; }
}
