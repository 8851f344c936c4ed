namespace Argos.Erasure.Tests;

/// <summary>The code computed the slow, obvious way: Gf256.Mul byte by byte over the coding matrix.</summary>
internal static class Reference
{
    public static byte[][] Parity(ReedSolomon codec, byte[][] data)
    {
        int k = codec.DataShards, m = codec.ParityShards, len = data[0].Length;
        var parity = new byte[m][];
        for (int r = 0; r < m; r++)
        {
            parity[r] = new byte[len];
            for (int j = 0; j < k; j++)
            {
                byte c = codec.Coefficient(k + r, j);
                for (int i = 0; i < len; i++) parity[r][i] ^= Gf256.Mul(c, data[j][i]);
            }
        }
        return parity;
    }

    public static byte[][] RandomShards(Random rng, int count, int len)
    {
        var shards = new byte[count][];
        for (int i = 0; i < count; i++)
        {
            shards[i] = new byte[len];
            rng.NextBytes(shards[i]);
        }
        return shards;
    }

    public static ReadOnlyMemory<byte>[] ReadOnly(byte[][] shards) => shards.Select(s => (ReadOnlyMemory<byte>)s).ToArray();

    public static Memory<byte>[] Writable(byte[][] shards) => shards.Select(s => (Memory<byte>)s).ToArray();

    /// <summary>Every subset of {0..n-1} with 1..maxSize elements.</summary>
    public static IEnumerable<int[]> Subsets(int n, int maxSize)
    {
        for (int size = 1; size <= maxSize; size++)
        {
            foreach (var s in Combinations(n, size, 0)) yield return s;
        }
    }

    private static IEnumerable<int[]> Combinations(int n, int size, int from)
    {
        if (size == 0)
        {
            yield return [];
            yield break;
        }
        for (int first = from; first <= n - size; first++)
        {
            foreach (var rest in Combinations(n, size - 1, first + 1)) yield return [first, .. rest];
        }
    }
}
