#!/usr/bin/env bash
# Compiles a tiny client against sharedmemory_ioctl.h for Linux (gcc) and for
# Windows user mode (mingw-w64), so its static asserts run for both ABIs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
check() {
	local what="$1"; shift
	if "$@"; then passed=$((passed + 1)); echo "ok   $what"
	else failed=$((failed + 1)); echo "FAIL $what"; fi
}
printf '#include "sharedmemory_ioctl.h"\nint main(void) { return SHM_IOCTL_QUERY == 0 ? 1 : 0; }\n' > "$tmp/linux.c"
printf '#include <windows.h>\n#include <winioctl.h>\n#include "sharedmemory_ioctl.h"\nint main(void) { return SHM_IOCTL_QUERY == 0 ? 1 : 0; }\n' > "$tmp/win.c"
check "linux user mode (gcc -std=c11)" gcc -std=c11 -Wall -Wextra -Werror -I"$here" -c "$tmp/linux.c" -o "$tmp/linux.o"
check "linux user mode (g++)" g++ -x c++ -std=c++17 -Wall -Wextra -Werror -I"$here" -c "$tmp/linux.c" -o "$tmp/linuxpp.o"
check "windows user mode (mingw-w64)" x86_64-w64-mingw32-gcc -Wall -Wextra -Werror -I"$here" -c "$tmp/win.c" -o "$tmp/win.o"
echo "header: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
