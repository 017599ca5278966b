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
	# the throw-away test-signing certificate (openssl req)
	openssl
	# C test clients and checks; gcc-multilib builds the 32-bit client (compat_ioctl)
	# and brings the 32-bit libc the test VM runs it with
	gcc gcc-multilib make file
)
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${packages[@]}"
