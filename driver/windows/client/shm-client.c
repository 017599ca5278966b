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
 *   shm-client lifecycle    ALLOCATE, values, INSPECT, ReadFile, RELEASE, cap, close,
 *                           8 threads on an overlapped handle, ALLOCATE racing close
 *                           (needs a memory manager: Windows, or Wine with the
 *                           project's ntoskrnl)
 *   shm-client shared       a handle shared with a child process: the owner exits
 *                           first, or the last close is not the owner's (likewise)
 *
 * Each check prints "ok" or "FAIL" and a line; the last line is
 * "<suite>: N passed, N failed, N skipped".
 */
#include <stddef.h>
#include <stdlib.h>
#include "shm-win32-checks.h"

/*
 * A handle the I/O manager does not serialise: requests from several threads
 * reach the driver at the same time, so its own locking is what is tested.
 */
static HANDLE open_overlapped(void)
{
	return CreateFileW(SHM_WIN_USER_PATH, GENERIC_READ | GENERIC_WRITE,
			   FILE_SHARE_READ | FILE_SHARE_WRITE, NULL, OPEN_EXISTING,
			   FILE_FLAG_OVERLAPPED, NULL);
}

/* The same on an overlapped handle: each caller brings its own event. */
static DWORD ioctl_overlapped(HANDLE device, HANDLE event, DWORD code, void *in, DWORD in_size,
			      void *out, DWORD out_size)
{
	OVERLAPPED at = { .hEvent = event };
	DWORD bytes = 0;

	if (DeviceIoControl(device, code, in, in_size, out, out_size, NULL, &at))
		return 0;
	if (GetLastError() != ERROR_IO_PENDING)
		return GetLastError();
	return GetOverlappedResult(device, &at, &bytes, TRUE) ? 0 : GetLastError();
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

/*
 * Many threads on one overlapped handle, each with its own OVERLAPPED and
 * event: every answer must still be the contract's. Without ALLOCATE the
 * handle stays empty, so the answers are fixed; with it, each thread
 * allocates, inspects and releases, racing the others, and may see any state.
 */
#define THREADS 8
#define ROUNDS 200
static HANDLE g_shared;
static BOOL g_hammer_allocates;
static volatile LONG g_thread_failures;

static BOOL hammer_round(HANDLE event)
{
	struct shm_device_info info;
	struct shm_allocate alloc = { .size = 4096 };
	struct shm_inspect request = { .count = 1 };
	DWORD error;

	memset(&info, 0xA5, sizeof(info));
	if (ioctl_overlapped(g_shared, event, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info)) != 0 ||
	    info.abi_version != SHM_ABI_VERSION)
		return FALSE;
	request.reserved = 1;
	if (ioctl_overlapped(g_shared, event, SHM_IOCTL_INSPECT, &request, sizeof(request),
			     &request, sizeof(request)) != ERROR_INVALID_PARAMETER)
		return FALSE;
	request.reserved = 0;
	if (!g_hammer_allocates)
		return ioctl_overlapped(g_shared, event, SHM_IOCTL_INSPECT, &request, sizeof(request),
					&request, sizeof(request)) == ERROR_BAD_COMMAND &&
		       ioctl_overlapped(g_shared, event, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0) ==
			       ERROR_BAD_COMMAND;

	error = ioctl_overlapped(g_shared, event, SHM_IOCTL_ALLOCATE, &alloc, sizeof(alloc), &alloc,
				 sizeof(alloc));
	if (error != 0 && error != ERROR_BUSY)
		return FALSE;
	if (error == 0 && (alloc.user_address == 0 || alloc.mapped_size != 4096))
		return FALSE;
	/* Another thread may release at any moment: read through INSPECT, never the mapping. */
	error = ioctl_overlapped(g_shared, event, SHM_IOCTL_INSPECT, &request, sizeof(request),
				 &request, sizeof(request));
	if (!(error == 0 && request.values[0] == SHM_SEED_COUNT) && error != ERROR_BAD_COMMAND)
		return FALSE;
	error = ioctl_overlapped(g_shared, event, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0);
	return error == 0 || error == ERROR_BAD_COMMAND;
}

static DWORD WINAPI hammer(void *unused)
{
	HANDLE event = CreateEventW(NULL, TRUE, FALSE, NULL);
	int i;

	(void)unused;
	for (i = 0; i < ROUNDS; i++) {
		if (event == NULL || !hammer_round(event))
			InterlockedIncrement(&g_thread_failures);
	}
	if (event != NULL)
		CloseHandle(event);
	return 0;
}

/* Runs hammer() on THREADS threads against one new overlapped handle. */
static BOOL run_hammer(BOOL allocates)
{
	HANDLE threads[THREADS];
	int i, started = 0;

	g_shared = open_overlapped();
	if (g_shared == INVALID_HANDLE_VALUE)
		return FALSE;
	g_hammer_allocates = allocates;
	g_thread_failures = 0;
	for (i = 0; i < THREADS; i++) {
		threads[started] = CreateThread(NULL, 0, hammer, NULL, 0, NULL);
		if (threads[started] != NULL)
			started++;
	}
	WaitForMultipleObjects(started, threads, TRUE, 120000);
	for (i = 0; i < started; i++)
		CloseHandle(threads[i]);
	CloseHandle(g_shared);
	return started == THREADS;
}

static int run_contract(void)
{
	struct shm_device_info info;
	struct shm_allocate alloc;
	struct shm_inspect request;
	HANDLE device, readonly, handles[64];
	DWORD error, returned = 0, read;
	BYTE buffer[64];
	int i, opened;
	BOOL ok;

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
	check(info.total_bytes == 0 && info.allocations == 0 &&
	      info.features == SHM_FEATURE_STREAM,
	      "QUERY: zero totals (%llu bytes, %u allocations), features 0x%x (streaming)",
	      (unsigned long long)info.total_bytes, info.allocations, info.features);

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
	memset(&request, 0, sizeof(request));
	request.count = 1;
	request.reserved = 1;
	error = ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request,
		      sizeof(request), NULL);
	check(error == ERROR_INVALID_PARAMETER, "INSPECT reserved 1, nothing allocated: 87 (got %lu)",
	      error);

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

	/* Many threads on one overlapped handle (run first: the message reads its count). */
	ok = run_hammer(FALSE);
	check(ok && g_thread_failures == 0,
	      "%d threads x %d rounds of QUERY/INSPECT/RELEASE on one overlapped handle "
	      "(%ld wrong answers)", THREADS, ROUNDS, g_thread_failures);
	check(totals_are_zero(device), "the threads changed nothing: totals still zero");

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

/*
 * An ALLOCATE racing the last CloseHandle of its overlapped handle, from
 * another thread. Whichever comes first, nothing may stay allocated: the
 * ALLOCATE succeeds before CLEANUP (which then frees it), or reaches the
 * driver after CLEANUP and is refused (22), or finds the handle already
 * closed (6). Under Wine, which sends no CLEANUP, CLOSE frees it.
 */
struct close_race {
	HANDLE device;
	HANDLE go;
	HANDLE event;
	DWORD error;
};

static DWORD WINAPI allocate_racing_close(void *arg)
{
	struct close_race *race = arg;
	struct shm_allocate alloc = { .size = 4096 };

	WaitForSingleObject(race->go, 60000);
	race->error = ioctl_overlapped(race->device, race->event, SHM_IOCTL_ALLOCATE, &alloc,
				       sizeof(alloc), &alloc, sizeof(alloc));
	return 0;
}

#define CLOSE_RACES 50

/* Counts the outcomes in seen[0] (allocated), [1] (22), [2] (6 or 5); FALSE on any other. */
static BOOL race_allocate_with_close(int seen[3], DWORD *unexpected)
{
	struct close_race race;
	HANDLE thread;
	int i;

	for (i = 0; i < CLOSE_RACES; i++) {
		race.device = open_overlapped();
		race.go = CreateEventW(NULL, TRUE, FALSE, NULL);
		/* Made before the race: no handle value is freed and reused during it. */
		race.event = CreateEventW(NULL, TRUE, FALSE, NULL);
		race.error = ~0ul;
		thread = CreateThread(NULL, 0, allocate_racing_close, &race, 0, NULL);
		if (race.device == INVALID_HANDLE_VALUE || race.go == NULL || race.event == NULL ||
		    thread == NULL)
			return FALSE;
		SetEvent(race.go);
		if (i % 2)
			SwitchToThread();
		CloseHandle(race.device);
		WaitForSingleObject(thread, 60000);
		CloseHandle(thread);
		CloseHandle(race.go);
		CloseHandle(race.event);
		if (race.error == 0)
			seen[0]++;
		else if (race.error == ERROR_BAD_COMMAND)
			seen[1]++;
		/*
		 * The ALLOCATE came after the close: the value names no handle (6),
		 * or names one the system has made since, for which it was refused
		 * its access bits (5; Wine makes handles of its own in the process).
		 */
		else if (race.error == ERROR_INVALID_HANDLE || race.error == ERROR_ACCESS_DENIED)
			seen[2]++;
		else {
			*unexpected = race.error;
			return FALSE;
		}
	}
	return TRUE;
}

/* The whole life of an allocation; needs a kernel with a memory manager (Windows, or Wine with one). */
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
	BOOL seeded = TRUE, ok;

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
	memset(&request, 0, sizeof(request));
	request.count = 1;
	request.reserved = 0x80000000u;
	error = ioctl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request, sizeof(request), NULL);
	check(error == ERROR_INVALID_PARAMETER, "INSPECT with reserved set: 87 (got %lu)", error);
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

	/* Many threads allocating and releasing on one overlapped handle. */
	ok = run_hammer(TRUE);
	check(ok && g_thread_failures == 0,
	      "%d threads x %d rounds of ALLOCATE/INSPECT/RELEASE on one overlapped handle "
	      "(%ld wrong answers)", THREADS, ROUNDS, g_thread_failures);
	check(query(other, &info) == 0 && info.total_bytes == before.total_bytes &&
	      info.allocations == before.allocations, "totals back to before after the threads");

	/* An ALLOCATE that may come after CLEANUP. */
	{
		int seen[3] = { 0, 0, 0 };
		DWORD unexpected = 0;

		ok = race_allocate_with_close(seen, &unexpected);
		if (!ok)
			printf("     a racing ALLOCATE got error %lu, which none of these allows\n", unexpected);
		check(ok,
		      "%d ALLOCATEs racing CloseHandle: each allocated (%d), refused after CLEANUP "
		      "with 22 (%d) or found the handle closed (%d: 6, or 5 for a reused value)", CLOSE_RACES, seen[0], seen[1],
		      seen[2]);
		check(query(other, &info) == 0 && info.total_bytes == before.total_bytes &&
		      info.allocations == before.allocations, "totals back to before after the races");
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
	error = query(probe, &info);
	check(error == 0 && info.allocations == before.allocations + 1,
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
