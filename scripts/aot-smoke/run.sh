#!/bin/sh
# Publishes a tiny native-AOT program with the same flags as argosfs and proves that the statically
# linked binary can call every codec (zstd, lz4, XChaCha20-Poly1305, Argon2id, BLAKE2b, SHA-256,
# CRC32C). If qemu-x86_64 (Debian: qemu-user) is present it also runs the binary on the qemu64 CPU
# model, which lacks SSE4.2, to prove the software CRC32C fallback and that the binary starts there.
# Success marker: AOT-SMOKE-OK (once natively, once more under qemu64 when available).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$(mktemp -d /tmp/argos-aot-smoke.XXXXXX)}
mkdir -p "$out"
dotnet publish "$here/aot-smoke.csproj" -c Release -r linux-x64 \
    -p:PublishAot=true -p:StaticExecutable=true -p:PositionIndependentExecutable=false -p:StripSymbols=false \
    -o "$out" >"$out/publish.log" 2>&1 || { cat "$out/publish.log"; echo "aot-smoke: publish failed (log: $out/publish.log)"; exit 1; }
bin="$out/aot-smoke"
if ! file "$bin" | grep -q 'statically linked'; then
    file "$bin"
    echo "aot-smoke: $bin is not statically linked; check StaticExecutable and the NativeLibrary items"
    exit 1
fi
"$bin"
if command -v qemu-x86_64 >/dev/null 2>&1; then
    echo "aot-smoke: again on the qemu64 CPU model (no SSE4.2)"
    qemu-x86_64 -cpu qemu64 "$bin"
else
    echo "aot-smoke: qemu-x86_64 not found; skipped the no-SSE4.2 run (apt-get install qemu-user)"
fi
