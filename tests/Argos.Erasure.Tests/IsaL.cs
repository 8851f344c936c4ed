// Intel ISA-L, the reference implementation (Debian package libisal2). Used by the tests (byte-exact
// parity) and linked into bench/ec (side-by-side speed). Never part of the shipped binary.
using System.Runtime.InteropServices;

namespace Argos.Erasure.Tests;

internal static unsafe partial class IsaL
{
    private const string Library = "libisal.so.2";

    /// <summary>Throws a message naming the fix when libisal.so.2 cannot be loaded.</summary>
    public static void EnsureAvailable(string library = Library)
    {
        if (!NativeLibrary.TryLoad(library, out nint handle))
        {
            throw new InvalidOperationException(
                $"{library} (Intel ISA-L) is not installed, so parity cannot be checked against the reference; run 'apt-get install libisal2' (make test installs it)");
        }
        NativeLibrary.Free(handle);
    }

    [LibraryImport(Library)]
    public static partial void gf_gen_cauchy1_matrix(byte* a, int m, int k);

    [LibraryImport(Library)]
    public static partial void ec_init_tables(int k, int rows, byte* a, byte* gftbls);

    [LibraryImport(Library)]
    public static partial void ec_encode_data(int len, int k, int rows, byte* gftbls, byte** data, byte** coding);

    [LibraryImport(Library)]
    public static partial int gf_invert_matrix(byte* input, byte* output, int n);

    [LibraryImport(Library)]
    public static partial byte gf_mul(byte a, byte b);

    [LibraryImport(Library)]
    public static partial byte gf_inv(byte a);

    /// <summary>ISA-L's (k+m) x k Cauchy matrix.</summary>
    public static byte[] CauchyMatrix(int k, int m)
    {
        var a = new byte[(k + m) * k];
        fixed (byte* p = a) gf_gen_cauchy1_matrix(p, k + m, k);
        return a;
    }

    /// <summary>Parity as ISA-L computes it: ec_init_tables over the parity rows, then ec_encode_data.</summary>
    public static byte[][] Encode(byte[][] data, int m)
    {
        int k = data.Length, len = data[0].Length;
        byte[] a = CauchyMatrix(k, m);
        var tables = new byte[k * m * 32];
        var parity = new byte[m][];
        for (int r = 0; r < m; r++) parity[r] = new byte[len];
        var handles = new List<GCHandle>();
        try
        {
            byte** dp = stackalloc byte*[k];
            byte** pp = stackalloc byte*[Math.Max(m, 1)];
            for (int j = 0; j < k; j++)
            {
                var h = GCHandle.Alloc(data[j], GCHandleType.Pinned);
                handles.Add(h);
                dp[j] = (byte*)h.AddrOfPinnedObject();
            }
            for (int r = 0; r < m; r++)
            {
                var h = GCHandle.Alloc(parity[r], GCHandleType.Pinned);
                handles.Add(h);
                pp[r] = (byte*)h.AddrOfPinnedObject();
            }
            fixed (byte* ap = a)
            fixed (byte* tp = tables)
            {
                ec_init_tables(k, m, ap + (k * k), tp);
                ec_encode_data(len, k, m, tp, dp, pp);
            }
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
        return parity;
    }
}
