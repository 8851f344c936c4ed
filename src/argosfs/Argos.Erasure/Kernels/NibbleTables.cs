// Split 4-bit multiplication tables ("nibble tables"), the layout every kernel reads.
//
// Multiplying by a constant c is linear over GF(2), so for a byte x = (h << 4) | l:
//     c * x = c * l  XOR  c * (h << 4)
// Each coefficient gets two 16-entry tables, lo[l] = c * l and hi[h] = c * (h << 4) (ISA-L's
// gf_vect_mul_init / ec_init_tables build the same 32 bytes). A byte shuffle (pshufb) looks up 16, 32
// or 64 bytes at once, but only within 16-byte lanes, so each table is stored broadcast four times:
//
//   per coefficient, 128 bytes, 64-byte aligned:
//     [  0.. 63]  lo table x4     (Vector128 reads 16 bytes, Vector256 32, Vector512 64)
//     [ 64..127]  hi table x4
//
//   coefficients of a rows x k matrix are stored column-major, coefficient (row r, input j) at
//     (j * rows + r) * 128
//   so a kernel producing rows r0..r0+3 walks one input j at a time and finds its 4 tables adjacent.
using System.Runtime.CompilerServices;

namespace Argos.Erasure.Kernels;

internal sealed unsafe class NibbleTables
{
    public const int BytesPerCoefficient = 128;
    public const int HiOffset = 64;

    // On the pinned object heap, so Pointer is stable for as long as this object is reachable. Callers
    // that hand Pointer to a kernel must keep the NibbleTables alive across the call (GC.KeepAlive).
    private readonly byte[] _storage;

    public NibbleTables(ReadOnlySpan<byte> matrix, int rows, int k)
    {
        Rows = rows;
        K = k;
        _storage = GC.AllocateUninitializedArray<byte>((rows * k * BytesPerCoefficient) + 64, pinned: true);
        nint p = (nint)Unsafe.AsPointer(ref _storage[0]);
        Pointer = (byte*)((p + 63) & ~(nint)63);

        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < k; j++)
            {
                byte c = matrix[(r * k) + j];
                byte* t = Pointer + (((j * rows) + r) * BytesPerCoefficient);
                for (int i = 0; i < 16; i++)
                {
                    byte lo = Gf256.Mul(c, (byte)i);
                    byte hi = Gf256.Mul(c, (byte)(i << 4));
                    for (int copy = 0; copy < 4; copy++)
                    {
                        t[(copy * 16) + i] = lo;
                        t[HiOffset + (copy * 16) + i] = hi;
                    }
                }
            }
        }
    }

    public int Rows { get; }

    public int K { get; }

    public byte* Pointer { get; }

    /// <summary>Bytes from input j's tables to input j+1's.</summary>
    public nint Stride => (nint)Rows * BytesPerCoefficient;

    public byte* Row(int r) => Pointer + ((nint)r * BytesPerCoefficient);

    public byte* At(int r, int j) => Pointer + ((((nint)j * Rows) + r) * BytesPerCoefficient);
}
