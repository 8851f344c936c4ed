// make bench-ec: Argos's Reed-Solomon codec and Intel ISA-L side by side, in one process, on the same
// 64-byte-aligned buffers. For each layout, shard size and operation, repetitions alternate between the
// two; each repetition runs enough calls to move ~RepBytes of data and yields GB/s (10^9 bytes of DATA,
// k * shard_bytes per call, per second). We report medians.
//
//   encode  k data shards -> m parity shards
//   decode  the first m data shards are lost; rebuild them from the k survivors. ISA-L does it the
//           standard way on every call (gf_invert_matrix of the survivor rows, ec_init_tables,
//           ec_encode_data for the lost rows); Argos looks its decode plan up in its cache.
//
// Writes artifacts/bench/ec.json: [{"layout","shard_bytes","op","argos_gbps","isal_gbps","ratio"}, ...]
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Argos.Erasure;
using Argos.Erasure.Tests;

namespace Argos.Bench.Ec;

internal static unsafe class Program
{
    private static readonly (int K, int M)[] s_layouts = [(4, 2), (8, 3), (10, 4)];
    private static readonly int[] s_shardSizes = [64 * 1024, 1024 * 1024];

    private static int Main(string[] args)
    {
        string output = args.Length > 0 ? args[0] : "artifacts/bench/ec.json";
        int reps = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 9;
        long repBytes = args.Length > 2 ? long.Parse(args[2], CultureInfo.InvariantCulture) : 96L << 20;

        IsaL.EnsureAvailable();
        Console.WriteLine($"Argos kernel: {ReedSolomon.Get(4, 2).Implementation}; median of {reps} repetitions, ~{repBytes >> 20} MiB of data each");
        Console.WriteLine();
        Console.WriteLine("| layout | shard | op | Argos GB/s | ISA-L GB/s | ratio |");
        Console.WriteLine("|---|---|---|---:|---:|---:|");

        var rows = new List<string>();
        foreach (var (k, m) in s_layouts)
        {
            foreach (int shardBytes in s_shardSizes)
            {
                using var stripe = new Stripe(k, m, shardBytes);
                foreach (string op in new[] { "encode", "decode" })
                {
                    var (argos, isal) = Measure(stripe, op, reps, repBytes);
                    double ratio = argos / isal;
                    Console.WriteLine($"| {k}+{m} | {Size(shardBytes)} | {op} | {argos:F2} | {isal:F2} | {ratio:F2} |");
                    rows.Add(string.Create(CultureInfo.InvariantCulture,
                        $"  {{\"layout\": \"{k}+{m}\", \"shard_bytes\": {shardBytes}, \"op\": \"{op}\", \"argos_gbps\": {argos:F3}, \"isal_gbps\": {isal:F3}, \"ratio\": {ratio:F3}}}"));
                }
            }
        }

        string? dir = Path.GetDirectoryName(Path.GetFullPath(output));
        if (dir is not null) Directory.CreateDirectory(dir);
        File.WriteAllText(output, "[\n" + string.Join(",\n", rows) + "\n]\n", new UTF8Encoding(false));
        Console.WriteLine();
        Console.WriteLine($"wrote {output}");
        return 0;
    }

    private static (double Argos, double IsaL) Measure(Stripe s, string op, int reps, long repBytes)
    {
        int calls = (int)Math.Max(1, repBytes / ((long)s.K * s.ShardBytes));
        Action argos = op == "encode" ? s.ArgosEncode : s.ArgosDecode;
        Action isal = op == "encode" ? s.IsaLEncode : s.IsaLDecode;

        // Warm up (tiered JIT to full opt, caches, decode plan), and check both agree before timing.
        for (int i = 0; i < 3; i++)
        {
            Time(argos, calls);
            Time(isal, calls);
        }
        s.CheckAgreement(op);

        var a = new double[reps];
        var b = new double[reps];
        double bytes = (double)s.K * s.ShardBytes * calls;
        for (int r = 0; r < reps; r++)
        {
            a[r] = bytes / Time(argos, calls) / 1e9;
            b[r] = bytes / Time(isal, calls) / 1e9;
        }
        return (Median(a), Median(b));
    }

    private static double Time(Action action, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < calls; i++) action();
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static double Median(double[] values)
    {
        Array.Sort(values);
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : (values[(n / 2) - 1] + values[n / 2]) / 2;
    }

    private static string Size(int bytes) => bytes >= 1 << 20 ? $"{bytes >> 20} MiB" : $"{bytes >> 10} KiB";

    /// <summary>One stripe of k + m shards back to back in aligned native memory, shared by both coders.</summary>
    private sealed class Stripe : IDisposable
    {
        private readonly byte* _base;
        private readonly ReedSolomon _codec;
        private readonly byte[] _matrix;        // ISA-L's (k+m) x k encode matrix
        private readonly byte[] _encodeTables;  // ec_init_tables of its parity rows
        private readonly bool[] _present;
        private readonly byte*[] _shards;
        private readonly byte[] _expected;      // the lost shards' true contents

        public Stripe(int k, int m, int shardBytes)
        {
            K = k;
            M = m;
            ShardBytes = shardBytes;
            nuint total = (nuint)((k + m) * (long)shardBytes);
            _base = (byte*)NativeMemory.AlignedAlloc(total, 64);
            new Random(k * 1000 + m).NextBytes(new Span<byte>(_base, (int)total));
            _shards = new byte*[k + m];
            for (int i = 0; i < k + m; i++) _shards[i] = _base + ((long)i * shardBytes);

            _codec = ReedSolomon.Get(k, m);
            _matrix = IsaL.CauchyMatrix(k, m);
            _encodeTables = new byte[k * m * 32];
            fixed (byte* a = _matrix)
            fixed (byte* t = _encodeTables)
            {
                IsaL.ec_init_tables(k, m, a + (k * k), t);
            }
            _present = new bool[k + m];
            for (int i = 0; i < k + m; i++) _present[i] = i >= m;   // the first m data shards are lost

            ArgosEncode();
            _expected = new Span<byte>(_base, m * shardBytes).ToArray();
        }

        public int K { get; }

        public int M { get; }

        public int ShardBytes { get; }

        private Span<byte> All => new(_base, (K + M) * ShardBytes);

        public void ArgosEncode() =>
            _codec.Encode(All[..(K * ShardBytes)], All[(K * ShardBytes)..]);

        public void ArgosDecode() => _codec.Reconstruct(All, _present);

        public void IsaLEncode()
        {
            byte** data = stackalloc byte*[K];
            byte** coding = stackalloc byte*[M];
            for (int j = 0; j < K; j++) data[j] = _shards[j];
            for (int r = 0; r < M; r++) coding[r] = _shards[K + r];
            fixed (byte* t = _encodeTables) IsaL.ec_encode_data(ShardBytes, K, M, t, data, coding);
        }

        // ISA-L's erasure_code example / perf test, decode path, every call.
        public void IsaLDecode()
        {
            int k = K, n = K + M;
            byte* b = stackalloc byte[k * k];
            byte* inverse = stackalloc byte[k * k];
            byte* decode = stackalloc byte[k * M];
            byte* tables = stackalloc byte[k * M * 32];
            byte** sources = stackalloc byte*[k];
            byte** outputs = stackalloc byte*[M];
            int* lost = stackalloc int[M];
            int nLost = 0;
            for (int i = 0, r = 0; i < n; i++)
            {
                if (!_present[i])
                {
                    lost[nLost++] = i;
                    continue;
                }
                if (r == k) continue;
                for (int j = 0; j < k; j++) b[(k * r) + j] = _matrix[(k * i) + j];
                sources[r++] = _shards[i];
            }
            if (IsaL.gf_invert_matrix(b, inverse, k) != 0) throw new InvalidOperationException("ISA-L: singular survivor matrix");
            for (int e = 0; e < nLost; e++)
            {
                int idx = lost[e];
                outputs[e] = _shards[idx];
                if (idx < k)
                {
                    for (int j = 0; j < k; j++) decode[(k * e) + j] = inverse[(k * idx) + j];
                }
                else
                {
                    for (int i = 0; i < k; i++)
                    {
                        byte s = 0;
                        for (int j = 0; j < k; j++) s ^= IsaL.gf_mul(inverse[(j * k) + i], _matrix[(k * idx) + j]);
                        decode[(k * e) + i] = s;
                    }
                }
            }
            IsaL.ec_init_tables(k, nLost, decode, tables);
            IsaL.ec_encode_data(ShardBytes, k, nLost, tables, sources, outputs);
        }

        /// <summary>Both coders' output must be the true bytes, or the timings mean nothing.</summary>
        public void CheckAgreement(string op)
        {
            Span<byte> lostOrParity = op == "encode"
                ? new Span<byte>(_shards[K], M * ShardBytes)
                : new Span<byte>(_base, M * ShardBytes);
            byte[] expected = op == "encode" ? EncodeExpected() : _expected;
            foreach (Action run in op == "encode" ? new Action[] { ArgosEncode, IsaLEncode } : [ArgosDecode, IsaLDecode])
            {
                lostOrParity.Fill(0xA5);
                run();
                if (!lostOrParity.SequenceEqual(expected)) throw new InvalidOperationException($"{K}+{M} {op}: output differs between coders");
            }
        }

        private byte[] EncodeExpected()
        {
            IsaLEncode();
            return new Span<byte>(_shards[K], M * ShardBytes).ToArray();
        }

        public void Dispose() => NativeMemory.AlignedFree(_base);
    }
}
