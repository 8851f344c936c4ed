#!/usr/bin/env bash
# Fetches a Debian kernel for the QEMU boots and prepares it, cached under artifacts/kernel/.
#
#   scripts/kernel.sh [--print-dir] [VERSION]     VERSION like 6.1.0-56-amd64; default: what
#                                                 Debian's linux-image-amd64 meta package points at
#
# Result (ARGOS_KERNEL_DIR, printed on the last line):
#   artifacts/kernel/<ver>/vmlinuz        the bzImage as shipped
#   artifacts/kernel/<ver>/vmlinux        the ELF kernel extracted from it, booted through QEMU's PVH
#                                         entry (-kernel vmlinux): no XZ decompression in the guest,
#                                         which costs ~3.5 s under TCG
#   artifacts/kernel/<ver>/modroot/lib/modules/<ver>   modules, indexed with depmod -b
#   artifacts/kernel/<ver>/version        the version string
#
# Why the ELF works: the bzImage payload is an XZ stream starting at the magic FD 37 7A 58 5A 00;
# `xz -dc --single-stream` from that offset yields vmlinux, whose PVH ELF note (Debian sets
# CONFIG_PVH=y) lets QEMU enter it directly.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache="${ARGOS_KERNEL_CACHE:-$top/artifacts/kernel}"
print_dir=0
ver=""
for a in "$@"; do
    case "$a" in
        --print-dir) print_dir=1 ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        -*) echo "kernel.sh: unknown option '$a' (try --help)" >&2; exit 2 ;;
        *) ver="$a" ;;
    esac
done

say() { [ "$print_dir" = 1 ] || echo "kernel: $*" >&2; }

if [ -z "$ver" ]; then
    # Reuse any complete cached kernel before asking apt (works offline and is instant).
    for d in "$cache"/*/; do
        [ -f "$d/ready" ] && ver=$(cat "$d/version") && break
    done
fi
if [ -z "$ver" ]; then
    dep=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n1)
    if [ -z "$dep" ]; then
        echo "kernel.sh: cannot resolve the Debian kernel version from linux-image-amd64;" \
             "run 'apt-get update' or pass a version such as 6.1.0-56-amd64" >&2
        exit 1
    fi
    ver="$dep"
fi

dir="$cache/$ver"
if [ -f "$dir/ready" ]; then
    [ "$print_dir" = 1 ] && echo "$dir" || { say "cached: $dir"; echo "$dir"; }
    exit 0
fi

mkdir -p "$dir/deb"
cd "$dir/deb"
if ! ls linux-image-*.deb >/dev/null 2>&1; then
    got=0
    for pkg in "linux-image-$ver-unsigned" "linux-image-$ver"; do
        if apt-cache show "$pkg" >/dev/null 2>&1; then
            say "downloading $pkg (about 70 MB)"
            if apt-get download -q "$pkg" >&2; then got=1; break; fi
        fi
    done
    if [ "$got" != 1 ]; then
        echo "kernel.sh: could not download linux-image-$ver(-unsigned) with apt-get download;" \
             "check 'apt-cache policy linux-image-$ver-unsigned' (run 'apt-get update' first)" >&2
        exit 1
    fi
fi

say "unpacking"
rm -rf "$dir/x"
dpkg -x linux-image-*.deb "$dir/x"
cp "$dir/x/boot/vmlinuz-$ver" "$dir/vmlinuz"
rm -rf "$dir/modroot"
mkdir -p "$dir/modroot/lib/modules"
mv "$dir/x/lib/modules/$ver" "$dir/modroot/lib/modules/$ver"
rm -rf "$dir/x"
say "depmod -b (Debian ships modules without indexes)"
depmod -b "$dir/modroot" "$ver"

say "extracting the ELF vmlinux from the bzImage for PVH boot"
# (|| true: head closing the pipe early makes grep die of SIGPIPE, which pipefail would report)
off=$(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$dir/vmlinuz" 2>/dev/null | head -n1 | cut -d: -f1 || true)
if [ -z "$off" ]; then
    echo "kernel.sh: no XZ payload in $dir/vmlinuz; boot the bzImage instead (ARGOS_QEMU_KERNEL=$dir/vmlinuz)" >&2
    exit 1
fi
tail -c +"$((off + 1))" "$dir/vmlinuz" | xz -dc --single-stream > "$dir/vmlinux.tmp" 2>/dev/null || true
if ! head -c 4 "$dir/vmlinux.tmp" | grep -q 'ELF'; then
    echo "kernel.sh: the extracted payload is not an ELF file; boot the bzImage instead" >&2
    exit 1
fi
mv "$dir/vmlinux.tmp" "$dir/vmlinux"
echo "$ver" > "$dir/version"
touch "$dir/ready"
say "ready: $dir"
echo "$dir"
