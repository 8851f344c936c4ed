// The coding matrix and its inverses (see ReedSolomon.cs for the code as a whole).
//
// Cauchy matrix, built exactly as ISA-L's gf_gen_cauchy1_matrix(a, k + m, k):
//
//   row i < k           identity: a[i][j] = (i == j) ? 1 : 0        (systematic: data shards are stored as is)
//   row i >= k (parity) a[i][j] = 1 / (i XOR j)   in GF(2^8), j < k
//
// i XOR j is never 0 because i >= k > j, and the rows i, columns j are distinct field elements
// {x_i} = {i}, {y_j} = {j}, so every square submatrix of the parity part is a Cauchy matrix
// 1/(x_i + y_j) and is invertible. Hence any k rows of the full (k+m) x k matrix are invertible:
// any k surviving shards determine the stripe. This needs all i < 256, i.e. k + m <= 256; we cap at 255.
//
// Inversion is Gauss-Jordan over GF(2^8) as ISA-L's gf_invert_matrix: the inverse is unique, so the
// decode rows (and the bytes they produce) are the same as ISA-L's for the same survivor choice.
namespace Argos.Erasure;

internal static class CodingMatrix
{
    /// <summary>The (k+m) x k Cauchy coding matrix, row-major.</summary>
    public static byte[] Cauchy(int k, int m)
    {
        int rows = k + m;
        var a = new byte[rows * k];
        for (int i = 0; i < k; i++) a[(k * i) + i] = 1;
        for (int i = k; i < rows; i++)
        {
            for (int j = 0; j < k; j++) a[(k * i) + j] = Gf256.Inverse((byte)(i ^ j));
        }
        return a;
    }

    /// <summary>Inverts the n x n matrix <paramref name="input"/> (destroyed) into <paramref name="output"/>.</summary>
    /// <returns>false if the matrix is singular (cannot happen for rows of a Cauchy coding matrix).</returns>
    public static bool TryInvert(Span<byte> input, Span<byte> output, int n)
    {
        output.Slice(0, n * n).Clear();
        for (int i = 0; i < n; i++) output[(i * n) + i] = 1;

        for (int i = 0; i < n; i++)
        {
            // Find a pivot in column i at or below row i and swap it up.
            if (input[(i * n) + i] == 0)
            {
                int j = i + 1;
                while (j < n && input[(j * n) + i] == 0) j++;
                if (j == n) return false;
                for (int c = 0; c < n; c++)
                {
                    (input[(i * n) + c], input[(j * n) + c]) = (input[(j * n) + c], input[(i * n) + c]);
                    (output[(i * n) + c], output[(j * n) + c]) = (output[(j * n) + c], output[(i * n) + c]);
                }
            }

            byte scale = Gf256.Inverse(input[(i * n) + i]);
            for (int c = 0; c < n; c++)
            {
                input[(i * n) + c] = Gf256.Mul(input[(i * n) + c], scale);
                output[(i * n) + c] = Gf256.Mul(output[(i * n) + c], scale);
            }

            for (int r = 0; r < n; r++)
            {
                if (r == i) continue;
                byte f = input[(r * n) + i];
                if (f == 0) continue;
                for (int c = 0; c < n; c++)
                {
                    input[(r * n) + c] ^= Gf256.Mul(f, input[(i * n) + c]);
                    output[(r * n) + c] ^= Gf256.Mul(f, output[(i * n) + c]);
                }
            }
        }
        return true;
    }
}
