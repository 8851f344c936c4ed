namespace Argos.Native.Tests;

internal static class TestData
{
    public static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Text-like bytes: a small vocabulary of words, compresses well with any codec.</summary>
    public static byte[] Compressible(int length, int seed)
    {
        string[] words = ["stripe ", "shard ", "parity ", "member ", "inode ", "journal ", "checkpoint ", "argos "];
        var rng = new Random(seed);
        var bytes = new byte[length];
        int i = 0;
        while (i < length)
        {
            string w = words[rng.Next(words.Length)];
            for (int j = 0; j < w.Length && i < length; j++)
            {
                bytes[i++] = (byte)w[j];
            }
        }

        return bytes;
    }

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));
}
