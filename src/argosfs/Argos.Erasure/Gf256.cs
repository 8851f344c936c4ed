// GF(2^8) arithmetic as Intel ISA-L defines it (erasure_code/ec_base.c).
//
//   Field      GF(2^8) = GF(2)[x] / p(x),  p(x) = x^8 + x^4 + x^3 + x^2 + 1  (0x11D)
//   Addition   XOR
//   Generator  2 (x) is primitive for 0x11D: its powers 2^0 .. 2^254 run through all 255 non-zero elements
//   Multiply   a * b = exp[log a + log b] for a, b != 0; 0 otherwise
//   Inverse    a^-1 = exp[255 - log a] for a != 0; 0 has no inverse (Inverse(0) throws)
//
// The log/exp tables are not committed as data: the static constructor below is their generator. It
// walks the powers of 2, multiplying by x and reducing by 0x11D whenever bit 8 is set.
namespace Argos.Erasure;

/// <summary>Scalar GF(2^8) arithmetic over the polynomial 0x11D (the field ISA-L uses).</summary>
public static class Gf256
{
    /// <summary>The reduction polynomial x^8 + x^4 + x^3 + x^2 + 1.</summary>
    public const int Polynomial = 0x11D;

    // s_exp is doubled (510 entries) so exp[log a + log b] needs no "mod 255".
    private static readonly byte[] s_exp = new byte[510];
    private static readonly byte[] s_log = new byte[256];

    static Gf256()
    {
        int x = 1;
        for (int i = 0; i < 255; i++)
        {
            s_exp[i] = (byte)x;
            s_exp[i + 255] = (byte)x;
            s_log[x] = (byte)i;
            x <<= 1;
            if ((x & 0x100) != 0) x ^= Polynomial;
        }
        // s_log[0] stays 0 and is never read for a zero operand.
    }

    public static byte Add(byte a, byte b) => (byte)(a ^ b);

    public static byte Mul(byte a, byte b) =>
        a == 0 || b == 0 ? (byte)0 : s_exp[s_log[a] + s_log[b]];

    public static byte Inverse(byte a)
    {
        if (a == 0) throw new DivideByZeroException("0 has no inverse in GF(2^8)");
        return s_exp[255 - s_log[a]];
    }

    public static byte Div(byte a, byte b) => Mul(a, Inverse(b));

    /// <summary>2^e for any e (reduced mod 255).</summary>
    public static byte Exp(int e) => s_exp[((e % 255) + 255) % 255];
}
