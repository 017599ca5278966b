#!/usr/bin/env bash
# Cross-builds the WDM driver on Linux: clang + lld against mingw-w64's DDK
# headers and ntoskrnl import library, warnings as errors.
#   driver/windows/build.sh [OUTPUT]   (default: dist/driver/windows/sharedmemory.sys;
#                                       inf/sharedmemory.inf is copied beside it)
# On Windows, build sharedmemory.vcxproj with Visual Studio 2022 + the WDK instead.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-$root/dist/driver/windows/sharedmemory.sys}"
mingw="${MINGW_SYSROOT:-/usr/x86_64-w64-mingw32}"
mkdir -p "$(dirname "$out")"
obj="$(mktemp -d)"
trap 'rm -rf "$obj"' EXIT

cflags=(
	--target=x86_64-w64-windows-gnu
	-std=c11 -O2 -Wall -Wextra -Werror
	# MSVC extensions: __try/__except (SEH), __declspec, the WDK's idioms.
	-fms-extensions
	# Kernel code: no C library, no stack protector runtime, no red zone.
	-ffreestanding -fno-stack-protector -mno-red-zone
	# Every function gets .pdata/.xdata: x64 SEH and stack walks need them.
	-fasynchronous-unwind-tables
	-D_AMD64_ -DNTDDI_VERSION=0x0A000000 -D_WIN32_WINNT=0x0A00
	-isystem "$mingw/include/ddk" -isystem "$mingw/include"
	-I "$root/driver/include"
)
ldflags=(
	--target=x86_64-w64-windows-gnu -fuse-ld=lld -nostdlib -shared
	-Wl,--subsystem,native -Wl,--entry,DriverEntry
	-Wl,--dynamicbase -Wl,--nxcompat -Wl,--image-base,0x140000000
	-L "$mingw/lib"
)
clang "${cflags[@]}" -c "$here/sharedmemory.c" -o "$obj/sharedmemory.o"
# KeQueryPerformanceCounter comes from HAL.dll (Windows forwards it to ntoskrnl).
clang "${ldflags[@]}" "$obj/sharedmemory.o" -lntoskrnl -lhal -o "$out"
# lld leaves the PE checksum at 0; Windows checks it for drivers.
node "$here/pe-image.mjs" --fix-checksum "$out"
# The package directory holds the INF beside the driver (the installer takes both).
cp "$root/inf/sharedmemory.inf" "$(dirname "$out")/sharedmemory.inf"
echo "built $out ($(stat -c %s "$out") bytes), with sharedmemory.inf beside it"
