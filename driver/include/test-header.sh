#!/usr/bin/env bash
# Compiles small clients against sharedmemory_ioctl.h for Linux user mode
# (gcc, g++, clang), Windows user mode (mingw-w64) and Windows kernel mode
# (clang against mingw's DDK, as driver/windows/build.sh does), so its static
# asserts run for both ABIs. The contract's numbers are pinned with static
# asserts of their own, and the streaming signal is compared with a table
# computed independently (Python integers, CONTRACT.md 5.1's formulas).
# The Linux kernel build of the header is the module's own (linux-vm stage).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mingw="${MINGW_SYSROOT:-/usr/x86_64-w64-mingw32}"
passed=0
failed=0
check() {
	local what="$1"; shift
	if "$@"; then passed=$((passed + 1)); echo "ok   $what"
	else failed=$((failed + 1)); echo "FAIL $what"; fi
}

# The numbers CONTRACT.md sections 2 and 5.1 fix, for every platform.
cat > "$tmp/common-pins.h" <<'EOF'
#define PIN(cond) SHM_STATIC_ASSERT(cond, #cond)
PIN(SHM_ABI_VERSION == 1);
PIN(SHM_DRIVER_VERSION == 0x00010001);
PIN(SHM_FEATURE_STREAM == 0x1u);
PIN(SHM_RING_MAGIC == 0x474E4952u);
PIN(SHM_RING_VERSION == 1);
PIN(SHM_RING_RUNNING == 1 && SHM_RING_STOPPED == 2 && SHM_RING_FAULTED == 3);
PIN(SHM_STREAM_MAX_RATE == 100000000u);
PIN(SHM_STREAM_MAX_BATCH == 16384u);
PIN(SHM_STREAM_MAX_TICK_HZ == 10000u);
PIN(SHM_RECORD_SIZE == 32);
PIN(sizeof(struct shm_stream_start) == 32);
PIN(sizeof(struct shm_ring) == 256);
PIN(sizeof(struct shm_record) == 32);
PIN(SHM_OFFSETOF(struct shm_ring, head) == 64);
PIN(SHM_OFFSETOF(struct shm_ring, tail) == 128);
PIN(SHM_OFFSETOF(struct shm_ring, dropped) == 192);
PIN(SHM_OFFSETOF(struct shm_device_info, features) == 36);
EOF

cat > "$tmp/linux.c" <<'EOF'
#include <stdio.h>
#include "sharedmemory_ioctl.h"
#include "common-pins.h"
PIN(SHM_IOCTL_QUERY == 0x80285300u);
PIN(SHM_IOCTL_ALLOCATE == 0xC0185301u);
PIN(SHM_IOCTL_RELEASE == 0x00005302u);
PIN(SHM_IOCTL_INSPECT == 0xC0905303u);
PIN(SHM_IOCTL_STREAM_START == 0xC0205304u);
PIN(SHM_IOCTL_STREAM_STOP == 0x00005305u);
int main(int argc, char **argv)
{
	unsigned long long seq;
	int i;

	/* Prints "sequence sample check" for each sequence given. */
	for (i = 1; i < argc; i++) {
		int32_t sample;

		if (sscanf(argv[i], "%llu", &seq) != 1)
			return 2;
		sample = shm_stream_sample(seq);
		printf("%llu %d %u\n", seq, (int)sample,
		       (unsigned)shm_stream_check(seq, sample));
	}
	return 0;
}
EOF

cat > "$tmp/win.c" <<'EOF'
#include <windows.h>
#include <winioctl.h>
#include "sharedmemory_ioctl.h"
#include "common-pins.h"
PIN((DWORD)SHM_IOCTL_QUERY == 0x80002000u);
PIN((DWORD)SHM_IOCTL_ALLOCATE == 0x8000E004u);
PIN((DWORD)SHM_IOCTL_RELEASE == 0x8000E008u);
PIN((DWORD)SHM_IOCTL_INSPECT == 0x8000600Cu);
PIN((DWORD)SHM_IOCTL_STREAM_START == 0x8000E010u);
PIN((DWORD)SHM_IOCTL_STREAM_STOP == 0x8000E014u);
int main(void) { return shm_stream_sample(0) == -16000 ? 0 : 1; }
EOF

cat > "$tmp/winkernel.c" <<'EOF'
#include <ntddk.h>
#include "sharedmemory_ioctl.h"
#include "common-pins.h"
PIN((ULONG)SHM_IOCTL_STREAM_START == 0x8000E010u);
PIN((ULONG)SHM_IOCTL_STREAM_STOP == 0x8000E014u);
UINT32 shm_test_check(UINT64 sequence)
{
	return shm_stream_check(sequence, shm_stream_sample(sequence));
}
EOF

# sequence sample check, from CONTRACT.md 5.1's formulas in Python's unbounded
# integers: the turning points of the triangle, a period boundary, and
# sequences whose product with 2654435761 wraps 32 and 64 bits.
expected="$tmp/expected.txt"
cat > "$expected" <<'EOF'
0 -16000 2779093978
1 -15936 999481899
2 -15872 2580245304
250 0 3631647872
499 15936 1014517785
500 16000 1577306478
501 15936 4174070655
750 0 3705462484
999 -15936 3487463981
1000 -16000 2903949490
1234567 11712 121066957
4294967296 2944 1515868634
9223372036854775815 -4160 4129416781
18446744073709551615 8640 999488981
EOF
signal_matches() {
	local program="$1"
	# shellcheck disable=SC2046 # one argument per sequence
	"$program" $(cut -d' ' -f1 "$expected") > "$tmp/got.txt" && diff -u "$expected" "$tmp/got.txt"
}

warn=(-Wall -Wextra -Werror)
check "linux user mode (gcc -std=c11), numbers pinned" \
	gcc -std=c11 "${warn[@]}" -I"$here" -I"$tmp" "$tmp/linux.c" -o "$tmp/linux-gcc"
check "linux user mode (g++ -std=c++17), numbers pinned" \
	g++ -x c++ -std=c++17 "${warn[@]}" -I"$here" -I"$tmp" "$tmp/linux.c" -o "$tmp/linux-gxx"
check "linux user mode (clang -std=c99 -pedantic), numbers pinned" \
	clang -std=c99 -pedantic "${warn[@]}" -Wno-c11-extensions -I"$here" -I"$tmp" \
	"$tmp/linux.c" -o "$tmp/linux-clang"
for program in linux-gcc linux-gxx linux-clang; do
	check "signal table: shm_stream_sample/check ($program)" signal_matches "$tmp/$program"
done
check "windows user mode (mingw-w64), numbers pinned" \
	x86_64-w64-mingw32-gcc "${warn[@]}" -I"$here" -I"$tmp" -c "$tmp/win.c" -o "$tmp/win.o"
check "windows kernel mode (clang, mingw DDK), numbers pinned" \
	clang --target=x86_64-w64-windows-gnu -std=c11 "${warn[@]}" -fms-extensions -ffreestanding \
	-D_AMD64_ -DNTDDI_VERSION=0x0A000000 -D_WIN32_WINNT=0x0A00 \
	-isystem "$mingw/include/ddk" -isystem "$mingw/include" -I"$here" -I"$tmp" \
	-c "$tmp/winkernel.c" -o "$tmp/winkernel.o"
echo "header: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
