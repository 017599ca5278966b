/* SPDX-License-Identifier: MIT */
/*
 * fuzz.c - a bounded random exerciser for \\.\SharedMemory (Windows).
 *
 *   fuzz [--threads N] [--seconds S] [--iterations N] [--seed N]
 *        [--holders own|shared|both|none] [--no-allocate] [--early-kills]
 *
 * Several threads share a small table of device handles (synchronous and
 * overlapped, read/write, read-only, write-only) and do random things to
 * them: every IOCTL with valid and invalid sizes, NULL, short and read-only
 * buffers, random control codes, ReadFile at random offsets and lengths,
 * DuplicateHandle, closing and reopening, writes into the mapping an
 * ALLOCATE returned (seen again through INSPECT and ReadFile), and child
 * processes: this program in "holder" mode, which allocates through its own
 * handle or one duplicated from the parent, checks 10, 9, ..., 1 and zeros,
 * writes, and is killed with TerminateProcess while it holds the mapping;
 * streams (contract section 5) started and stopped at rates around the
 * limits with every kind of event handle, consumed with ReadFile, and their
 * rings scribbled on while the producer runs (tail, head, dropped, state,
 * the header).
 *
 * Every result must be one the contract allows for that call (the contract,
 * section 3, with the Win32 error each status becomes). At the end every
 * handle is closed and QUERY's totals must be back where they started.
 * Stops after --iterations per thread or --seconds, whichever comes first.
 * --no-allocate leaves ALLOCATE and holders out, for a kernel without a
 * memory manager (stock Wine). A holder is sometimes killed before it is
 * ready, possibly inside its ALLOCATE; under Wine only with --early-kills
 * (Wine waits without end for a view mapped into a process killed meanwhile,
 * which the project's memory manager for Wine guards against; the
 * windows-wine stage passes it). The last line is
 * "windows-fuzz: N passed, N failed, 0 skipped".
 */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#include <winioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sharedmemory_ioctl.h"

#define PAGE 4096u
#define SLOTS 6
#define SCRATCH (4 * PAGE)
#define MAX_THREADS 32
#define MAX_REPORTS 40

/* ------------------------------------------------------------------------ */
/* Results                                                                   */
/* ------------------------------------------------------------------------ */

static volatile LONG g_unexpected;
static volatile LONG g_mappings_checked;
static volatile LONG g_mapping_failures;
static volatile LONG g_writes_checked;
static volatile LONG g_write_failures;
static volatile LONG g_holders_held;
static volatile LONG g_holders_early;
static volatile LONG g_holders_refused;
static volatile LONG g_holder_failures;
static volatile LONG g_streams_started;
static volatile LONG g_scribbles;
static volatile LONG64 g_iterations;
static volatile LONG g_stop;

static void report(volatile LONG *counter, const char *format, ...)
{
	va_list args;

	if (InterlockedIncrement(counter) > MAX_REPORTS)
		return;
	va_start(args, format);
	fprintf(stderr, "windows-fuzz: unexpected: ");
	vfprintf(stderr, format, args);
	fprintf(stderr, "\n");
	va_end(args);
}

/* Win32 errors the contract's statuses become. */
enum {
	WIN32_OK = 0,
	WIN32_FUNCTION = ERROR_INVALID_FUNCTION,     /* 1: STATUS_INVALID_DEVICE_REQUEST */
	WIN32_ACCESS = ERROR_ACCESS_DENIED,          /* 5: the control code's access bits */
	WIN32_STATE = ERROR_BAD_COMMAND,             /* 22: STATUS_INVALID_DEVICE_STATE */
	WIN32_EOF = ERROR_HANDLE_EOF,                /* 38: STATUS_END_OF_FILE */
	WIN32_PARAMETER = ERROR_INVALID_PARAMETER,   /* 87 */
	WIN32_SMALL = ERROR_INSUFFICIENT_BUFFER,     /* 122: STATUS_BUFFER_TOO_SMALL */
	WIN32_BUSY = ERROR_BUSY,                     /* 170: STATUS_DEVICE_BUSY */
	WIN32_NOACCESS = ERROR_NOACCESS,             /* 998: a buffer the I/O manager cannot touch */
	WIN32_RESOURCES = ERROR_NO_SYSTEM_RESOURCES, /* 1450: the cap, or no memory */
	WIN32_USER_BUFFER = ERROR_INVALID_USER_BUFFER, /* 1784 */
	WIN32_HANDLE = ERROR_INVALID_HANDLE,         /* 6: an event handle that is none, or no event */
	WIN32_DEVICE = ERROR_IO_DEVICE,              /* 1117: ReadFile on a faulted stream */
};

/* True when error is one of the allowed ones (the list ends with -1). */
static BOOL allowed(DWORD error, const int *list)
{
	for (; *list != -1; list++)
		if (error == (DWORD)*list)
			return TRUE;
	return FALSE;
}

/* Checks one call's error against its allowed set; names the call when it is not. */
#define EXPECT(error, what, ...) \
	do { \
		static const int expect_list_[] = { __VA_ARGS__, -1 }; \
		if (!allowed((error), expect_list_)) \
			report(&g_unexpected, "%s -> %lu", (what), (unsigned long)(error)); \
	} while (0)

/* ------------------------------------------------------------------------ */
/* Handles                                                                   */
/* ------------------------------------------------------------------------ */

/*
 * One slot: a handle and what the fuzzer knows about it. Calls take the
 * lock shared; RELEASE, reopening and anything else that can free the
 * mapping take it exclusive, so a thread writing into the mapping never has
 * it unmapped under it.
 */
static struct slot {
	SRWLOCK lock;
	HANDLE handle;
	DWORD access;        /* GENERIC_READ and/or GENERIC_WRITE */
	BOOL overlapped;
	USHORT *mapping;     /* set by the ALLOCATE that made it, after checking it */
	ULONG64 mapped;      /* its size */
	BOOL streaming;      /* a stream exists on the allocation: set and cleared under the
				exclusive lock (STREAM_START, RELEASE, reopen) */
} g_slots[SLOTS];

static BOOL g_no_allocate;
static ULONG64 g_max_size;
static int g_threads = 4;
static enum { HOLDERS_BOTH, HOLDERS_OWN, HOLDERS_SHARED, HOLDERS_NONE } g_holders = HOLDERS_BOTH;
static char g_self[MAX_PATH];

static HANDLE open_device(DWORD access, BOOL overlapped)
{
	return CreateFileW(SHM_WIN_USER_PATH, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			   OPEN_EXISTING, overlapped ? FILE_FLAG_OVERLAPPED : FILE_ATTRIBUTE_NORMAL,
			   NULL);
}

static BOOL can_read(const struct slot *slot)
{
	return (slot->access & GENERIC_READ) != 0;
}

static BOOL can_write(const struct slot *slot)
{
	return (slot->access & GENERIC_WRITE) != 0;
}

/*
 * DeviceIoControl on either kind of handle; 0 or the Win32 error. An
 * overlapped handle gets the thread's own OVERLAPPED event and, should the
 * call pend, GetOverlappedResult.
 */
static DWORD device_ioctl(const struct slot *slot, HANDLE event, DWORD code, void *in,
			  DWORD in_size, void *out, DWORD out_size, DWORD *returned)
{
	OVERLAPPED at = { .hEvent = event };
	DWORD bytes = 0;
	BOOL ok;

	ok = DeviceIoControl(slot->handle, code, in, in_size, out, out_size, &bytes,
			     slot->overlapped ? &at : NULL);
	if (!ok && slot->overlapped && GetLastError() == ERROR_IO_PENDING)
		ok = GetOverlappedResult(slot->handle, &at, &bytes, TRUE);
	if (returned)
		*returned = bytes;
	return ok ? 0 : GetLastError();
}

/* ReadFile at an offset, on either kind of handle. */
static DWORD device_read(const struct slot *slot, HANDLE event, ULONG64 offset, void *into,
			 DWORD length, DWORD *read)
{
	OVERLAPPED at = { .hEvent = event };
	BOOL ok;

	at.Offset = (DWORD)offset;
	at.OffsetHigh = (DWORD)(offset >> 32);
	*read = 0;
	ok = ReadFile(slot->handle, into, length, read, &at);
	if (!ok && slot->overlapped && GetLastError() == ERROR_IO_PENDING)
		ok = GetOverlappedResult(slot->handle, &at, read, TRUE);
	return ok ? 0 : GetLastError();
}

/* ------------------------------------------------------------------------ */
/* Per-thread state and random numbers                                       */
/* ------------------------------------------------------------------------ */

struct worker {
	int index;
	ULONG64 seed;
	LONG64 iterations;
	HANDLE event;          /* for OVERLAPPED calls */
	HANDLE stream_event;   /* for STREAM_START (never the OVERLAPPED one) */
	HANDLE weak_event;     /* the same event opened SYNCHRONIZE only */
	BYTE *scratch;         /* SCRATCH bytes, then a PAGE_NOACCESS guard page */
	BYTE *readonly;        /* one PAGE_READONLY page */
};

static ULONG64 rnd(ULONG64 *s)
{
	/* xorshift64*: reproducible from --seed, one state per thread. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* Running under Wine (its ntdll exports wine_get_version). */
static BOOL g_wine;
/* Holders may be killed before they are ready (see the top of the file). */
static BOOL g_early_kills;
static BOOL g_early_kills_asked;

/*
 * A buffer for a call: usually the scratch buffer, sometimes NULL, one that
 * runs into the guard page before its stated size, or a read-only page.
 * *bad says whether the I/O manager may refuse it (998 or 1784), and may do
 * so before it checks the handle's access (Wine does).
 */
static void *random_buffer(struct worker *w, ULONG64 *s, DWORD size, BOOL input, BOOL *bad)
{
	ULONG64 pick = rnd(s) % 16;

	/*
	 * Wine 8's ntdll sends an input buffer to the wineserver as it is, and
	 * one it cannot read (NULL with a size, or running into an unreadable
	 * page) leaves the call hanging or the next answers garbled: under Wine
	 * such an input is a read-only page instead.
	 */
	if (input && g_wine && pick < 2)
		pick = 2;
	*bad = TRUE;
	switch (pick) {
	case 0:
		return NULL;
	case 1:
		return size > 1 ? w->scratch + SCRATCH - size / 2 : w->scratch;
	case 2:
		return w->readonly;
	default:
		*bad = FALSE;
		return w->scratch + (rnd(s) % 8) * 8;
	}
}

/*
 * Sends a request built in *request (size bytes) with the given buffer
 * lengths, in and out through one buffer as METHOD_BUFFERED allows: usually
 * the scratch buffer (room for the longer lengths too), one time in eight a
 * random bad one (*bad). The answer is copied back into *request.
 */
static DWORD send_request(struct worker *w, ULONG64 *s, const struct slot *slot, DWORD code,
			  void *request, DWORD size, DWORD in_size, DWORD out_size, BOOL *bad)
{
	BYTE *buffer = w->scratch;
	DWORD error;

	*bad = FALSE;
	if (rnd(s) % 8 == 0)
		buffer = random_buffer(w, s, in_size, TRUE, bad);
	if (!*bad)
		memcpy(buffer, request, size);
	error = device_ioctl(slot, w->event, code, buffer, in_size, buffer, out_size, NULL);
	if (!*bad)
		memcpy(request, buffer, size);
	return error;
}

/* Sizes around the real one: 0, one short, exact, one long, larger. */
static DWORD random_size(ULONG64 *s, DWORD exact)
{
	switch (rnd(s) % 8) {
	case 0: return 0;
	case 1: return exact - 1;
	case 2: return (DWORD)(rnd(s) % exact);
	case 3: return exact + 1 + (DWORD)(rnd(s) % 64);
	default: return exact;
	}
}

/* ------------------------------------------------------------------------ */
/* The mapping                                                               */
/* ------------------------------------------------------------------------ */

/* 10, 9, ..., 1 and then zeros, to the end of the mapping. */
static BOOL fresh_mapping(const USHORT *values, ULONG64 bytes)
{
	ULONG64 i;

	for (i = 0; i < SHM_SEED_COUNT; i++)
		if (values[i] != SHM_SEED_COUNT - i)
			return FALSE;
	for (i = SHM_SEED_COUNT; i < bytes / 2; i++)
		if (values[i] != 0)
			return FALSE;
	return TRUE;
}

/*
 * Writes a value into the slot's mapping, at a u16 only this thread writes,
 * and reads it back through the driver: INSPECT and ReadFile must show it.
 * Shared lock held.
 */
static void op_touch(struct worker *w, ULONG64 *s, struct slot *slot)
{
	struct shm_inspect request;
	ULONG64 per_thread, index;
	USHORT value = (USHORT)rnd(s), copy = 0;
	DWORD error, read;

	/* While a stream exists the producer writes there: op_scribble's turn. */
	if (slot->mapping == NULL || slot->streaming)
		return;
	/* u16 number SHM_SEED_COUNT + k * threads + thread index belongs to this thread. */
	per_thread = (slot->mapped / 2 - SHM_SEED_COUNT) / (ULONG64)g_threads;
	if (per_thread == 0)
		return;
	index = SHM_SEED_COUNT + (rnd(s) % per_thread) * (ULONG64)g_threads + (ULONG64)w->index;
	slot->mapping[index] = value;

	InterlockedIncrement(&g_writes_checked);
	if (can_read(slot)) {
		memset(&request, 0, sizeof(request));
		request.offset = index * 2;
		request.count = 1;
		error = device_ioctl(slot, w->event, SHM_IOCTL_INSPECT, &request, sizeof(request),
				     &request, sizeof(request), NULL);
		if (error != 0 || request.values[0] != value)
			report(&g_write_failures, "INSPECT at %llu: error %lu, 0x%04x, wrote 0x%04x",
			       (unsigned long long)index * 2, (unsigned long)error, request.values[0], value);
		error = device_read(slot, w->event, index * 2, &copy, sizeof(copy), &read);
		if (error != 0 || read != sizeof(copy) || copy != value)
			report(&g_write_failures, "ReadFile at %llu: error %lu, %lu bytes, 0x%04x, wrote 0x%04x",
			       (unsigned long long)index * 2, (unsigned long)error, (unsigned long)read,
			       copy, value);
	}
}

/* ------------------------------------------------------------------------ */
/* The calls                                                                 */
/* ------------------------------------------------------------------------ */

/* QUERY with random output sizes and buffers. */
static void op_query(struct worker *w, ULONG64 *s, struct slot *slot)
{
	DWORD size = random_size(s, sizeof(struct shm_device_info)), returned = 0, error;
	BOOL bad;
	struct shm_device_info *info = random_buffer(w, s, size, FALSE, &bad);

	error = device_ioctl(slot, w->event, SHM_IOCTL_QUERY, NULL, 0, info, size, &returned);
	if (bad) {
		EXPECT(error, "QUERY into a bad buffer", WIN32_OK, WIN32_SMALL, WIN32_NOACCESS, WIN32_USER_BUFFER);
		return;
	}
	if (size < sizeof(*info)) {
		EXPECT(error, "QUERY, short output", WIN32_SMALL);
		return;
	}
	EXPECT(error, "QUERY", WIN32_OK);
	if (error == 0 && (returned != sizeof(*info) || info->abi_version != SHM_ABI_VERSION ||
			   info->page_size != PAGE || info->max_size != g_max_size))
		report(&g_unexpected, "QUERY answered %lu bytes: abi %u, page %llu, max %llu",
		       (unsigned long)returned, info->abi_version, (unsigned long long)info->page_size,
		       (unsigned long long)info->max_size);
}

/* ALLOCATE with sizes around the limits, random buffers; checks a new mapping. */
static void op_allocate(struct worker *w, ULONG64 *s, struct slot *slot)
{
	static const ULONG64 sizes[] = { 0, 1, PAGE, 3 * PAGE + 1, 64 * 1024,
					 SHM_DEFAULT_MAX_SIZE + 1, ~0ull };
	struct shm_allocate request = { 0 };
	DWORD in_size = random_size(s, sizeof(request)), out_size = random_size(s, sizeof(request));
	DWORD error;
	BOOL bad;

	request.size = rnd(s) % 3 ? sizes[rnd(s) % 7] : 1 + rnd(s) % (512 * 1024);
	if (rnd(s) % 100 == 0)
		request.size = g_max_size;
	error = send_request(w, s, slot, SHM_IOCTL_ALLOCATE, &request, sizeof(request), in_size,
			     out_size, &bad);
	if (bad) {
		EXPECT(error, "ALLOCATE from a bad buffer", WIN32_OK, WIN32_ACCESS, WIN32_SMALL,
		       WIN32_PARAMETER, WIN32_BUSY, WIN32_RESOURCES, WIN32_NOACCESS, WIN32_USER_BUFFER);
		return;
	}
	if (!can_read(slot) || !can_write(slot)) {
		EXPECT(error, "ALLOCATE on a handle without read and write access", WIN32_ACCESS);
		return;
	}
	if (in_size < sizeof(request) || out_size < sizeof(request)) {
		EXPECT(error, "ALLOCATE, short buffers", WIN32_SMALL);
		return;
	}
	if (request.size == 0 || request.size > g_max_size) {
		EXPECT(error, "ALLOCATE of a size out of range", WIN32_PARAMETER);
		return;
	}
	EXPECT(error, "ALLOCATE", WIN32_OK, WIN32_BUSY, WIN32_RESOURCES);
	if (error != 0)
		return;
	if (request.mapped_size != ((request.size + PAGE - 1) & ~(ULONG64)(PAGE - 1)) ||
	    request.user_address == 0 || request.user_address % PAGE != 0) {
		report(&g_mapping_failures, "ALLOCATE %llu: address 0x%llx, %llu bytes mapped",
		       (unsigned long long)request.size, (unsigned long long)request.user_address,
		       (unsigned long long)request.mapped_size);
		return;
	}
	/* Checked before anyone else can see it, so no one has written yet. */
	InterlockedIncrement(&g_mappings_checked);
	if (!fresh_mapping((const USHORT *)(ULONG_PTR)request.user_address, request.mapped_size))
		report(&g_mapping_failures, "a new %llu-byte mapping does not hold 10..1 and zeros",
		       (unsigned long long)request.mapped_size);
	/* Several threads may allocate on this slot at once; one succeeds. */
	slot->mapped = request.mapped_size;
	InterlockedExchangePointer((PVOID *)&slot->mapping, (PVOID)(ULONG_PTR)request.user_address);
}

/* INSPECT with random offsets, counts, reserved, sizes and buffers. */
static void op_inspect(struct worker *w, ULONG64 *s, struct slot *slot)
{
	struct shm_inspect request;
	DWORD in_size = random_size(s, sizeof(request)), out_size = random_size(s, sizeof(request));
	DWORD error;
	BOOL bad, bad_parameters;

	memset(&request, 0, sizeof(request));
	request.offset = rnd(s) % 3 ? rnd(s) % 4096 : rnd(s);
	request.count = (UINT32)(rnd(s) % 70);
	request.reserved = rnd(s) % 8 == 0 ? (UINT32)rnd(s) | 1 : 0;
	bad_parameters = request.count == 0 || request.count > SHM_INSPECT_MAX ||
			 (request.offset & 1) != 0 || request.reserved != 0;
	error = send_request(w, s, slot, SHM_IOCTL_INSPECT, &request, sizeof(request), in_size,
			     out_size, &bad);
	if (bad)
		EXPECT(error, "INSPECT from a bad buffer", WIN32_OK, WIN32_ACCESS, WIN32_SMALL,
		       WIN32_PARAMETER, WIN32_STATE, WIN32_NOACCESS, WIN32_USER_BUFFER);
	else if (!can_read(slot))
		EXPECT(error, "INSPECT on a handle without read access", WIN32_ACCESS);
	else if (in_size < sizeof(request) || out_size < sizeof(request))
		EXPECT(error, "INSPECT, short buffers", WIN32_SMALL);
	else if (bad_parameters)
		EXPECT(error, "INSPECT, bad count, odd offset or reserved set", WIN32_PARAMETER);
	else
		EXPECT(error, "INSPECT", WIN32_OK, WIN32_STATE, WIN32_PARAMETER);
}

/* RELEASE, with random (ignored) buffers. Exclusive lock held. */
static void op_release(struct worker *w, ULONG64 *s, struct slot *slot)
{
	BYTE *buffer = rnd(s) % 4 ? NULL : w->scratch;
	DWORD error = device_ioctl(slot, w->event, SHM_IOCTL_RELEASE, buffer,
				   buffer ? (DWORD)(rnd(s) % 64) : 0, buffer,
				   buffer ? (DWORD)(rnd(s) % 64) : 0, NULL);

	if (!can_read(slot) || !can_write(slot))
		EXPECT(error, "RELEASE on a handle without read and write access", WIN32_ACCESS);
	else if (g_no_allocate)
		EXPECT(error, "RELEASE, nothing ever allocated", WIN32_STATE);
	else
		EXPECT(error, "RELEASE", WIN32_OK, WIN32_STATE);
	if (error == 0) {
		slot->mapping = NULL;
		slot->mapped = 0;
		slot->streaming = FALSE;
	}
}

/* A control code this driver does not have: random, or beside its own. */
static void op_unknown_ioctl(struct worker *w, ULONG64 *s, struct slot *slot)
{
	DWORD code, in_size = (DWORD)(rnd(s) % 300), out_size = (DWORD)(rnd(s) % 300), error;
	BOOL bad_in, bad_out;
	void *in, *out;

	/*
	 * This device's type, any function, method and access bits. (Codes of
	 * other device types are not all sent to the driver: Wine's ntdll
	 * answers some itself, and some of those never return.)
	 */
	do {
		code = CTL_CODE(SHM_WIN_DEVICE_TYPE, rnd(s) % 2 ? 0x800 + rnd(s) % 16 : rnd(s) % 0x1000,
				rnd(s) % 4, rnd(s) % 4);
	} while (code == (DWORD)SHM_IOCTL_QUERY || code == (DWORD)SHM_IOCTL_ALLOCATE ||
		 code == (DWORD)SHM_IOCTL_RELEASE || code == (DWORD)SHM_IOCTL_INSPECT ||
		 code == (DWORD)SHM_IOCTL_STREAM_START || code == (DWORD)SHM_IOCTL_STREAM_STOP);
	in = random_buffer(w, s, in_size, TRUE, &bad_in);
	out = random_buffer(w, s, out_size, FALSE, &bad_out);
	error = device_ioctl(slot, w->event, code, in, in_size, out, out_size, NULL);
	/* The I/O manager checks the access bits and buffers first; the driver says 1. */
	EXPECT(error, "an unknown control code", WIN32_FUNCTION, WIN32_ACCESS, WIN32_NOACCESS, WIN32_USER_BUFFER,
	       WIN32_PARAMETER);
}

/* ReadFile at random offsets and lengths, into random buffers. */
static void op_read(struct worker *w, ULONG64 *s, struct slot *slot)
{
	DWORD length = (DWORD)(rnd(s) % (2 * PAGE)), read = 0, error;
	ULONG64 offset = rnd(s) % 4 ? rnd(s) % (600 * 1024) : rnd(s) >> 2;
	BOOL bad;
	void *into = random_buffer(w, s, length, FALSE, &bad);

	if (length > SCRATCH)
		length = SCRATCH;
	error = device_read(slot, w->event, offset, into, length, &read);
	if (bad)
		EXPECT(error, "ReadFile into a bad buffer", WIN32_OK, WIN32_ACCESS, WIN32_STATE, WIN32_EOF,
		       WIN32_PARAMETER, WIN32_NOACCESS, WIN32_USER_BUFFER);
	else if (!can_read(slot))
		EXPECT(error, "ReadFile on a handle without read access", WIN32_ACCESS);
	else if (slot->streaming && length < sizeof(struct shm_record))
		EXPECT(error, "ReadFile of a stream, below one record", WIN32_PARAMETER);
	else if (slot->streaming)
		EXPECT(error, "ReadFile of a stream", WIN32_OK, WIN32_DEVICE);
	else
		EXPECT(error, "ReadFile", WIN32_OK, WIN32_STATE, WIN32_EOF);
	if (error == 0 && slot->streaming && read % sizeof(struct shm_record) != 0)
		report(&g_unexpected, "ReadFile of a stream returned %lu bytes, not whole records",
		       (unsigned long)read);
	if (error == 0 && read > length)
		report(&g_unexpected, "ReadFile of %lu bytes returned %lu", (unsigned long)length,
		       (unsigned long)read);
}

/*
 * STREAM_START with rates and batches around the limits, every kind of event
 * handle, random sizes and buffers. Exclusive lock held (it sets streaming).
 */
static void op_stream_start(struct worker *w, ULONG64 *s, struct slot *slot)
{
	static const UINT32 rates[] = { 0, 1, 1000, 20000, 100000, SHM_STREAM_MAX_RATE,
					SHM_STREAM_MAX_RATE + 1 };
	static const UINT32 batches[] = { 0, 1, 10, 100, SHM_STREAM_MAX_BATCH,
					  SHM_STREAM_MAX_BATCH + 1 };
	struct shm_stream_start request = { 0 };
	DWORD in_size = random_size(s, sizeof(request)), out_size = random_size(s, sizeof(request));
	DWORD error;
	BOOL bad, bad_parameters, bad_event;
	int event_kind = (int)(rnd(s) % 6);

	if (rnd(s) % 2) {
		/* A good request half the time, so streams run long enough to scribble on. */
		request.rate_hz = 100 + (UINT32)(rnd(s) % 200000);
		request.batch = request.rate_hz / 100 + 1;
		event_kind = (int)(rnd(s) % 3);
	} else {
		request.rate_hz = rnd(s) % 2 ? rates[rnd(s) % 7] : 1 + (UINT32)(rnd(s) % 50000);
		request.batch = rnd(s) % 2 ? batches[rnd(s) % 6] : 1 + (UINT32)(rnd(s) % 200);
	}
	/* 0, the worker's event, the event without EVENT_MODIFY_STATE, no handle, a file. */
	request.event_handle = event_kind <= 1 ? 0 :
			       event_kind == 2 ? (UINT64)(ULONG_PTR)w->stream_event :
			       event_kind == 3 ? (UINT64)(ULONG_PTR)w->weak_event :
			       event_kind == 4 ? 0x7ff0 + 4 * (rnd(s) % 4) :
			       (UINT64)(ULONG_PTR)slot->handle;
	bad_parameters = request.rate_hz == 0 || request.rate_hz > SHM_STREAM_MAX_RATE ||
			 request.batch == 0 || request.batch > request.rate_hz ||
			 request.batch > SHM_STREAM_MAX_BATCH ||
			 request.rate_hz > (ULONG64)request.batch * SHM_STREAM_MAX_TICK_HZ;
	bad_event = event_kind >= 3;
	error = send_request(w, s, slot, SHM_IOCTL_STREAM_START, &request, sizeof(request), in_size,
			     out_size, &bad);
	if (bad)
		EXPECT(error, "STREAM_START from a bad buffer", WIN32_OK, WIN32_ACCESS, WIN32_SMALL,
		       WIN32_PARAMETER, WIN32_HANDLE, WIN32_STATE, WIN32_BUSY, WIN32_NOACCESS,
		       WIN32_USER_BUFFER);
	else if (!can_read(slot) || !can_write(slot))
		EXPECT(error, "STREAM_START on a handle without read and write access", WIN32_ACCESS);
	else if (in_size < sizeof(request) || out_size < sizeof(request))
		EXPECT(error, "STREAM_START, short buffers", WIN32_SMALL);
	else if (bad_parameters)
		EXPECT(error, "STREAM_START, rate or batch out of range", WIN32_PARAMETER);
	else if (event_kind == 3)
		EXPECT(error, "STREAM_START, an event without EVENT_MODIFY_STATE", WIN32_ACCESS);
	else if (bad_event)
		EXPECT(error, "STREAM_START, an event handle that is no event", WIN32_HANDLE);
	else
		EXPECT(error, "STREAM_START", WIN32_OK, WIN32_STATE, WIN32_BUSY, WIN32_PARAMETER);
	if (error == 0 && !bad) {
		if (request.capacity == 0 || (request.capacity & (request.capacity - 1)) != 0 ||
		    request.record_size != sizeof(struct shm_record) || request.data_offset != PAGE)
			report(&g_unexpected, "STREAM_START answered capacity %u, record %u, offset %llu",
			       request.capacity, request.record_size,
			       (unsigned long long)request.data_offset);
	}
	if (error == 0) {
		slot->streaming = TRUE;
		InterlockedIncrement(&g_streams_started);
	}
}

/* STREAM_STOP, with random (ignored) buffers. */
static void op_stream_stop(struct worker *w, ULONG64 *s, struct slot *slot)
{
	BYTE *buffer = rnd(s) % 4 ? NULL : w->scratch;
	DWORD error = device_ioctl(slot, w->event, SHM_IOCTL_STREAM_STOP, buffer,
				   buffer ? (DWORD)(rnd(s) % 64) : 0, buffer,
				   buffer ? (DWORD)(rnd(s) % 64) : 0, NULL);

	if (!can_read(slot) || !can_write(slot))
		EXPECT(error, "STREAM_STOP on a handle without read and write access", WIN32_ACCESS);
	else if (slot->streaming)
		EXPECT(error, "STREAM_STOP of a stream", WIN32_OK);
	else
		EXPECT(error, "STREAM_STOP", WIN32_OK, WIN32_STATE);
}

/*
 * Scribbles on a running ring, as a broken or hostile app would: the driver
 * must go on without crashing or writing out of range (contract 5.3). A
 * consumer-like write (tail = head) alternates with impossible tails and
 * garbage in the fields only the driver writes. Shared lock held.
 */
static void op_scribble(ULONG64 *s, struct slot *slot)
{
	struct shm_ring *ring = (struct shm_ring *)slot->mapping;
	ULONG64 value = rnd(s);

	if (ring == NULL || !slot->streaming)
		return;
	switch (rnd(s) % 8) {
	case 0: case 1: case 2:
		/* What a consumer does: everything read. */
		__atomic_store_n(&ring->tail, __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE),
				 __ATOMIC_RELEASE);
		break;
	case 3: __atomic_store_n(&ring->tail, value, __ATOMIC_RELEASE); break;
	case 4: ring->head = value; break;
	case 5: ring->dropped = value; break;
	case 6: ring->state = (UINT32)value; break;
	default:
		ring->capacity = (UINT32)value;
		ring->magic = (UINT32)(value >> 32);
		break;
	}
	InterlockedIncrement(&g_scribbles);
}

/* A second handle to the same file object: a call through it, then closed. */
static void op_duplicate(struct worker *w, ULONG64 *s, struct slot *slot)
{
	struct slot copy = *slot;

	if (!DuplicateHandle(GetCurrentProcess(), slot->handle, GetCurrentProcess(), &copy.handle,
			     0, FALSE, DUPLICATE_SAME_ACCESS)) {
		report(&g_unexpected, "DuplicateHandle failed: %lu", GetLastError());
		return;
	}
	if (rnd(s) % 2)
		op_query(w, s, &copy);
	else
		op_inspect(w, s, &copy);
	/* Not the last handle: no CLEANUP, the slot's allocation stays. */
	CloseHandle(copy.handle);
}

/* Closes a slot's handle (CLEANUP frees what it held) and opens a new one. Exclusive lock held. */
static void op_reopen(ULONG64 *s, struct slot *slot)
{
	static const DWORD accesses[] = { GENERIC_READ | GENERIC_WRITE, GENERIC_READ | GENERIC_WRITE,
					  GENERIC_READ | GENERIC_WRITE, GENERIC_READ, GENERIC_WRITE };

	CloseHandle(slot->handle);
	slot->mapping = NULL;
	slot->mapped = 0;
	slot->streaming = FALSE;
	slot->access = accesses[rnd(s) % 5];
	slot->overlapped = rnd(s) % 2;
	slot->handle = open_device(slot->access, slot->overlapped);
	if (slot->handle == INVALID_HANDLE_VALUE)
		report(&g_unexpected, "reopening the device failed: %lu", GetLastError());
}

/*
 * A child in holder mode, killed while (or before) it holds a mapping. With
 * a shared handle the child allocates through this slot's file object, so the
 * pages outlive it and stay with the slot. Shared lock held for the child's
 * whole life, so no RELEASE here unmaps it under the child's feet.
 */
static LONG g_holder_serial;

static void op_holder(ULONG64 *s, struct slot *slot)
{
	STARTUPINFOA startup = { .cb = sizeof(startup) };
	PROCESS_INFORMATION process;
	char command[MAX_PATH + 128], ready_name[64];
	HANDLE ready, waits[2], lent = NULL;
	BOOL shared;
	DWORD woke, code = 0;

	shared = g_holders == HOLDERS_SHARED || (g_holders == HOLDERS_BOTH && rnd(s) % 2);
	if (shared && !(can_read(slot) && can_write(slot)))
		shared = FALSE;
	snprintf(ready_name, sizeof(ready_name), "Local\\shm-fuzz-%lu-%ld", GetCurrentProcessId(),
		 InterlockedIncrement(&g_holder_serial));
	ready = CreateEventA(NULL, TRUE, FALSE, ready_name);
	/* A copy the child duplicates into itself; ours to close afterwards. */
	if (shared && !DuplicateHandle(GetCurrentProcess(), slot->handle, GetCurrentProcess(), &lent,
				       0, FALSE, DUPLICATE_SAME_ACCESS))
		lent = NULL;
	snprintf(command, sizeof(command), "\"%s\" holder %lu %llu %s %llu", g_self,
		 GetCurrentProcessId(), (unsigned long long)(ULONG_PTR)lent, ready_name,
		 (unsigned long long)(1 + rnd(s) % (256 * 1024)));
	if (ready == NULL || !CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL,
					      &startup, &process)) {
		report(&g_holder_failures, "starting a holder failed: %lu", GetLastError());
		if (ready != NULL)
			CloseHandle(ready);
		if (lent != NULL)
			CloseHandle(lent);
		return;
	}
	CloseHandle(process.hThread);
	waits[0] = ready;
	waits[1] = process.hProcess;
	/* Sometimes killed before it is ready, usually while it holds the mapping. */
	woke = WaitForMultipleObjects(2, waits, FALSE,
				      g_early_kills && rnd(s) % 8 == 0 ? (DWORD)(rnd(s) % 20) : 30000);
	if (woke == WAIT_OBJECT_0) {
		InterlockedIncrement(&g_holders_held);
		Sleep((DWORD)(rnd(s) % 5));
	} else if (woke == WAIT_OBJECT_0 + 1) {
		GetExitCodeProcess(process.hProcess, &code);
		if (code == 5)
			InterlockedIncrement(&g_holders_refused);
		else
			report(&g_holder_failures, "a holder exited with %lu", (unsigned long)code);
	} else {
		InterlockedIncrement(&g_holders_early);
	}
	TerminateProcess(process.hProcess, 99);
	WaitForSingleObject(process.hProcess, 30000);
	CloseHandle(process.hProcess);
	CloseHandle(ready);
	if (lent != NULL)
		CloseHandle(lent);
}

/*
 * Holder mode (the child): allocate through its own handle or the one the
 * parent lent it, check 10..1 and zeros, write and check through INSPECT,
 * signal, then wait to be killed. Exit codes: 3 a check failed, 4 no device,
 * 5 the driver refused as it may (the lent handle's allocation exists
 * already: 170; the cap: 1450).
 */
static int run_holder(DWORD parent_id, ULONG64 lent, const char *ready_name, ULONG64 size)
{
	struct shm_allocate alloc = { .size = size };
	struct shm_inspect request = { .count = SHM_INSPECT_MAX };
	HANDLE device = INVALID_HANDLE_VALUE, parent, ready;
	DWORD bytes, error, i;
	USHORT *values;

	if (lent != 0) {
		parent = OpenProcess(PROCESS_DUP_HANDLE, FALSE, parent_id);
		if (parent == NULL || !DuplicateHandle(parent, (HANDLE)(ULONG_PTR)lent,
						       GetCurrentProcess(), &device, 0, FALSE,
						       DUPLICATE_SAME_ACCESS))
			return 4;
		CloseHandle(parent);
	} else {
		device = open_device(GENERIC_READ | GENERIC_WRITE, FALSE);
		if (device == INVALID_HANDLE_VALUE)
			return 4;
	}
	ready = OpenEventA(EVENT_MODIFY_STATE, FALSE, ready_name);
	if (!DeviceIoControl(device, SHM_IOCTL_ALLOCATE, &alloc, sizeof(alloc), &alloc,
			     sizeof(alloc), &bytes, NULL)) {
		error = GetLastError();
		return error == ERROR_BUSY || error == ERROR_NO_SYSTEM_RESOURCES ? 5 : 3;
	} else {
		values = (USHORT *)(ULONG_PTR)alloc.user_address;
		if (!fresh_mapping(values, alloc.mapped_size))
			return 3;
		for (i = SHM_SEED_COUNT; i < SHM_INSPECT_MAX; i++)
			values[i] = (USHORT)(0xA000 + i);
		if (!DeviceIoControl(device, SHM_IOCTL_INSPECT, &request, sizeof(request), &request,
				     sizeof(request), &bytes, NULL))
			return 3;
		for (i = 0; i < SHM_INSPECT_MAX; i++)
			if (request.values[i] != (i < SHM_SEED_COUNT ? SHM_SEED_COUNT - i : 0xA000 + i))
				return 3;
	}
	if (ready != NULL)
		SetEvent(ready);
	/* Killed long before this; bounded so an orphan cannot linger. */
	Sleep(60000);
	return 0;
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */
/* ------------------------------------------------------------------------ */

enum { OP_QUERY, OP_ALLOCATE, OP_INSPECT, OP_RELEASE, OP_UNKNOWN, OP_READ, OP_TOUCH,
       OP_DUPLICATE, OP_REOPEN, OP_HOLDER, OP_STREAM_START, OP_STREAM_STOP, OP_SCRIBBLE,
       OP_COUNT };
static const char *const op_names[] = { "query", "allocate", "inspect", "release", "unknown-ioctl",
					 "read", "touch", "duplicate", "reopen", "holder",
					 "stream-start", "stream-stop", "scribble" };
/* How often each op is picked: a holder is a whole process, so rarer. */
static const int op_weights[] = { 10, 14, 14, 8, 8, 12, 14, 5, 4, 1, 6, 3, 6 };
static volatile LONG g_op_counts[OP_COUNT];

/* Without ALLOCATE there is no mapping to touch and nothing for a holder to hold. */
static int op_weight(int op)
{
	if (g_no_allocate && (op == OP_ALLOCATE || op == OP_TOUCH || op == OP_HOLDER ||
			      op == OP_SCRIBBLE))
		return 0;
	if (g_holders == HOLDERS_NONE && op == OP_HOLDER)
		return 0;
	return op_weights[op];
}

static int pick_op(ULONG64 *s)
{
	int total = 0, r, i;

	for (i = 0; i < OP_COUNT; i++)
		total += op_weight(i);
	r = (int)(rnd(s) % (ULONG64)total);
	for (i = 0; i < OP_COUNT; i++) {
		if (r < op_weight(i))
			return i;
		r -= op_weight(i);
	}
	return OP_QUERY;
}

static DWORD WINAPI worker_main(void *arg)
{
	struct worker *w = arg;
	ULONG64 s = w->seed;
	LONG64 i;

	for (i = 0; i < w->iterations && !g_stop; i++) {
		int op = pick_op(&s);
		struct slot *slot = &g_slots[rnd(&s) % SLOTS];
		BOOL exclusive = op == OP_RELEASE || op == OP_REOPEN || op == OP_STREAM_START;

		InterlockedIncrement(&g_op_counts[op]);
		if (exclusive)
			AcquireSRWLockExclusive(&slot->lock);
		else
			AcquireSRWLockShared(&slot->lock);
		if (slot->handle != INVALID_HANDLE_VALUE || op == OP_REOPEN) {
			switch (op) {
			case OP_QUERY: op_query(w, &s, slot); break;
			case OP_ALLOCATE: op_allocate(w, &s, slot); break;
			case OP_INSPECT: op_inspect(w, &s, slot); break;
			case OP_RELEASE: op_release(w, &s, slot); break;
			case OP_UNKNOWN: op_unknown_ioctl(w, &s, slot); break;
			case OP_READ: op_read(w, &s, slot); break;
			case OP_TOUCH: op_touch(w, &s, slot); break;
			case OP_DUPLICATE: op_duplicate(w, &s, slot); break;
			case OP_REOPEN: op_reopen(&s, slot); break;
			case OP_STREAM_START: op_stream_start(w, &s, slot); break;
			case OP_STREAM_STOP: op_stream_stop(w, &s, slot); break;
			case OP_SCRIBBLE: op_scribble(&s, slot); break;
			default: op_holder(&s, slot); break;
			}
		}
		if (exclusive)
			ReleaseSRWLockExclusive(&slot->lock);
		else
			ReleaseSRWLockShared(&slot->lock);
		InterlockedIncrement64(&g_iterations);
	}
	return 0;
}

static BOOL query_totals(ULONG64 *bytes, UINT32 *allocations)
{
	struct shm_device_info info;
	HANDLE device = open_device(GENERIC_READ, FALSE);
	DWORD returned;
	BOOL ok = device != INVALID_HANDLE_VALUE &&
		  DeviceIoControl(device, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info), &returned,
				  NULL);

	if (device != INVALID_HANDLE_VALUE)
		CloseHandle(device);
	if (ok) {
		*bytes = info.total_bytes;
		*allocations = info.allocations;
		g_max_size = info.max_size;
	}
	return ok;
}

static int g_passed, g_failed;

static void verdict(BOOL ok, const char *format, ...)
{
	va_list args;

	printf(ok ? "ok   " : "FAIL ");
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	printf("\n");
	if (ok)
		g_passed++;
	else
		g_failed++;
}

static int usage(void)
{
	fprintf(stderr, "usage: fuzz [--threads 1..%d] [--seconds S] [--iterations N] [--seed N]\n"
		"            [--holders own|shared|both|none] [--no-allocate] [--early-kills]\n",
		MAX_THREADS);
	return 2;
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_THREADS];
	HANDLE threads[MAX_THREADS];
	double seconds = 30;
	LONG64 iterations = 1000000;
	ULONG64 seed = 20100101, b0 = 0, b1 = 0, start, elapsed;
	UINT32 a0 = 0, a1 = 0;
	DWORD old;
	int i, waited;

	if (argc == 6 && strcmp(argv[1], "holder") == 0)
		return run_holder(strtoul(argv[2], NULL, 10), strtoull(argv[3], NULL, 10), argv[4],
				  strtoull(argv[5], NULL, 10));
	for (i = 1; i < argc; i++) {
		const char *value = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(argv[i], "--no-allocate") == 0) {
			g_no_allocate = TRUE;
			continue;
		}
		if (strcmp(argv[i], "--early-kills") == 0) {
			g_early_kills_asked = TRUE;
			continue;
		}
		if (value == NULL)
			return usage();
		if (strcmp(argv[i], "--threads") == 0)
			g_threads = atoi(value);
		else if (strcmp(argv[i], "--seconds") == 0)
			seconds = atof(value);
		else if (strcmp(argv[i], "--iterations") == 0)
			iterations = _atoi64(value);
		else if (strcmp(argv[i], "--seed") == 0)
			seed = strtoull(value, NULL, 0);
		else if (strcmp(argv[i], "--holders") == 0 && strcmp(value, "own") == 0)
			g_holders = HOLDERS_OWN;
		else if (strcmp(argv[i], "--holders") == 0 && strcmp(value, "shared") == 0)
			g_holders = HOLDERS_SHARED;
		else if (strcmp(argv[i], "--holders") == 0 && strcmp(value, "both") == 0)
			g_holders = HOLDERS_BOTH;
		else if (strcmp(argv[i], "--holders") == 0 && strcmp(value, "none") == 0)
			g_holders = HOLDERS_NONE;
		else
			return usage();
		i++;
	}
	if (g_threads < 1 || g_threads > MAX_THREADS || seconds <= 0 || iterations < 1 || seed == 0)
		return usage();
	setvbuf(stdout, NULL, _IONBF, 0);
	GetModuleFileNameA(NULL, g_self, sizeof(g_self));
	g_wine = GetProcAddress(GetModuleHandleA("ntdll.dll"), "wine_get_version") != NULL;
	g_early_kills = g_early_kills_asked || !g_wine;

	if (!query_totals(&b0, &a0)) {
		printf("FAIL cannot QUERY %ls: error %lu\n", SHM_WIN_USER_PATH, GetLastError());
		printf("windows-fuzz: 0 passed, 1 failed, 0 skipped\n");
		return 1;
	}
	for (i = 0; i < SLOTS; i++) {
		InitializeSRWLock(&g_slots[i].lock);
		g_slots[i].access = GENERIC_READ | GENERIC_WRITE;
		g_slots[i].overlapped = i % 2;
		g_slots[i].handle = open_device(g_slots[i].access, g_slots[i].overlapped);
	}
	printf("windows-fuzz: %d threads x %lld iterations (or %.0f s), seed %llu, holders %s%s%s%s\n",
	       g_threads, (long long)iterations, seconds, (unsigned long long)seed,
	       g_no_allocate || g_holders == HOLDERS_NONE ? "none" :
	       g_holders == HOLDERS_OWN ? "own" : g_holders == HOLDERS_SHARED ? "shared" : "both",
	       g_no_allocate ? ", no ALLOCATE" : "",
	       g_wine ? "; under Wine: no unreadable input buffers" : "",
	       g_wine && !g_early_kills ? ", holders killed only once ready" : "");

	start = GetTickCount64();
	for (i = 0; i < g_threads; i++) {
		struct worker *w = &workers[i];

		w->index = i;
		w->seed = seed * (ULONG64)(i + 1) + 0x9e3779b97f4a7c15ull;
		w->iterations = iterations;
		w->event = CreateEventW(NULL, TRUE, FALSE, NULL);
		w->stream_event = CreateEventW(NULL, FALSE, FALSE, NULL);
		if (w->stream_event == NULL ||
		    !DuplicateHandle(GetCurrentProcess(), w->stream_event, GetCurrentProcess(),
				     &w->weak_event, SYNCHRONIZE, FALSE, 0)) {
			printf("FAIL creating thread %d's stream events: error %lu\n", i, GetLastError());
			return 1;
		}
		w->scratch = VirtualAlloc(NULL, SCRATCH + PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READWRITE);
		w->readonly = VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE, PAGE_READONLY);
		if (w->event == NULL || w->scratch == NULL || w->readonly == NULL ||
		    !VirtualProtect(w->scratch + SCRATCH, PAGE, PAGE_NOACCESS, &old)) {
			printf("FAIL setting up thread %d: error %lu\n", i, GetLastError());
			return 1;
		}
		threads[i] = CreateThread(NULL, 0, worker_main, w, 0, NULL);
	}
	/* The time bound: tell the workers to stop, then wait for them. */
	while (WaitForMultipleObjects(g_threads, threads, TRUE, 50) == WAIT_TIMEOUT)
		if (GetTickCount64() - start >= (ULONG64)(seconds * 1000))
			InterlockedExchange(&g_stop, 1);
	elapsed = GetTickCount64() - start;
	for (i = 0; i < g_threads; i++)
		CloseHandle(threads[i]);
	for (i = 0; i < SLOTS; i++)
		if (g_slots[i].handle != INVALID_HANDLE_VALUE)
			CloseHandle(g_slots[i].handle);

	printf("windows-fuzz: %lld iterations in %.1f s (%.0f/s)%s:", (long long)g_iterations,
	       elapsed / 1000.0, g_iterations * 1000.0 / (double)(elapsed ? elapsed : 1),
	       g_stop ? " (time bound reached)" : "");
	for (i = 0; i < OP_COUNT; i++)
		printf(" %s %ld", op_names[i], g_op_counts[i]);
	printf("\n");

	verdict(g_unexpected == 0, "every result was one the contract allows (%ld not)", g_unexpected);
	if (!g_no_allocate) {
		verdict(g_mappings_checked > 0 && g_mapping_failures == 0,
			"%ld new mappings held 10, 9, ..., 1 and zeros (%ld did not)",
			g_mappings_checked, g_mapping_failures);
		verdict(g_writes_checked > 0 && g_write_failures == 0,
			"%ld writes into a mapping read back through INSPECT and ReadFile (%ld wrong)",
			g_writes_checked, g_write_failures);
		verdict(g_streams_started > 0,
			"%ld streams started; %ld scribbles on their rings while the producers ran",
			g_streams_started, g_scribbles);
		if (g_holders != HOLDERS_NONE)
			verdict(g_holders_held > 0 && g_holder_failures == 0,
				"holder processes killed: %ld holding a mapping, %ld before; %ld refused "
				"(busy or cap), %ld failed", g_holders_held, g_holders_early,
				g_holders_refused, g_holder_failures);
	}
	/* Freeing can trail the last close a little (Wine queues CLOSE); wait up to 10 s. */
	for (waited = 0; waited < 200; waited++) {
		if (query_totals(&b1, &a1) && b1 == b0 && a1 == a0)
			break;
		Sleep(50);
	}
	verdict(b1 == b0 && a1 == a0,
		"totals back to %llu bytes / %u allocations (now %llu / %u, after %d ms)",
		(unsigned long long)b0, a0, (unsigned long long)b1, a1, waited * 50);
	printf("windows-fuzz: %d passed, %d failed, 0 skipped\n", g_passed, g_failed);
	return g_failed == 0 ? 0 : 1;
}
