#!/usr/bin/env bash
# bench/import/run.sh [RUNS] - import a real tree into a 2+1 zstd pool of three image files with
# `argosfs import-tree`, and copy the same tree with `cp -a` into ext4 on a loop-mounted image file,
# side by side; wall time, median of RUNS (default 3). Both sides end durable: import-tree commits
# and fdatasyncs its members before it exits, so the ext4 time includes `sync -f` of the mount.
# The source page cache is warmed first so neither side pays for the first read of the tree.
#
#   ARGOS_BENCH_TREE="/usr/lib/x86_64-linux-gnu /usr/bin"   directories making up the tree
#
# Writes artifacts/bench/import.json:
#   {"files": N, "bytes": B, "argos_s": X, "cp_ext4_s": Y, "binary": "...", ...}
# files and bytes count the regular files of the tree (apparent sizes).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
runs=${1:-3}
tree_dirs=${ARGOS_BENCH_TREE:-"/usr/lib/x86_64-linux-gnu /usr/bin"}
out=$root/artifacts/bench/import.json

say() { echo "bench-import: $*" >&2; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

if [ "$(id -u)" != 0 ]; then
    say "needs root (bind and loop mounts, cp -a of device nodes and ownership); run it with sudo"
    exit 1
fi
for tool in mkfs.ext4 mount umount rsync; do
    command -v "$tool" > /dev/null || { say "$tool is missing; install e2fsprogs, mount and rsync"; exit 1; }
done

if [ -x "$root/artifacts/bin/argosfs" ]; then
    argosfs=("$root/artifacts/bin/argosfs"); binary="artifacts/bin/argosfs (native AOT)"
else
    dll=$root/src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll
    if [ ! -f "$dll" ]; then
        say "building $dll (no artifacts/bin/argosfs; 'make argosfs' builds the native binary)"
        dotnet build "$root/src/argosfs/Argos.Cli" --nologo -v quiet > /dev/null
    fi
    argosfs=(dotnet "$dll"); binary="src/argosfs/Argos.Cli/bin/Debug/net9.0/argosfs.dll (Debug, JIT)"
fi

work=$(mktemp -d /tmp/argos-bench-import.XXXXXX)
mounts=()
cleanup() {
    local m
    for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount "${mounts[$i]}" 2> /dev/null || umount -l "${mounts[$i]}" 2> /dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# The tree: each directory bind-mounted at its own path under one SOURCE (no copy).
tree=$work/tree
for d in $tree_dirs; do
    [ -d "$d" ] || { say "$d is not a directory; set ARGOS_BENCH_TREE to existing directories"; exit 1; }
    mkdir -p "$tree$d"
    mount --bind "$d" "$tree$d"
    mounts+=("$tree$d")
done
read -r files bytes < <(find "$tree" -type f -printf '%s\n' | awk '{ n++; s += $1 } END { printf "%d %.0f\n", n, s }')
entries=$(find "$tree" | wc -l)
say "tree: $tree_dirs: $entries entries, $files files, $bytes bytes; binary: $binary"
say "warming the page cache"
tar -C "$tree" -cf - . | cat > /dev/null

mib=$(( bytes / 1048576 ))
pool_image_mib=$(( mib * 3 / 4 + 512 ))   # each member holds ~half the (compressed) data: room for no compression
ext4_image_mib=$(( mib * 13 / 10 + 512 ))

argos_times=() ext4_times=()
for i in $(seq 1 "$runs"); do
    images=$work/a.img,$work/b.img,$work/c.img
    rm -f "$work"/[abc].img
    "${argosfs[@]}" mkfs --images "$images" --k 2 --m 1 --compression zstd --image-size "${pool_image_mib}MiB" > /dev/null
    sync
    t0=$(now)
    "${argosfs[@]}" import-tree --images "$images" "$tree" / > "$work/import.log" 2> "$work/import.err" \
        || { say "import-tree failed:"; cat "$work/import.err" >&2; exit 1; }
    t1=$(now)
    argos_times+=("$(elapsed "$t0" "$t1")")
    say "run $i: argosfs import-tree ${argos_times[-1]} s: $(cat "$work/import.log")"
    rm -f "$work"/[abc].img

    rm -f "$work/ext4.img"; mkdir -p "$work/ext4"
    truncate -s "${ext4_image_mib}M" "$work/ext4.img"
    mkfs.ext4 -q -F "$work/ext4.img"
    mount -o loop "$work/ext4.img" "$work/ext4"; mounts+=("$work/ext4")
    sync
    t0=$(now)
    cp -a "$tree/." "$work/ext4/"
    sync -f "$work/ext4"
    t1=$(now)
    ext4_times+=("$(elapsed "$t0" "$t1")")
    say "run $i: cp -a into ext4 (loop) ${ext4_times[-1]} s"
    umount "$work/ext4"; unset 'mounts[-1]'
    rm -f "$work/ext4.img"
done

argos_s=$(printf '%s\n' "${argos_times[@]}" | median)
ext4_s=$(printf '%s\n' "${ext4_times[@]}" | median)
join() { local IFS=,; echo "$*"; }
mkdir -p "$(dirname "$out")"
cat > "$out" << EOF
{
  "files": $files,
  "bytes": $bytes,
  "argos_s": $argos_s,
  "cp_ext4_s": $ext4_s,
  "entries": $entries,
  "tree": "$tree_dirs",
  "runs": $runs,
  "argos_runs_s": [$(join "${argos_times[@]}")],
  "cp_ext4_runs_s": [$(join "${ext4_times[@]}")],
  "pool": "2+1, zstd level 3, 3 image files of ${pool_image_mib} MiB",
  "ext4": "mkfs.ext4 defaults on a ${ext4_image_mib} MiB image, mount -o loop, cp -a then sync -f",
  "binary": "$binary"
}
EOF
cat "$out"
