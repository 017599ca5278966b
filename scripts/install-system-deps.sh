#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages the tests need (run as root, or with sudo).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
packages=(
	# browser for Playwright (no browser download)
	chromium
	# Linux driver: build against Debian's kernel, boot that kernel under QEMU
	linux-image-amd64 linux-headers-amd64 qemu-system-x86 busybox-static kmod cpio dkms
	# checkpatch.pl for the module's coding style (the headers package lacks it)
	linux-source-6.1 xz-utils
	# Windows driver: cross-build, sign, load under Wine
	clang lld gcc-mingw-w64-x86-64 mingw-w64-x86-64-dev binutils-mingw-w64-x86-64
	wine wine64 osslsigncode nsis
	# the memory manager for Wine's ntoskrnl: Debian's Wine source, built out of the tree
	wine64-tools libwine-dev dpkg-dev patch perl
	# the throw-away test-signing certificate (openssl req)
	openssl
	# C test clients and checks; gcc-multilib builds the 32-bit client (compat_ioctl)
	# and brings the 32-bit libc the test VM runs it with
	gcc gcc-multilib make file
)
export DEBIAN_FRONTEND=noninteractive
# apt-get source wine (e2e/wine/ntoskrnl/) needs the source entries of the
# archive the binary packages come from.
if [ -f /etc/apt/sources.list.d/debian.sources ] && ! grep -q '^Types:.*deb-src' /etc/apt/sources.list.d/debian.sources \
	&& [ ! -f /etc/apt/sources.list.d/debian-src.sources ]; then
	sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources |
		$SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
fi
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${packages[@]}"
