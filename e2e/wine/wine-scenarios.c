/* SPDX-License-Identifier: MIT */
/*
 * wine-scenarios.c - the Windows driver's lifetime cases that need more than
 * one process, run under Wine with the memory manager (e2e/wine/README.md).
 *
 *   wine-scenarios sizes       1 B ... 64 MiB: rounded to pages, 10..1, zero beyond
 *   wine-scenarios close       CloseHandle while holding: the mapping goes, totals return
 *   wine-scenarios kill        a child holding a mapping is killed with TerminateProcess
 *   wine-scenarios duplicate   the handle duplicated into another process, which
 *                              releases (or closes last) while the owner lives
 *
 * Wine queues IRP_MJ_CLOSE after CloseHandle returns, so totals are polled
 * for up to ten seconds where Windows would show them at once. Each check
 * prints "ok" or "FAIL"; the last line is "<suite>: N passed, N failed, 0 skipped".
 */
#include <stdlib.h>
#include "../../driver/windows/client/shm-win32-checks.h"

/* Inheritable, so that a child can be given it. */
static HANDLE open_inheritable_device(void)
{
	SECURITY_ATTRIBUTES inherit = { .nLength = sizeof(inherit), .bInheritHandle = TRUE };

	return CreateFileW(SHM_WIN_USER_PATH, GENERIC_READ | GENERIC_WRITE,
			   FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING,
			   FILE_ATTRIBUTE_NORMAL, NULL);
}

static DWORD release(HANDLE device)
{
	return ioctl(device, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
}

/* QUERY on a fresh handle: what every process sees. */
static BOOL totals(UINT64 *bytes, UINT32 *allocations)
{
	struct shm_device_info info;
	HANDLE probe = open_inheritable_device();
	DWORD error;

	if (probe == INVALID_HANDLE_VALUE)
		return FALSE;
	error = ioctl(probe, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info), NULL);
	CloseHandle(probe);
	*bytes = info.total_bytes;
	*allocations = info.allocations;
	return error == 0;
}

/* Polls until the totals are back to zero (CLOSE is asynchronous under Wine). */
static BOOL totals_return_to_zero(void)
{
	UINT64 bytes = 1;
	UINT32 allocations = 1;
	int i;

	for (i = 0; i < 100; i++) {
		if (totals(&bytes, &allocations) && bytes == 0 && allocations == 0)
			return TRUE;
		Sleep(100);
	}
	printf("     totals still %llu bytes in %u allocations\n", (unsigned long long)bytes,
	       allocations);
	return FALSE;
}

static BOOL range_is_free(UINT64 address)
{
	MEMORY_BASIC_INFORMATION region;

	return VirtualQuery((void *)(ULONG_PTR)address, &region, sizeof(region)) != 0 &&
	       region.State == MEM_FREE;
}

static BOOL range_becomes_free(UINT64 address)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (range_is_free(address))
			return TRUE;
		Sleep(100);
	}
	return FALSE;
}

/* 10, 9, ..., 1 and then zeros, over the whole mapping. */
static BOOL seeded_then_zero(const struct shm_allocate *a)
{
	const USHORT *values = (const USHORT *)(ULONG_PTR)a->user_address;
	UINT64 i, count = a->mapped_size / 2;

	for (i = 0; i < count; i++)
		if (values[i] != (i < SHM_SEED_COUNT ? SHM_SEED_COUNT - i : 0))
			return FALSE;
	return TRUE;
}

static int finish(const char *suite)
{
	printf("%s: %d passed, %d failed, 0 skipped\n", suite, g_passed, g_failed);
	return g_failed == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

static int run_sizes(void)
{
	static const UINT64 sizes[] = { 1, 2, 4095, 4096, 4097, 3 * 4096 + 1, 1 << 20,
					(16 << 20) + 2, SHM_DEFAULT_MAX_SIZE };
	HANDLE device = open_inheritable_device();
	unsigned i;

	check(device != INVALID_HANDLE_VALUE, "open the device");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct shm_allocate a;
		UINT64 want = (sizes[i] + 4095) & ~(UINT64)4095, bytes;
		UINT32 allocations;
		DWORD error = allocate(device, sizes[i], &a);

		check(error == 0 && a.mapped_size == want && a.user_address != 0,
		      "ALLOCATE %llu bytes: mapped %llu at 0x%llx (error %lu)",
		      (unsigned long long)sizes[i], (unsigned long long)a.mapped_size,
		      (unsigned long long)a.user_address, error);
		if (error != 0)
			continue;
		check(seeded_then_zero(&a), "  10, 9, ..., 1 and then zeros over all %llu bytes",
		      (unsigned long long)a.mapped_size);
		check(totals(&bytes, &allocations) && bytes == want && allocations == 1,
		      "  QUERY counts %llu bytes in 1 allocation", (unsigned long long)want);
		check(release(device) == 0 && range_is_free(a.user_address),
		      "  RELEASE unmaps it: the range is MEM_FREE");
	}
	CloseHandle(device);
	check(totals_return_to_zero(), "totals back to zero");
	return finish("wine-sizes");
}

static int run_close(void)
{
	struct shm_allocate a;
	HANDLE device = open_inheritable_device();
	USHORT *values;

	check(device != INVALID_HANDLE_VALUE && allocate(device, 1 << 20, &a) == 0,
	      "ALLOCATE 1 MiB");
	values = (USHORT *)(ULONG_PTR)a.user_address;
	values[(1 << 19) - 1] = 0xBEEF;
	check(CloseHandle(device), "CloseHandle while holding it, without RELEASE");
	check(totals_return_to_zero(), "the driver freed it: totals back to zero");
	check(range_becomes_free(a.user_address), "and unmapped it from this process: MEM_FREE");
	return finish("wine-close");
}

static HANDLE spawn(const char *self, const char *arguments, BOOL suspended, PROCESS_INFORMATION *pi)
{
	STARTUPINFOA si = { .cb = sizeof(si) };
	char command[512];

	snprintf(command, sizeof(command), "\"%s\" %s", self, arguments);
	if (!CreateProcessA(NULL, command, NULL, NULL, TRUE, suspended ? CREATE_SUSPENDED : 0,
			    NULL, NULL, &si, pi))
		return NULL;
	return pi->hProcess;
}

/* The child of "kill": allocates, writes, says so, and waits to be killed. */
static int run_hold(HANDLE ready)
{
	struct shm_allocate a;
	HANDLE device = open_inheritable_device();

	if (device == INVALID_HANDLE_VALUE || allocate(device, 1 << 20, &a) != 0)
		return 2;
	memset((void *)(ULONG_PTR)a.user_address, 0x5A, 1 << 20);
	SetEvent(ready);
	Sleep(INFINITE);
	return 0;
}

static int run_kill(const char *self)
{
	SECURITY_ATTRIBUTES inherit = { .nLength = sizeof(inherit), .bInheritHandle = TRUE };
	HANDLE ready = CreateEventW(&inherit, TRUE, FALSE, NULL);
	PROCESS_INFORMATION pi;
	char arguments[64];
	UINT64 bytes = 0;
	UINT32 allocations = 0;
	struct shm_allocate a;
	HANDLE device;

	snprintf(arguments, sizeof(arguments), "hold %llu", (unsigned long long)(ULONG_PTR)ready);
	check(spawn(self, arguments, FALSE, &pi) != NULL &&
	      WaitForSingleObject(ready, 60000) == WAIT_OBJECT_0,
	      "a child allocated 1 MiB and wrote all of it");
	check(totals(&bytes, &allocations) && bytes == 1 << 20 && allocations == 1,
	      "QUERY counts the child's allocation");
	check(TerminateProcess(pi.hProcess, 9) && WaitForSingleObject(pi.hProcess, 30000) == 0,
	      "TerminateProcess while it holds the mapping");
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	check(totals_return_to_zero(), "the driver freed the dead process's memory: totals back to zero");
	device = open_inheritable_device();
	check(device != INVALID_HANDLE_VALUE && allocate(device, 4096, &a) == 0 &&
	      ((USHORT *)(ULONG_PTR)a.user_address)[0] == 10 && release(device) == 0,
	      "the driver host still serves: ALLOCATE, 10 at the address, RELEASE");
	CloseHandle(device);
	return finish("wine-kill");
}

/* The child of "duplicate": uses the handle the parent duplicated into it. */
static int run_duplicate_child(HANDLE device, const char *action)
{
	struct shm_inspect request = { .offset = 0, .count = SHM_SEED_COUNT };

	if (ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request, sizeof(request), NULL) != 0 ||
	    request.values[0] != 0xCAFE || request.values[1] != 9)
		return 3;
	if (strcmp(action, "release") == 0)
		return release(device) == 0 ? 0 : 4;
	return CloseHandle(device) ? 0 : 5;
}

/*
 * Duplicates the device into a suspended child, then lets it run; with
 * close_mine, this process closes its own handle first, so that the child's
 * close is the last one.
 */
static DWORD duplicate_into_child(const char *self, HANDLE device, const char *action, BOOL close_mine)
{
	PROCESS_INFORMATION pi;
	HANDLE theirs = NULL;
	char arguments[64];
	HANDLE mapping;
	UINT64 *slot;
	DWORD code = 99;

	/* The child reads the handle's value from a mapping named after this process. */
	snprintf(arguments, sizeof(arguments), "duplicate-child %lu %s", GetCurrentProcessId(), action);
	mapping = CreateFileMappingA(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, 8,
				     "Local\\shm-wine-scenarios");
	slot = MapViewOfFile(mapping, FILE_MAP_WRITE, 0, 0, 8);
	if (!spawn(self, arguments, TRUE, &pi))
		return code;
	if (DuplicateHandle(GetCurrentProcess(), device, pi.hProcess, &theirs, 0, FALSE,
			    DUPLICATE_SAME_ACCESS)) {
		*slot = (UINT64)(ULONG_PTR)theirs;
		if (close_mine)
			CloseHandle(device);
		ResumeThread(pi.hThread);
		WaitForSingleObject(pi.hProcess, 60000);
		GetExitCodeProcess(pi.hProcess, &code);
	} else {
		TerminateProcess(pi.hProcess, 1);
	}
	CloseHandle(pi.hProcess);
	CloseHandle(pi.hThread);
	UnmapViewOfFile(slot);
	CloseHandle(mapping);
	return code;
}

static int run_duplicate(const char *self)
{
	struct shm_allocate a;
	HANDLE device = open_inheritable_device();
	DWORD code;

	/* The other process releases what this one allocated. */
	check(device != INVALID_HANDLE_VALUE && allocate(device, 8192, &a) == 0, "ALLOCATE 8 KiB");
	((USHORT *)(ULONG_PTR)a.user_address)[0] = 0xCAFE;
	code = duplicate_into_child(self, device, "release", FALSE);
	check(code == 0, "a child given the handle with DuplicateHandle sees this mapping's "
	      "writes through INSPECT and RELEASEs it (exit code %lu)", code);
	check(range_is_free(a.user_address), "the driver unmapped it from this process, the owner: MEM_FREE");
	check(totals_return_to_zero(), "totals back to zero");

	/* This process closes first; the child's close is the last one. */
	check(allocate(device, 8192, &a) == 0, "ALLOCATE again on the same handle");
	((USHORT *)(ULONG_PTR)a.user_address)[0] = 0xCAFE;
	code = duplicate_into_child(self, device, "close", TRUE);
	check(code == 0, "this process closes its handle; the child still sees the allocation "
	      "through its duplicate and closes it last (exit code %lu)", code);
	check(totals_return_to_zero(), "the last close freed it: totals back to zero");
	check(range_becomes_free(a.user_address), "and unmapped it from this process, the owner: MEM_FREE");
	return finish("wine-duplicate");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "sizes") == 0)
		return run_sizes();
	if (argc >= 2 && strcmp(argv[1], "close") == 0)
		return run_close();
	if (argc >= 2 && strcmp(argv[1], "kill") == 0)
		return run_kill(argv[0]);
	if (argc >= 3 && strcmp(argv[1], "hold") == 0)
		return run_hold((HANDLE)(ULONG_PTR)_strtoui64(argv[2], NULL, 10));
	if (argc >= 2 && strcmp(argv[1], "duplicate") == 0)
		return run_duplicate(argv[0]);
	if (argc >= 4 && strcmp(argv[1], "duplicate-child") == 0) {
		HANDLE mapping = OpenFileMappingA(FILE_MAP_READ, FALSE, "Local\\shm-wine-scenarios");
		UINT64 *slot = mapping ? MapViewOfFile(mapping, FILE_MAP_READ, 0, 0, 8) : NULL;

		return slot ? run_duplicate_child((HANDLE)(ULONG_PTR)*slot, argv[3]) : 2;
	}
	fprintf(stderr, "usage: wine-scenarios sizes | close | kill | duplicate\n");
	return 2;
}
