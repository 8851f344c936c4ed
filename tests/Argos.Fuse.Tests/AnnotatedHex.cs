using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace Argos.Fuse.Tests;

/// <summary>Byte vectors written as hex with a comment per field ("// ..." to end of line is ignored).</summary>
internal static class AnnotatedHex
{
    public static byte[] Parse(string text)
    {
        var hex = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            int comment = raw.IndexOf("//", StringComparison.Ordinal);
            var line = comment >= 0 ? raw[..comment] : raw;
            foreach (char c in line)
            {
                if (!char.IsWhiteSpace(c))
                {
                    hex.Append(c);
                }
            }
        }

        return Convert.FromHexString(hex.ToString());
    }

    public static string Format(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();
}

/// <summary>Builds requests when the exact bytes are not the point of the test.</summary>
internal static class Request
{
    public static byte[] Build(fuse_opcode opcode, ulong unique, ulong nodeid, params byte[][] parts)
    {
        int payload = parts.Sum(p => p.Length);
        var bytes = new byte[40 + payload];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(0), (uint)bytes.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), (uint)opcode);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), unique);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), nodeid);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(24), 1000); // uid
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(28), 1000); // gid
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(32), 4242); // pid
        int offset = 40;
        foreach (var part in parts)
        {
            part.CopyTo(bytes, offset);
            offset += part.Length;
        }

        return bytes;
    }

    public static byte[] Name(string name) => [.. Encoding.UTF8.GetBytes(name), 0];

    public static byte[] Struct<T>(T value)
        where T : unmanaged
    {
        var bytes = new byte[System.Runtime.CompilerServices.Unsafe.SizeOf<T>()];
        System.Runtime.InteropServices.MemoryMarshal.Write(bytes, in value);
        return bytes;
    }

    /// <summary>A kernel-7.45-style INIT that offers everything, so the tests can talk to an initialised session.</summary>
    public static byte[] FullInit(ulong unique = 1)
    {
        var init = new fuse_init_in { major = 7, minor = 45, max_readahead = 131072, flags = uint.MaxValue, flags2 = uint.MaxValue };
        return Build(fuse_opcode.FUSE_INIT, unique, 0, Struct(init));
    }
}

internal readonly record struct Reply(uint Len, int Error, ulong Unique, byte[] Payload)
{
    public static Reply Parse(byte[]? bytes)
    {
        Xunit.Assert.NotNull(bytes);
        Xunit.Assert.True(bytes!.Length >= 16, $"reply of {bytes.Length} bytes");
        uint len = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        Xunit.Assert.Equal((uint)bytes.Length, len);
        return new Reply(len, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(4)), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)), bytes[16..]);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"len={Len} error={Error} unique={Unique} payload={AnnotatedHex.Format(Payload)}");
}
