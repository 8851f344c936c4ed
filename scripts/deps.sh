#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, saying what it installs.
# Idempotent: packages already present are left alone; apt-get update runs only when something is missing.
set -euo pipefail

packages=(
    # native codecs linked into the static argosfs binary (static archives come with -dev)
    libzstd-dev liblz4-dev libsodium-dev
    # reference Reed-Solomon codec (tests and bench-ec compare against it)
    libisal2 libisal-dev
    # AOT linker toolchain
    clang lld zlib1g-dev file binutils
    # FUSE, devices and tree tools used by the mounted tests
    fuse3 bindfs rsync attr acl e2fsprogs util-linux kmod libcap2-bin python3
    # systemd-analyze verifies the generated units; systemd inside the debian-minbase image
    systemd
    # boot toolkit: kernel modules, initramfs builders, emulator
    qemu-system-x86 busybox-static dracut-core cpio xz-utils debootstrap
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run as root, or: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "deps: installing missing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: installed ${#missing[@]} package(s)"
