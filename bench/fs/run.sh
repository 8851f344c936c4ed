#!/usr/bin/env bash
# bench/fs/run.sh - make bench-fs: argosfs (2+1 zstd pool of three image files, mounted with FUSE)
# against bindfs over ext4 on a loop image (a pure FUSE passthrough: the FUSE ceiling) and ext4 on a
# loop image (no FUSE), all on this machine in one run. Each run makes all three afresh; within a run
# every workload is measured on the three systems back to back, in an order that rotates per run, so
# a noisy neighbour hits all three alike. The figure per cell is the median of RUNS runs.
#
# Workloads (the timed loops are bench/fs/fsbench.c; MB = 10^6 bytes):
#   seq write random  1 GiB of incompressible data in 1 MiB writes, then fsync  (MB/s; the headline)
#   seq write zeros   the same with zeros (zstd shrinks a stripe of zeros to almost nothing)   (MB/s)
#   seq read cold     1 MiB reads after drop_caches; argos is also remounted (empties its stripe cache)
#   seq read cached   the same file read again at once
#   rand read 4 KiB   RANDREADS preads at random 4 KiB-aligned offsets of the 1 GiB file, cold  (ops/s)
#   create            FILES x (open O_CREAT|O_EXCL, write 4 KiB, close) in one directory      (ops/s)
#   stat              FILES x stat(2), cold (after sync, drop_caches and, for argos, a remount)
#   read small        FILES x (open, read 4 KiB, close), right after stat
#   unlink            FILES x unlink(2)
#
# Environment: ARGOS_BENCH_RUNS (3), FS_BENCH_MIB (1024), FS_BENCH_FILES (10000),
#              FS_BENCH_RANDREADS (20000), FS_BENCH_DIR (work directory; default under /var/tmp).
# Writes artifacts/bench/fs.json:
#   [{"workload": "...", "unit": "MB/s|ops/s", "argos": X, "bindfs": Y, "ext4": Z,
#     "argos_vs_bindfs": X/Y, "argos_vs_ext4": X/Z, "goal_vs_bindfs": G, "goal_met": true|false|null,
#     "argos_runs": [...], "bindfs_runs": [...], "ext4_runs": [...]}, ...]
# and artifacts/bench/fs-meta.json (date, binary, kernel, options).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
runs=${ARGOS_BENCH_RUNS:-3}
mib=${FS_BENCH_MIB:-1024}
files=${FS_BENCH_FILES:-10000}
randreads=${FS_BENCH_RANDREADS:-20000}
out=$root/artifacts/bench/fs.json
meta=$root/artifacts/bench/fs-meta.json
systems=(argos bindfs ext4)
bindfs_opts=(--multithreaded -o big_writes,max_write=1048576,kernel_cache)

say() { echo "bench-fs: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    say "needs root (loop mounts, FUSE mounts with allow_other, drop_caches); run it with sudo"
    exit 1
fi
for tool in mkfs.ext4 mount umount losetup bindfs fusermount3 gcc; do
    command -v "$tool" > /dev/null || { say "$tool is missing; install e2fsprogs, util-linux, bindfs, fuse3 and gcc"; exit 1; }
done
[ -e /dev/fuse ] || { say "/dev/fuse is missing; load the fuse module (modprobe fuse)"; exit 1; }

# The argosfs binary: ARGOS_BENCH_ARGOSFS if set, else the static native-AOT one from `make argosfs`,
# else the Release build run by dotnet.
describe() { echo "$1 ($(file -b "$1" | grep -q 'statically linked' && echo 'static native AOT' || echo native), built $(date -u -r "$1" +%FT%TZ), sha256 $(sha256sum "$1" | cut -c1-12))"; }
if [ -n "${ARGOS_BENCH_ARGOSFS:-}" ]; then
    [ -x "$ARGOS_BENCH_ARGOSFS" ] || { say "ARGOS_BENCH_ARGOSFS=$ARGOS_BENCH_ARGOSFS is not an executable; unset it or point it at an argosfs binary"; exit 1; }
    argosfs=("$ARGOS_BENCH_ARGOSFS")
    binary=$(describe "$ARGOS_BENCH_ARGOSFS")
elif [ -x "$root/artifacts/bin/argosfs" ]; then
    argosfs=("$root/artifacts/bin/argosfs")
    binary=$(describe artifacts/bin/argosfs)
    last_src=$(git -C "$root" log -1 --format=%ct -- src/argosfs 2> /dev/null || echo 0)
    if [ "$(date -r "$root/artifacts/bin/argosfs" +%s)" -lt "$last_src" ]; then
        say "warning: artifacts/bin/argosfs is older than the last commit to src/argosfs; 'make argosfs' (or make bench-fs) rebuilds it"
        binary="$binary, older than the last commit to src/argosfs"
    fi
else
    dll=$root/src/argosfs/Argos.Cli/bin/Release/net9.0/argosfs.dll
    say "no artifacts/bin/argosfs ('make argosfs' builds it): building the Release JIT build"
    dotnet build -c Release "$root/src/argosfs/Argos.Cli" --nologo -v quiet > /dev/null
    argosfs=(dotnet "$dll")
    binary="src/argosfs/Argos.Cli/bin/Release/net9.0/argosfs.dll (Release, JIT)"
fi
say "binary: $binary"

base=${FS_BENCH_DIR:-/var/tmp}
mkdir -p "$base"
work=$(mktemp -d "$base/argos-bench-fs.XXXXXX")
results=$work/results.tsv
: > "$results"
argos_pid=""

# Everything we mounted, innermost last; cleanup unmounts in reverse and detaches our loop devices.
mounted=()
cleanup() {
    local rc=$? i m dev
    set +e
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[$i]}
        mountpoint -q "$m" && { umount "$m" 2> /dev/null || umount -l "$m" 2> /dev/null; }
    done
    [ -n "$argos_pid" ] && wait_gone "$argos_pid" 30
    for img in "$work"/*.img; do
        [ -e "$img" ] || continue
        for dev in $(losetup -j "$img" -O NAME -n 2> /dev/null); do losetup -d "$dev" 2> /dev/null; done
    done
    rm -rf "$work"
    [ $rc -ne 0 ] && say "failed (exit $rc); mounts, loop devices and $work cleaned up"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_gone() { # PID SECONDS
    local i
    for ((i = 0; i < $2 * 10; i++)); do kill -0 "$1" 2> /dev/null || return 0; sleep 0.1; done
    say "process $1 still running after $2 s"; return 1
}

gcc -O2 -Wall -o "$work/fsbench" "$root/bench/fs/fsbench.c"
fsbench() { "$work/fsbench" "$@"; }

drop_caches() { sync; echo 3 > /proc/sys/vm/drop_caches; }

ext4_image() { # IMAGE MOUNTPOINT
    local size_mib=$(( mib * 2 + 1024 ))
    truncate -s "${size_mib}M" "$1"
    mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$1"
    mkdir -p "$2"
    mount -o loop "$1" "$2"; mounted+=("$2")
}

argos_images() { echo "$work/argos-a.img,$work/argos-b.img,$work/argos-c.img"; }

argos_mount() {
    local msg
    msg=$("${argosfs[@]}" mount --images "$(argos_images)" "$work/mnt-argos" --log "$work/argos.log" 2>&1) \
        || { say "argosfs mount failed: $msg"; exit 1; }
    argos_pid=$(sed -n 's/.*daemon pid \([0-9]*\).*/\1/p' <<< "$msg")
    [ -n "$argos_pid" ] || { say "argosfs mount printed no daemon pid: $msg"; exit 1; }
}

argos_umount() {
    umount "$work/mnt-argos"
    wait_gone "$argos_pid" 60 || exit 1
    argos_pid=""
}

setup() {
    rm -f "$work"/argos-*.img
    "${argosfs[@]}" mkfs --images "$(argos_images)" --image-size 2GiB --k 2 --m 1 --compression zstd > /dev/null
    mkdir -p "$work/mnt-argos"
    argos_mount; mounted+=("$work/mnt-argos")
    ext4_image "$work/bindfs-lower.img" "$work/bindfs-lower"
    mkdir -p "$work/mnt-bindfs"
    bindfs "${bindfs_opts[@]}" "$work/bindfs-lower" "$work/mnt-bindfs"; mounted+=("$work/mnt-bindfs")
    ext4_image "$work/ext4.img" "$work/mnt-ext4"
}

teardown() {
    argos_umount
    umount "$work/mnt-bindfs"
    # bindfs may still hold the lower directory for a moment after its umount returns
    local i
    for ((i = 0; i < 100; i++)); do umount "$work/bindfs-lower" 2> /dev/null && break; sleep 0.1; done
    mountpoint -q "$work/bindfs-lower" && { say "$work/bindfs-lower stays busy after bindfs was unmounted"; exit 1; }
    umount "$work/mnt-ext4"
    mounted=()
    rm -f "$work"/*.img
}

# cold SYSTEM: nothing of the data in any cache. argos keeps decoded stripes in its daemon: remount.
cold() {
    [ "$1" = argos ] && { argos_umount; argos_mount; }
    drop_caches
}

mnt() { echo "$work/mnt-$1"; }

# record WORKLOAD UNIT SYSTEM RUN "SECONDS COUNT"
record() {
    local rate
    [[ $5 =~ ^[0-9.]+\ [0-9]+$ ]] || { say "run $4: $3: $1: the measurement failed"; exit 1; }
    rate=$(awk -v unit="$2" -v t="${5% *}" -v n="${5#* }" 'BEGIN { printf "%.1f\n", unit == "MB/s" ? n / 1e6 / t : n / t }')
    printf '%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" "$rate" >> "$results"
    say "run $4: $3: $1: $rate $2"
}

orders=("argos bindfs ext4" "bindfs ext4 argos" "ext4 argos bindfs")
w_write="seq write ${mib} MiB + fsync, random data"
w_zeros="seq write ${mib} MiB + fsync, zeros"
w_cold="seq read ${mib} MiB, cold"
w_cached="seq read ${mib} MiB, cached"
w_rand="4 KiB random read, cold (${randreads} reads)"
w_create="create ${files} x 4 KiB files"
w_stat="stat ${files} files, cold"
w_read="read ${files} x 4 KiB files"
w_unlink="unlink ${files} files"

started=$(date +%s)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for run in $(seq 1 "$runs"); do
    order=${orders[$(( (run - 1) % 3 ))]}
    say "run $run of $runs (order: $order): setting up"
    setup
    for s in $order; do drop_caches; record "$w_write" MB/s "$s" "$run" "$(fsbench write "$(mnt "$s")/big" "$mib" random)"; done
    for s in $order; do
        cold "$s"; record "$w_cold" MB/s "$s" "$run" "$(fsbench read "$(mnt "$s")/big")"
        record "$w_cached" MB/s "$s" "$run" "$(fsbench read "$(mnt "$s")/big")"
    done
    for s in $order; do cold "$s"; record "$w_rand" ops/s "$s" "$run" "$(fsbench randread "$(mnt "$s")/big" "$randreads" "$run")"; done
    for s in $order; do drop_caches; record "$w_zeros" MB/s "$s" "$run" "$(fsbench write "$(mnt "$s")/zeros" "$mib" zero)"; done
    for s in $order; do
        rm -f "$(mnt "$s")/zeros"; mkdir "$(mnt "$s")/small"; drop_caches
        record "$w_create" ops/s "$s" "$run" "$(fsbench mkfiles "$(mnt "$s")/small" "$files")"
    done
    for s in $order; do
        cold "$s"
        record "$w_stat" ops/s "$s" "$run" "$(fsbench stat "$(mnt "$s")/small" "$files")"
        record "$w_read" ops/s "$s" "$run" "$(fsbench readfiles "$(mnt "$s")/small" "$files")"
        record "$w_unlink" ops/s "$s" "$run" "$(fsbench unlink "$(mnt "$s")/small" "$files")"
    done
    teardown
done
elapsed=$(( $(date +%s) - started ))

# Medians, ratios against bindfs and the goals of issue 5 (writes 0.8x, reads 0.9x, small files 1.0x).
mkdir -p "$(dirname "$out")"
awk -F'\t' -v order="$w_write|$w_zeros|$w_cold|$w_cached|$w_rand|$w_create|$w_stat|$w_read|$w_unlink" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function goal(w) {
    if (w ~ /^seq write/) return w ~ /zeros/ ? "" : 0.8
    if (w ~ /^seq read|random read/) return 0.9
    return 1.0
}
{ unit[$1] = $2; v[$1, $3] = v[$1, $3] (v[$1, $3] == "" ? "" : " ") $5 }
END {
    n = split(order, ws, "|")
    print "["
    for (i = 1; i <= n; i++) {
        w = ws[i]; a = median(v[w, "argos"]); b = median(v[w, "bindfs"]); e = median(v[w, "ext4"]); g = goal(w)
        rb = b > 0 ? a / b : 0; re = e > 0 ? a / e : 0
        met = g == "" ? "null" : (rb >= g ? "true" : "false")
        gs = g == "" ? "null" : sprintf("%.1f", g)
        ra = v[w, "argos"]; rbind = v[w, "bindfs"]; rext = v[w, "ext4"]
        gsub(/ /, ", ", ra); gsub(/ /, ", ", rbind); gsub(/ /, ", ", rext)
        printf "  {\"workload\": \"%s\", \"unit\": \"%s\", \"argos\": %s, \"bindfs\": %s, \"ext4\": %s, \"argos_vs_bindfs\": %.2f, \"argos_vs_ext4\": %.2f, \"goal_vs_bindfs\": %s, \"goal_met\": %s, \"argos_runs\": [%s], \"bindfs_runs\": [%s], \"ext4_runs\": [%s]}%s\n", \
            w, unit[w], a, b, e, rb, re, gs, met, ra, rbind, rext, i < n ? "," : ""
    }
    print "]"
}' "$results" > "$out"

cat > "$meta" << EOF
{
  "date": "$(date -u +%FT%TZ)",
  "binary": "$binary",
  "kernel": "$(uname -r)",
  "cpus": $(nproc),
  "load_average_at_start": "$load_at_start",
  "load_average_at_end": "$(cut -d' ' -f1-3 /proc/loadavg)",
  "runs": $runs,
  "elapsed_s": $elapsed,
  "argos": "argosfs mkfs --k 2 --m 1 --compression zstd (level 3, 256 KiB chunks) on three 2 GiB image files; argosfs mount with default options",
  "bindfs": "bindfs $(bindfs --version 2>&1 | awk '{ print $2 }') ${bindfs_opts[*]} over ext4 (mkfs.ext4 defaults, no lazy init) on a loop-mounted $(( mib * 2 + 1024 )) MiB image",
  "ext4": "mkfs.ext4 defaults (no lazy init) on a loop-mounted $(( mib * 2 + 1024 )) MiB image",
  "work_dir_fs": "$(df --output=fstype "$work" | tail -1 | tr -d ' ')",
  "mb": "10^6 bytes"
}
EOF
say "done in ${elapsed} s; $out:"
cat "$out"
