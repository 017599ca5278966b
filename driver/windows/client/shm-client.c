/* SPDX-License-Identifier: MIT */
/*
 * shm-client.c - a plain Win32 client of the SharedMemory driver, for tests.
 *
 * It speaks to the driver with nothing but CreateFileW/DeviceIoControl/ReadFile,
 * so when a check fails here and in the app's backend, the driver is at fault;
 * when it fails only in the backend, the backend is.
 *
 *   shm-client abi          prints the header's numbers as JSON (for the TS mirror check)
 *   shm-client absent       checks that opening the device reports "not installed"
 *   shm-client contract     every check that needs no successful ALLOCATE
 *   shm-client query        prints QUERY's answer as JSON
 *   shm-client allocate N   tries ALLOCATE of N bytes and reports what happened
 *   shm-client lifecycle    ALLOCATE, values, INSPECT, ReadFile, RELEASE, cap, close
 *                           (needs a kernel with a real memory manager: Windows)
 *   shm-client shared       a handle shared with a child process: the owner exits
 *                           first, or the last close is not the owner's (Windows)
 *
 * Each check prints "ok" or "FAIL" and a line; the last line is
 * "<suite>: N passed, N failed, N skipped".
 */
#include <windows.h>
#include <winioctl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sharedmemory_ioctl.h"

static int g_passed;
static int g_failed;

static void check(BOOL ok, const char *what, ...)
{
	va_list args;

	va_start(args, what);
	printf(ok ? "ok   " : "FAIL ");
	vprintf(what, args);
	printf("\n");
	va_end(args);
	fflush(stdout);
	if (ok)
		g_passed++;
	else
		g_failed++;
}

static HANDLE open_device(DWORD access)
{
	return CreateFileW(SHM_WIN_USER_PATH, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			   OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
}

/* DeviceIoControl that returns 0 on success, else GetLastError(). */
static DWORD ioctl(HANDLE device, DWORD code, void *in, DWORD in_size, void *out, DWORD out_size,
		   DWORD *returned)
{
	DWORD bytes = 0;

	if (!DeviceIoControl(device, code, in, in_size, out, out_size, &bytes, NULL))
		return GetLastError();
	if (returned)
		*returned = bytes;
	return 0;
}

static DWORD query(HANDLE device, struct shm_device_info *info)
{
	memset(info, 0xA5, sizeof(*info));
	return ioctl(device, SHM_IOCTL_QUERY, NULL, 0, info, sizeof(*info), NULL);
}

static DWORD inspect(HANDLE device, UINT64 offset, UINT32 count)
{
	struct shm_inspect request = { .offset = offset, .count = count };

	return ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request,
		     sizeof(request), NULL);
}

static DWORD allocate(HANDLE device, UINT64 size, struct shm_allocate *result)
{
	memset(result, 0, sizeof(*result));
	result->size = size;
	return ioctl(device, SHM_IOCTL_ALLOCATE, result, sizeof(*result), result,
		     sizeof(*result), NULL);
}

static DWORD read_at(HANDLE device, UINT64 offset, void *into, DWORD length, DWORD *read)
{
	OVERLAPPED at = { 0 };

	at.Offset = (DWORD)offset;
	at.OffsetHigh = (DWORD)(offset >> 32);
	*read = 0;
	return ReadFile(device, into, length, read, &at) ? 0 : GetLastError();
}

static BOOL totals_are_zero(HANDLE device)
{
	struct shm_device_info info;

	return query(device, &info) == 0 && info.total_bytes == 0 && info.allocations == 0;
}

static int finish(const char *suite)
{
	printf("%s: %d passed, %d failed, 0 skipped\n", suite, g_passed, g_failed);
	return g_failed == 0 ? 0 : 1;
}

/* ------------------------------------------------------------------------ */

static int run_abi(void)
{
	printf("{\"ioctl\":{\"QUERY\":%lu,\"ALLOCATE\":%lu,\"RELEASE\":%lu,\"INSPECT\":%lu,"
	       "\"STREAM_START\":%lu,\"STREAM_STOP\":%lu},"
	       "\"size\":{\"deviceInfo\":%u,\"allocate\":%u,\"inspect\":%u,"
	       "\"streamStart\":%u,\"ring\":%u,\"record\":%u},"
	       "\"offset\":{\"deviceInfo\":{\"abiVersion\":%u,\"driverVersion\":%u,\"pageSize\":%u,"
	       "\"maxSize\":%u,\"totalBytes\":%u,\"allocations\":%u,\"features\":%u},"
	       "\"allocate\":{\"size\":%u,\"userAddress\":%u,\"mappedSize\":%u},"
	       "\"inspect\":{\"offset\":%u,\"count\":%u,\"reserved\":%u,\"values\":%u}},"
	       "\"abiVersion\":%u,\"driverVersion\":%u,\"inspectMax\":%u,\"seedCount\":%u,"
	       "\"defaultMaxSize\":%llu,\"defaultTotalCap\":%llu}\n",
	       (unsigned long)SHM_IOCTL_QUERY, (unsigned long)SHM_IOCTL_ALLOCATE,
	       (unsigned long)SHM_IOCTL_RELEASE, (unsigned long)SHM_IOCTL_INSPECT,
	       (unsigned long)SHM_IOCTL_STREAM_START, (unsigned long)SHM_IOCTL_STREAM_STOP,
	       (unsigned)sizeof(struct shm_device_info), (unsigned)sizeof(struct shm_allocate),
	       (unsigned)sizeof(struct shm_inspect), (unsigned)sizeof(struct shm_stream_start),
	       (unsigned)sizeof(struct shm_ring), (unsigned)sizeof(struct shm_record),
	       (unsigned)offsetof(struct shm_device_info, abi_version),
	       (unsigned)offsetof(struct shm_device_info, driver_version),
	       (unsigned)offsetof(struct shm_device_info, page_size),
	       (unsigned)offsetof(struct shm_device_info, max_size),
	       (unsigned)offsetof(struct shm_device_info, total_bytes),
	       (unsigned)offsetof(struct shm_device_info, allocations),
	       (unsigned)offsetof(struct shm_device_info, features),
	       (unsigned)offsetof(struct shm_allocate, size),
	       (unsigned)offsetof(struct shm_allocate, user_address),
	       (unsigned)offsetof(struct shm_allocate, mapped_size),
	       (unsigned)offsetof(struct shm_inspect, offset),
	       (unsigned)offsetof(struct shm_inspect, count),
	       (unsigned)offsetof(struct shm_inspect, reserved),
	       (unsigned)offsetof(struct shm_inspect, values),
	       SHM_ABI_VERSION, SHM_DRIVER_VERSION, SHM_INSPECT_MAX, SHM_SEED_COUNT,
	       (unsigned long long)SHM_DEFAULT_MAX_SIZE, (unsigned long long)SHM_DEFAULT_TOTAL_CAP);
	return 0;
}

static int run_absent(void)
{
	HANDLE device = open_device(GENERIC_READ | GENERIC_WRITE);
	DWORD error = GetLastError();

	check(device == INVALID_HANDLE_VALUE && error == ERROR_FILE_NOT_FOUND,
	      "no driver: CreateFileW fails with ERROR_FILE_NOT_FOUND (got %lu)",
	      device == INVALID_HANDLE_VALUE ? error : 0);
	if (device != INVALID_HANDLE_VALUE)
		CloseHandle(device);
	return finish("wine-c-client-absent");
}

/* Many threads on one handle: every answer must still be the contract's. */
#define THREADS 8
#define ROUNDS 200
static HANDLE g_shared;
static volatile LONG g_thread_failures;

static DWORD WINAPI hammer(void *unused)
{
	struct shm_device_info info;
	int i;

	(void)unused;
	for (i = 0; i < ROUNDS; i++) {
		if (query(g_shared, &info) != 0 || info.abi_version != SHM_ABI_VERSION ||
		    inspect(g_shared, 0, 1) != ERROR_BAD_COMMAND ||
		    ioctl(g_shared, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL) != ERROR_BAD_COMMAND)
			InterlockedIncrement(&g_thread_failures);
	}
	return 0;
}

static int run_contract(void)
{
	struct shm_device_info info;
	struct shm_allocate alloc;
	struct shm_inspect request;
	HANDLE device, readonly, threads[THREADS], handles[64];
	DWORD error, returned = 0, read;
	BYTE buffer[64];
	int i, opened;

	device = open_device(GENERIC_READ | GENERIC_WRITE);
	check(device != INVALID_HANDLE_VALUE, "open \\\\.\\SharedMemory read/write (error %lu)",
	      device == INVALID_HANDLE_VALUE ? GetLastError() : 0);
	if (device == INVALID_HANDLE_VALUE)
		return finish("wine-c-client");

	error = ioctl(device, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info), &returned);
	check(error == 0 && returned == sizeof(info), "QUERY succeeds, %lu bytes back (error %lu)",
	      returned, error);
	check(info.abi_version == SHM_ABI_VERSION && info.driver_version == SHM_DRIVER_VERSION,
	      "QUERY: ABI %u, driver version 0x%x", info.abi_version, info.driver_version);
	check(info.page_size == 4096 && info.max_size == SHM_DEFAULT_MAX_SIZE,
	      "QUERY: page size %llu, max size %llu (the INF's MaxSizeMiB 64)",
	      (unsigned long long)info.page_size, (unsigned long long)info.max_size);
	check(info.total_bytes == 0 && info.allocations == 0 && info.features == 0,
	      "QUERY: zero totals (%llu bytes, %u allocations), features 0 (no streaming yet)",
	      (unsigned long long)info.total_bytes, info.allocations);

	/* Buffer sizes come first. */
	error = ioctl(device, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info) - 1, NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "QUERY, 39-byte output: 122 (got %lu)", error);
	memset(&alloc, 0, sizeof(alloc));
	alloc.size = 4096;
	error = ioctl(device, SHM_IOCTL_ALLOCATE, &alloc, sizeof(alloc) - 1, &alloc, sizeof(alloc), NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "ALLOCATE, 23-byte input: 122 (got %lu)", error);
	error = ioctl(device, SHM_IOCTL_ALLOCATE, &alloc, sizeof(alloc), &alloc, sizeof(alloc) - 1, NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "ALLOCATE, 23-byte output: 122 (got %lu)", error);
	memset(&request, 0, sizeof(request));
	request.count = 1;
	error = ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request) - 1, &request,
		      sizeof(request), NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "INSPECT, 143-byte input: 122 (got %lu)", error);
	error = ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request,
		      sizeof(request) - 1, NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "INSPECT, 143-byte output: 122 (got %lu)", error);

	/* Then parameters, before state: nothing is allocated yet. */
	error = allocate(device, 0, &alloc);
	check(error == ERROR_INVALID_PARAMETER, "ALLOCATE size 0: 87 (got %lu)", error);
	error = allocate(device, SHM_DEFAULT_MAX_SIZE + 1, &alloc);
	check(error == ERROR_INVALID_PARAMETER, "ALLOCATE max_size + 1: 87 (got %lu)", error);
	error = allocate(device, ~0ull, &alloc);
	check(error == ERROR_INVALID_PARAMETER, "ALLOCATE 2^64 - 1: 87 (got %lu)", error);
	error = inspect(device, 0, 0);
	check(error == ERROR_INVALID_PARAMETER, "INSPECT count 0, nothing allocated: 87 (got %lu)", error);
	error = inspect(device, 0, SHM_INSPECT_MAX + 1);
	check(error == ERROR_INVALID_PARAMETER, "INSPECT count 65: 87 (got %lu)", error);
	error = inspect(device, 1, 1);
	check(error == ERROR_INVALID_PARAMETER, "INSPECT odd offset: 87 (got %lu)", error);

	/* Then state. */
	error = ioctl(device, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
	check(error == ERROR_BAD_COMMAND, "RELEASE, nothing allocated: 22 (got %lu)", error);
	error = inspect(device, 0, SHM_SEED_COUNT);
	check(error == ERROR_BAD_COMMAND, "INSPECT, nothing allocated: 22 (got %lu)", error);
	error = read_at(device, 0, buffer, sizeof(buffer), &read);
	check(error == ERROR_BAD_COMMAND && read == 0, "ReadFile, nothing allocated: 22 (got %lu)", error);

	error = ioctl(device, CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x8FF, METHOD_BUFFERED, FILE_ANY_ACCESS),
		      NULL, 0, NULL, 0, NULL);
	check(error == ERROR_INVALID_FUNCTION, "unknown control code: 1 (got %lu)", error);
	check(totals_are_zero(device), "bad requests changed nothing: totals still zero");

	/* The I/O manager checks the code's access bits against the handle. */
	readonly = open_device(GENERIC_READ);
	check(readonly != INVALID_HANDLE_VALUE, "open read-only (error %lu)",
	      readonly == INVALID_HANDLE_VALUE ? GetLastError() : 0);
	if (readonly != INVALID_HANDLE_VALUE) {
		check(query(readonly, &info) == 0, "QUERY on a read-only handle works");
		error = allocate(readonly, 4096, &alloc);
		check(error == ERROR_ACCESS_DENIED, "ALLOCATE on a read-only handle: 5 (got %lu)", error);
		error = ioctl(readonly, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
		check(error == ERROR_ACCESS_DENIED, "RELEASE on a read-only handle: 5 (got %lu)", error);
		CloseHandle(readonly);
	}

	readonly = open_device(GENERIC_WRITE);
	check(readonly != INVALID_HANDLE_VALUE, "open write-only (error %lu)",
	      readonly == INVALID_HANDLE_VALUE ? GetLastError() : 0);
	if (readonly != INVALID_HANDLE_VALUE) {
		error = inspect(readonly, 0, 1);
		check(error == ERROR_ACCESS_DENIED, "INSPECT on a write-only handle: 5 (got %lu)", error);
		error = read_at(readonly, 0, buffer, sizeof(buffer), &read);
		check(error == ERROR_ACCESS_DENIED, "ReadFile on a write-only handle: 5 (got %lu)", error);
		CloseHandle(readonly);
	}

	/* A name below the device is refused (the device has no namespace). */
	readonly = CreateFileW(SHM_WIN_USER_PATH L"\\below", GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
	error = GetLastError();
	check(readonly == INVALID_HANDLE_VALUE, "open \\\\.\\SharedMemory\\below fails (error %lu)",
	      readonly == INVALID_HANDLE_VALUE ? error : 0);
	if (readonly != INVALID_HANDLE_VALUE)
		CloseHandle(readonly);

	/* Many handles at once, each with its own state. */
	for (opened = 0; opened < 64; opened++) {
		handles[opened] = open_device(GENERIC_READ | GENERIC_WRITE);
		if (handles[opened] == INVALID_HANDLE_VALUE)
			break;
	}
	check(opened == 64, "64 handles open at once (%d opened)", opened);
	error = 0;
	for (i = 0; i < opened; i++) {
		if (query(handles[i], &info) != 0 || info.allocations != 0 ||
		    inspect(handles[i], 0, 1) != ERROR_BAD_COMMAND)
			error++;
	}
	check(error == 0, "each of them answers QUERY and INSPECT (%lu wrong)", error);
	for (i = 0; i < opened; i++)
		CloseHandle(handles[i]);

	/* Many threads on one handle. */
	g_shared = device;
	for (i = 0; i < THREADS; i++)
		threads[i] = CreateThread(NULL, 0, hammer, NULL, 0, NULL);
	WaitForMultipleObjects(THREADS, threads, TRUE, 60000);
	for (i = 0; i < THREADS; i++)
		CloseHandle(threads[i]);
	check(g_thread_failures == 0, "%d threads x %d rounds of QUERY/INSPECT/RELEASE on one handle "
	      "(%ld wrong answers)", THREADS, ROUNDS, g_thread_failures);

	/* Close with nothing held, then a fresh handle sees zero totals. */
	check(CloseHandle(device), "close with nothing held");
	device = open_device(GENERIC_READ | GENERIC_WRITE);
	check(device != INVALID_HANDLE_VALUE && totals_are_zero(device),
	      "a new handle after the close sees zero totals");
	if (device != INVALID_HANDLE_VALUE)
		CloseHandle(device);
	return finish("wine-c-client");
}

static int run_query(void)
{
	struct shm_device_info info;
	HANDLE device = open_device(GENERIC_READ);
	DWORD error;

	if (device == INVALID_HANDLE_VALUE) {
		printf("{\"error\":%lu}\n", GetLastError());
		return 1;
	}
	error = query(device, &info);
	CloseHandle(device);
	if (error != 0) {
		printf("{\"error\":%lu}\n", error);
		return 1;
	}
	printf("{\"abiVersion\":%u,\"driverVersion\":%u,\"pageSize\":%llu,\"maxSize\":%llu,"
	       "\"totalBytes\":%llu,\"allocations\":%u}\n",
	       info.abi_version, info.driver_version, (unsigned long long)info.page_size,
	       (unsigned long long)info.max_size, (unsigned long long)info.total_bytes,
	       info.allocations);
	return 0;
}

static int run_allocate(UINT64 size)
{
	struct shm_allocate alloc;
	HANDLE device = open_device(GENERIC_READ | GENERIC_WRITE);
	DWORD error;

	if (device == INVALID_HANDLE_VALUE) {
		printf("allocate: open failed, error %lu\n", GetLastError());
		return 2;
	}
	error = allocate(device, size, &alloc);
	printf("allocate: size %llu -> error %lu, user_address 0x%llx, mapped_size %llu\n",
	       (unsigned long long)size, error, (unsigned long long)alloc.user_address,
	       (unsigned long long)alloc.mapped_size);
	if (error == 0) {
		const USHORT *values = (const USHORT *)(ULONG_PTR)alloc.user_address;
		int i;

		printf("allocate: first values");
		for (i = 0; i < SHM_SEED_COUNT; i++)
			printf(" %u", values[i]);
		printf("\n");
	}
	fflush(stdout);
	CloseHandle(device);
	return error == 0 ? 0 : 1;
}

/* The whole life of an allocation; needs Windows (Wine cannot allocate). */
static int run_lifecycle(void)
{
	struct shm_allocate alloc, second;
	struct shm_inspect request;
	struct shm_device_info before, info;
	HANDLE device, other;
	USHORT *values;
	BYTE copy[16];
	DWORD error, read;
	int i;
	BOOL seeded = TRUE;

	device = open_device(GENERIC_READ | GENERIC_WRITE);
	other = open_device(GENERIC_READ | GENERIC_WRITE);
	check(device != INVALID_HANDLE_VALUE && other != INVALID_HANDLE_VALUE, "open two handles");
	if (device == INVALID_HANDLE_VALUE || other == INVALID_HANDLE_VALUE)
		return finish("windows-lifecycle");
	check(query(device, &before) == 0, "QUERY before");

	error = allocate(device, 5000, &alloc);
	check(error == 0 && alloc.user_address != 0 && alloc.mapped_size == 8192,
	      "ALLOCATE 5000 bytes: address 0x%llx, %llu bytes mapped (error %lu)",
	      (unsigned long long)alloc.user_address, (unsigned long long)alloc.mapped_size, error);
	if (error != 0)
		return finish("windows-lifecycle");
	values = (USHORT *)(ULONG_PTR)alloc.user_address;
	for (i = 0; i < SHM_SEED_COUNT; i++)
		seeded = seeded && values[i] == SHM_SEED_COUNT - i;
	for (i = SHM_SEED_COUNT; i < 4096; i++)
		seeded = seeded && values[i] == 0;
	check(seeded, "the mapping holds 10, 9, ..., 1 and then zeros");

	error = allocate(device, 4096, &second);
	check(error == ERROR_BUSY, "a second ALLOCATE on the handle: 170 (got %lu)", error);
	check(query(device, &info) == 0 && info.total_bytes == before.total_bytes + 8192 &&
	      info.allocations == before.allocations + 1, "QUERY counts the allocation");

	values[20] = 0xBEEF;
	memset(&request, 0, sizeof(request));
	request.offset = 40;
	request.count = 1;
	error = ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request, sizeof(request), NULL);
	check(error == 0 && request.values[0] == 0xBEEF, "INSPECT sees what user mode wrote");
	check(inspect(device, 8190, 1) == 0, "INSPECT of the last u16: ok");
	error = inspect(device, 8190, 2);
	check(error == ERROR_INVALID_PARAMETER, "INSPECT past the end: 87 (got %lu)", error);
	error = read_at(device, 0, copy, sizeof(copy), &read);
	check(error == 0 && read == sizeof(copy) && memcmp(copy, values, sizeof(copy)) == 0,
	      "ReadFile at 0 copies the same bytes");
	error = read_at(device, 8192 - 4, copy, sizeof(copy), &read);
	check(error == 0 && read == 4, "ReadFile near the end returns the last 4 bytes (%lu)", read);
	error = read_at(device, 8192, copy, sizeof(copy), &read);
	check(error == ERROR_HANDLE_EOF, "ReadFile at the end: 38 (got %lu)", error);
	error = inspect(other, 0, 1);
	check(error == ERROR_BAD_COMMAND, "the other handle has nothing allocated: 22 (got %lu)", error);

	error = ioctl(device, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
	check(error == 0, "RELEASE (error %lu)", error);
	check(query(device, &info) == 0 && info.total_bytes == before.total_bytes &&
	      info.allocations == before.allocations, "QUERY after RELEASE: back to before");
	error = ioctl(device, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
	check(error == ERROR_BAD_COMMAND, "RELEASE twice: 22 (got %lu)", error);

	/* Close while holding: CLEANUP frees it. */
	check(allocate(device, 4096, &alloc) == 0, "ALLOCATE again");
	CloseHandle(device);
	check(query(other, &info) == 0 && info.total_bytes == before.total_bytes,
	      "closing a handle that holds memory frees it");

	/* The cap: allocate max_size on fresh handles until it refuses. */
	{
		HANDLE many[16];
		int n = 0;

		for (n = 0; n < 16; n++) {
			many[n] = open_device(GENERIC_READ | GENERIC_WRITE);
			if (allocate(many[n], info.max_size, &alloc) != 0)
				break;
		}
		error = n < 16 ? allocate(many[n], info.max_size, &alloc) : 0;
		check(n < 16 && (error == ERROR_NO_SYSTEM_RESOURCES || error == ERROR_BUSY),
		      "the cap stops allocation after %d x max_size (error %lu)", n, error);
		for (i = 0; i <= n && i < 16; i++)
			CloseHandle(many[i]);
		check(query(other, &info) == 0 && info.total_bytes == before.total_bytes,
		      "all freed after closing them");
	}
	CloseHandle(other);
	return finish("windows-lifecycle");
}

/*
 * A handle shared with another process (inherited here; DuplicateHandle works
 * the same way: both processes then refer to one file object). Needs Windows.
 *
 * The child, given the inherited handle and an event, allocates through it
 * (so the mapping is in the child) and then, depending on its mode:
 *   exit   exits holding it: the parent's handle keeps the file object open,
 *          so no CLEANUP comes; the driver's process-exit callback unmaps
 *   wait   closes its own copy of the handle, signals, and waits: the parent's
 *          close is then the last one, and CLEANUP runs in the parent, which
 *          must unmap from the child's address space, not its own
 */
static HANDLE spawn_child(const char *self, const char *mode, HANDLE device, HANDLE ready,
			  HANDLE go)
{
	char command[512];
	STARTUPINFOA startup = { .cb = sizeof(startup) };
	PROCESS_INFORMATION process;

	snprintf(command, sizeof(command), "\"%s\" child %s %llu %llu %llu", self, mode,
		 (unsigned long long)(ULONG_PTR)device, (unsigned long long)(ULONG_PTR)ready,
		 (unsigned long long)(ULONG_PTR)go);
	if (!CreateProcessA(NULL, command, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &process))
		return NULL;
	CloseHandle(process.hThread);
	return process.hProcess;
}

static int run_child(const char *mode, HANDLE device, HANDLE ready, HANDLE go)
{
	struct shm_allocate alloc;
	MEMORY_BASIC_INFORMATION region;
	DWORD error = allocate(device, 4096, &alloc);

	if (error != 0) {
		printf("child: ALLOCATE failed with %lu\n", error);
		return 1;
	}
	if (strcmp(mode, "exit") == 0) {
		SetEvent(ready);
		return 0;       /* exit with the mapping in place */
	}
	CloseHandle(device);     /* the parent's copy is now the last handle */
	SetEvent(ready);
	WaitForSingleObject(go, 60000);
	/* The parent's close ran CLEANUP: the mapping must be gone from this process. */
	VirtualQuery((void *)(ULONG_PTR)alloc.user_address, &region, sizeof(region));
	return region.State == MEM_FREE ? 0 : 3;
}

static int run_shared(const char *self)
{
	SECURITY_ATTRIBUTES inherit = { .nLength = sizeof(inherit), .bInheritHandle = TRUE };
	struct shm_device_info before, info;
	struct shm_inspect request;
	HANDLE device, ready, go, child, probe;
	DWORD code = 99, error;

	probe = open_device(GENERIC_READ);
	check(probe != INVALID_HANDLE_VALUE && query(probe, &before) == 0, "QUERY before");

	/* 1. The owner exits while another process holds the handle. */
	device = CreateFileW(SHM_WIN_USER_PATH, GENERIC_READ | GENERIC_WRITE,
			     FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
	ready = CreateEventW(&inherit, TRUE, FALSE, NULL);
	go = CreateEventW(&inherit, TRUE, FALSE, NULL);
	child = spawn_child(self, "exit", device, ready, go);
	check(child != NULL, "child started with the inherited handle");
	if (child == NULL)
		return finish("windows-shared-handle");
	WaitForSingleObject(child, 60000);
	GetExitCodeProcess(child, &code);
	CloseHandle(child);
	check(code == 0, "child allocated through the shared handle and exited (exit code %lu)", code);
	check(query(probe, &info) == 0 && info.allocations == before.allocations + 1,
	      "the pages outlive the owner while a handle remains (%u allocations)", info.allocations);
	memset(&request, 0, sizeof(request));
	request.count = SHM_SEED_COUNT;
	error = ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request, sizeof(request), NULL);
	check(error == 0 && request.values[0] == 10 && request.values[9] == 1,
	      "INSPECT through the remaining handle still reads 10 ... 1");
	error = ioctl(device, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
	check(error == 0, "RELEASE from the non-owner after the owner exited (error %lu)", error);
	check(query(probe, &info) == 0 && info.total_bytes == before.total_bytes &&
	      info.allocations == before.allocations, "totals back to before");
	CloseHandle(device);

	/* 2. The last close happens in a process that is not the owner. */
	device = CreateFileW(SHM_WIN_USER_PATH, GENERIC_READ | GENERIC_WRITE,
			     FILE_SHARE_READ | FILE_SHARE_WRITE, &inherit, OPEN_EXISTING, 0, NULL);
	ResetEvent(ready);
	child = spawn_child(self, "wait", device, ready, go);
	check(child != NULL && WaitForSingleObject(ready, 60000) == WAIT_OBJECT_0,
	      "child allocated and closed its own copy of the handle");
	CloseHandle(device);     /* last handle: CLEANUP here, mapping in the child */
	check(query(probe, &info) == 0 && info.total_bytes == before.total_bytes,
	      "closing the last handle in the non-owner freed the pages");
	SetEvent(go);
	if (child != NULL) {
		WaitForSingleObject(child, 60000);
		GetExitCodeProcess(child, &code);
		CloseHandle(child);
		check(code == 0, "the child's mapping was removed from the child (exit code %lu)", code);
	}
	CloseHandle(ready);
	CloseHandle(go);
	CloseHandle(probe);
	return finish("windows-shared-handle");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "abi") == 0)
		return run_abi();
	if (argc >= 2 && strcmp(argv[1], "absent") == 0)
		return run_absent();
	if (argc >= 2 && strcmp(argv[1], "contract") == 0)
		return run_contract();
	if (argc >= 2 && strcmp(argv[1], "query") == 0)
		return run_query();
	if (argc >= 3 && strcmp(argv[1], "allocate") == 0)
		return run_allocate(strtoull(argv[2], NULL, 0));
	if (argc >= 2 && strcmp(argv[1], "lifecycle") == 0)
		return run_lifecycle();
	if (argc >= 2 && strcmp(argv[1], "shared") == 0)
		return run_shared(argv[0]);
	if (argc >= 6 && strcmp(argv[1], "child") == 0)
		return run_child(argv[2], (HANDLE)(ULONG_PTR)strtoull(argv[3], NULL, 10),
				 (HANDLE)(ULONG_PTR)strtoull(argv[4], NULL, 10),
				 (HANDLE)(ULONG_PTR)strtoull(argv[5], NULL, 10));
	fprintf(stderr, "usage: shm-client abi | absent | contract | query | allocate BYTES | lifecycle | shared\n");
	return 2;
}
