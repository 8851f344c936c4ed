#!/bin/sh
# make bench-ec: build the erasure benchmark in Release and run it from the repository root.
# Usage: bench/ec/run.sh [output.json] [repetitions] [bytes-per-repetition]
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
if [ ! -e /usr/lib/x86_64-linux-gnu/libisal.so.2 ] && ! ldconfig -p 2>/dev/null | grep -q 'libisal\.so\.2'; then
    echo "bench-ec: libisal.so.2 (Intel ISA-L) not found; run 'apt-get install libisal2'" >&2
    exit 1
fi
dotnet build -c Release -nologo -v quiet bench/ec/Argos.Bench.Ec.csproj
exec dotnet bench/ec/bin/Release/net10.0/Argos.Bench.Ec.dll "${1:-artifacts/bench/ec.json}" "${2:-15}" "${3:-268435456}"
