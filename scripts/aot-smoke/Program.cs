// aot-smoke: calls every codec from a statically linked native-AOT binary; prints AOT-SMOKE-OK on success.
using Argos.DataPath.Codecs;
using Argos.Format;
using Argos.Platform.Native;

int failures = 0;
void Check(string what, bool ok) { Console.WriteLine($"{(ok ? "ok  " : "FAIL")} {what}"); if (!ok) failures++; }

Console.WriteLine($"zstd {Zstd.Version}, lz4 {Lz4.VersionNumber}, sodium {Sodium.Version}, crc32c hw={Crc32C.IsHardwareAccelerated} forceSoftware={Crc32C.ForceSoftware}");
Check("crc32c 123456789", Crc32C.Compute("123456789"u8) == 0xE3069283);
Check("crc32c software", Crc32C.AppendSoftware(0, new byte[32]) == 0x8A9136AA);
byte[] big = new byte[100_000];
new Random(1).NextBytes(big);
Check("crc32c hw == sw (100 KB)", Crc32C.Compute(big) == Crc32C.AppendSoftware(0, big));

byte[] text = System.Text.Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("stripe shard parity member ", 4000)));
foreach (CompressionCodec codec in new[] { CompressionCodec.Zstd, CompressionCodec.Lz4 })
{
    byte[] stored = new byte[text.Length];
    CompressionResult r = StripeCompressor.Compress(new CompressionSettings(codec), text, stored);
    byte[] back = new byte[text.Length];
    StripeCompressor.Decompress(r.Codec, stored.AsSpan(0, r.Length), back);
    Check($"{codec} {text.Length} -> {r.Length} ({r.Codec}) round trip", r.Codec == codec && back.AsSpan().SequenceEqual(text));
}
try { Zstd.Decompress([1, 2, 3, 4], new byte[10]); Check("zstd garbage rejected", false); }
catch (NativeCodecException e) { Check($"zstd garbage rejected: {e.Message}", true); }

byte[] digest = new byte[32];
Sodium.Blake2b("abc"u8, digest);
Check("blake2b-256 abc", Convert.ToHexStringLower(digest) == "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");
Sodium.Sha256("abc"u8, digest);
Check("sha256 abc", Convert.ToHexStringLower(digest) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

var kdf = new KdfParameters(3, 64UL << 20, "0123456789abcdef"u8);
var sw = System.Diagnostics.Stopwatch.StartNew();
using StripeCipher cipher = StripeCipher.Derive("correct horse battery staple"u8, kdf);
Console.WriteLine($"     argon2id (ops 3, 64 MiB) took {sw.ElapsedMilliseconds} ms");
using StripeCipher known = StripeCipher.FromKey(Convert.FromHexString("94c86f541abdb3d9aabfea59aa03963549483e9c0b1a79336e76b54cee6c917e"));
byte[] sealedStripe = new byte[StripeCipher.SealedLength(text.Length)];
cipher.Seal(text, "aad"u8, sealedStripe);
byte[] opened = new byte[text.Length];
Check("argon2id known answer + xchacha20poly1305 round trip", known.Open(sealedStripe, "aad"u8, opened) == text.Length && opened.AsSpan().SequenceEqual(text));
sealedStripe[100] ^= 1;
Check("tamper detected", !known.TryOpen(sealedStripe, "aad"u8, opened, out _));
byte[] check = new byte[StripeCipher.KeyCheckBytes];
cipher.WriteKeyCheck(new byte[16], kdf, check);
try { StripeCipher.Unlock(kdf, check, new byte[16], environment: _ => null); Check("missing key", false); }
catch (EncryptionKeyException e) { Check($"missing key: {e.Message}", e.Problem == KeyProblem.Missing); }

Console.WriteLine(failures == 0 ? "AOT-SMOKE-OK" : $"AOT-SMOKE-FAILED {failures}");
return failures == 0 ? 0 : 1;
