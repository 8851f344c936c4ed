#!/usr/bin/env bash
# make bench-meta: metadata commit cost at 1k, 100k and 1M inodes (see Program.cs).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build bench/meta/Argos.Bench.Meta.csproj -c Release --nologo -v quiet >/dev/null
dotnet bench/meta/bin/Release/net10.0/Argos.Bench.Meta.dll "${1:-artifacts/bench/meta.json}" "${2:-1000,100000,1000000}" "${3:-200}"
