/* SPDX-License-Identifier: MIT */
/*
 * mm-misuse-client.c - asks mm-misuse.sys for one case and checks what came
 * back (e2e/wine/mm-self-test.mjs reads the driver log for the rest).
 *
 *   mm-misuse-client CASE     CASE: correct, foreign-unmap, double-unmap, free-kernel,
 *                             free-user, system-map, iofreemdl, exfreepool,
 *                             double-free, raise, handle
 *
 * Prints "ok"/"FAIL" lines and "mm-<case>: N passed, N failed, 0 skipped".
 */
#include "../../../driver/windows/client/shm-win32-checks.h"

#define MISUSE(n) CTL_CODE(0x8001, 0x900 + (n), METHOD_BUFFERED, FILE_ANY_ACCESS)

struct misuse_report {
	UINT64 zeroed_first;
	UINT64 unzeroed_first;
	UINT64 partial_bytes;
	UINT64 fully_required;
	UINT64 user_value;
	INT32 status;
	INT32 statuses[4];
};

struct misuse_handles {
	UINT64 event;
	UINT64 weak_event;
	UINT64 file;
	UINT64 garbage;
};

static const char *const CASES[] = {
	"correct", "foreign-unmap", "double-unmap", "free-kernel", "free-user", "system-map",
	"iofreemdl", "exfreepool", "double-free", "raise", "handle",
};

int main(int argc, char **argv)
{
	struct misuse_report report;
	struct misuse_handles handles = { 0 };
	HANDLE device, event = NULL, weak = NULL, file = INVALID_HANDLE_VALUE;
	DWORD bytes = 0, in_size = 0;
	void *in = NULL;
	unsigned n;
	BOOL ok;

	for (n = 0; argc >= 2 && n < sizeof(CASES) / sizeof(CASES[0]); n++)
		if (strcmp(argv[1], CASES[n]) == 0)
			break;
	if (argc < 2 || n == sizeof(CASES) / sizeof(CASES[0])) {
		fprintf(stderr, "usage: mm-misuse-client CASE\n");
		return 2;
	}
	device = CreateFileW(L"\\\\.\\ShmMmMisuse", GENERIC_READ | GENERIC_WRITE, 0, NULL,
			     OPEN_EXISTING, 0, NULL);
	check(device != INVALID_HANDLE_VALUE, "open \\\\.\\ShmMmMisuse (error %lu)", GetLastError());

	if (n == 10) {
		event = CreateEventW(NULL, FALSE, FALSE, NULL);
		DuplicateHandle(GetCurrentProcess(), event, GetCurrentProcess(), &weak, SYNCHRONIZE,
				FALSE, 0);
		file = CreateFileA(argv[0], GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
		handles.event = (UINT64)(ULONG_PTR)event;
		handles.weak_event = (UINT64)(ULONG_PTR)weak;
		handles.file = (UINT64)(ULONG_PTR)file;
		handles.garbage = 0x7FFC;
		in = &handles;
		in_size = sizeof(handles);
	}
	memset(&report, 0, sizeof(report));
	ok = DeviceIoControl(device, MISUSE(n), in, in_size, &report, sizeof(report), &bytes, NULL);
	check(ok, "the driver ran case %s (error %lu)", CASES[n], ok ? 0 : GetLastError());

	if (n == 0) {
		check(report.zeroed_first == 0, "MmAllocatePagesForMdlEx zero-fills (0x%llx)",
		      (unsigned long long)report.zeroed_first);
		check(report.unzeroed_first == 0xA5A5A5A5A5A5A5A5ull,
		      "MM_DONT_ZERO_ALLOCATION: the pages are not zeroed (0x%llx)",
		      (unsigned long long)report.unzeroed_first);
		check(report.partial_bytes > 0 && report.partial_bytes < (5ull << 30),
		      "5 GiB without MM_ALLOCATE_FULLY_REQUIRED: a partial MDL of %llu bytes",
		      (unsigned long long)report.partial_bytes);
		check(report.fully_required == 0, "5 GiB with MM_ALLOCATE_FULLY_REQUIRED: NULL");
		check(report.user_value != 0 && report.user_value % 4096 == 0 &&
		      report.user_value < 0x800000000000ull,
		      "MmMapLockedPagesSpecifyCache(UserMode) gave a page-aligned user address (0x%llx)",
		      (unsigned long long)report.user_value);
	} else if (n == 9) {
		check((DWORD)report.status == 0xC000009A,
		      "a UserMode mapping that cannot be had raises STATUS_INSUFFICIENT_RESOURCES (0x%08lx)",
		      (unsigned long)report.status);
	} else if (n == 10) {
		check(report.statuses[0] == 0 && WaitForSingleObject(event, 0) == WAIT_OBJECT_0,
		      "ObReferenceObjectByHandle(UserMode) on this process's event: 0x%08lx, and "
		      "KeSetEvent signalled it", (unsigned long)report.statuses[0]);
		check((DWORD)report.statuses[1] == 0xC0000022,
		      "the same event opened with SYNCHRONIZE only: STATUS_ACCESS_DENIED (0x%08lx)",
		      (unsigned long)report.statuses[1]);
		check((DWORD)report.statuses[2] == 0xC0000024,
		      "a file handle: STATUS_OBJECT_TYPE_MISMATCH (0x%08lx)",
		      (unsigned long)report.statuses[2]);
		check((DWORD)report.statuses[3] == 0xC0000008,
		      "not a handle: STATUS_INVALID_HANDLE (0x%08lx)", (unsigned long)report.statuses[3]);
	}
	CloseHandle(device);
	printf("mm-%s: %d passed, %d failed, 0 skipped\n", CASES[n], g_passed, g_failed);
	return g_failed == 0 ? 0 : 1;
}
