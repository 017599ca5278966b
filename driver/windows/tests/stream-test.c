/* SPDX-License-Identifier: MIT */
/*
 * stream-test.c - drives the streaming half of the SharedMemory driver
 * (CONTRACT.md section 5) from a plain Win32 program: the ring's layout,
 * every record verified (sequence, sample, check, timestamps against
 * QueryPerformanceCounter), the event waking a WaitForSingleObject consumer,
 * drops and gaps adding up when the consumer stalls, the ReadFile consumer,
 * STOP, RELEASE/CloseHandle/TerminateProcess while streaming, four streams
 * at once, a consumer breaking the ring (FAULTED), and every error row of 5.4.
 *
 *   stream-test              every scenario
 *   stream-test child NAME   (internal) streams until killed; sets event NAME once running
 *
 * Each check prints "ok" or "FAIL" and a line; the last line is
 * "windows-stream: N passed, N failed, 0 skipped", then the figures seen.
 */
#include <stdlib.h>
#include "../client/shm-win32-checks.h"

#define PAGE 4096u
#define RECORD ((DWORD)sizeof(struct shm_record))
/* 9 pages: the header page and 1024 records. */
#define RING_1024 (9 * PAGE)

static DWORD release(HANDLE device)
{
	return ioctl(device, SHM_IOCTL_RELEASE, NULL, 0, NULL, 0, NULL);
}

static DWORD stream_start(HANDLE device, UINT32 rate, UINT32 batch, HANDLE event,
			  struct shm_stream_start *out)
{
	memset(out, 0, sizeof(*out));
	out->rate_hz = rate;
	out->batch = batch;
	out->event_handle = (UINT64)(ULONG_PTR)event;
	return ioctl(device, SHM_IOCTL_STREAM_START, out, sizeof(*out), out, sizeof(*out), NULL);
}

static DWORD stream_stop(HANDLE device)
{
	return ioctl(device, SHM_IOCTL_STREAM_STOP, NULL, 0, NULL, 0, NULL);
}

/* ReadFile: 0 or GetLastError(); *bytes what it returned. */
static DWORD read_records(HANDLE device, void *into, DWORD length, DWORD *bytes)
{
	*bytes = 0;
	return ReadFile(device, into, length, bytes, NULL) ? 0 : GetLastError();
}

static void sleep_ms(DWORD ms)
{
	Sleep(ms);
}

/* QueryPerformanceCounter in ns: the clock of the records' timestamp_ns. */
static UINT64 now_ns(void)
{
	static LARGE_INTEGER frequency;
	LARGE_INTEGER now;

	if (frequency.QuadPart == 0)
		QueryPerformanceFrequency(&frequency);
	QueryPerformanceCounter(&now);
	return (UINT64)now.QuadPart / (UINT64)frequency.QuadPart * 1000000000ull +
	       (UINT64)now.QuadPart % (UINT64)frequency.QuadPart * 1000000000ull /
	       (UINT64)frequency.QuadPart;
}

static BOOL totals_are_zero(void)
{
	HANDLE device = open_device(GENERIC_READ);
	struct shm_device_info info;
	BOOL zero;

	if (device == INVALID_HANDLE_VALUE)
		return FALSE;
	zero = ioctl(device, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info), NULL) == 0 &&
	       info.total_bytes == 0 && info.allocations == 0;
	CloseHandle(device);
	return zero;
}

/* Wine delivers CLOSE after CloseHandle returns: wait for the totals, up to 10 s. */
static BOOL totals_become_zero(void)
{
	for (int i = 0; i < 100; i++) {
		if (totals_are_zero())
			return TRUE;
		sleep_ms(100);
	}
	return FALSE;
}

/* A consumer reading the ring in place, as the app does. */
struct ring_view {
	HANDLE device;
	struct shm_ring *ring;
	const struct shm_record *records;
	UINT32 capacity;
	HANDLE event;
};

/* Acquire loads and a release store, as section 5.2 orders them. */
static UINT64 load_head(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->head, __ATOMIC_ACQUIRE);
}

static UINT64 load_tail(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->tail, __ATOMIC_ACQUIRE);
}

static void store_tail(struct ring_view *v, UINT64 tail)
{
	__atomic_store_n(&v->ring->tail, tail, __ATOMIC_RELEASE);
}

static UINT32 load_state(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->state, __ATOMIC_ACQUIRE);
}

static UINT64 load_dropped(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->dropped, __ATOMIC_ACQUIRE);
}

/* Opens a handle, allocates `size` and starts a stream; checks the answer and the header. */
static BOOL open_stream(size_t size, UINT32 rate, UINT32 batch, BOOL with_event,
			struct ring_view *v)
{
	struct shm_allocate alloc;
	struct shm_stream_start start;
	DWORD error;

	memset(v, 0, sizeof(*v));
	v->device = open_device(GENERIC_READ | GENERIC_WRITE);
	if (v->device == INVALID_HANDLE_VALUE)
		return FALSE;
	if (allocate(v->device, size, &alloc) != 0)
		return FALSE;
	v->event = with_event ? CreateEventW(NULL, FALSE, FALSE, NULL) : NULL;
	error = stream_start(v->device, rate, batch, v->event, &start);
	if (error != 0) {
		printf("  STREAM_START(%u, %u): error %lu\n", rate, batch, error);
		return FALSE;
	}
	v->ring = (struct shm_ring *)(ULONG_PTR)alloc.user_address;
	v->records = (const struct shm_record *)((const char *)v->ring + start.data_offset);
	v->capacity = start.capacity;
	return start.record_size == RECORD && start.data_offset == PAGE &&
	       v->ring->magic == SHM_RING_MAGIC && v->ring->capacity == start.capacity;
}

static void close_stream(struct ring_view *v)
{
	if (v->event != NULL)
		CloseHandle(v->event);
	CloseHandle(v->device);
	memset(v, 0, sizeof(*v));
}

/* Checks every record as it comes: sequence order, signal, timestamps. */
struct verifier {
	UINT64 next;            /* the sequence expected next */
	UINT64 records;
	UINT64 gaps;            /* sequence numbers skipped */
	UINT64 bad;
	UINT64 last_ns;
	UINT64 started_ns;
	UINT64 latency_max_ns;
	UINT64 latency_sum_ns;
	UINT32 latencies_us[1 << 14]; /* the last ones, for percentiles */
};

static void verifier_init(struct verifier *ver)
{
	memset(ver, 0, sizeof(*ver));
	ver->started_ns = now_ns();
}

static BOOL verify(struct verifier *ver, const struct shm_record *r, UINT64 seen_ns)
{
	BOOL ok = r->sequence >= ver->next && r->sample == shm_stream_sample(r->sequence) &&
		  r->check == shm_stream_check(r->sequence, r->sample) && r->reserved == 0 &&
		  r->timestamp_ns >= ver->last_ns && r->timestamp_ns >= ver->started_ns - 1000000 &&
		  r->timestamp_ns <= seen_ns;

	if (!ok) {
		if (ver->bad++ < 3)
			printf("  bad record: sequence %llu (expected >= %llu), sample %d, check 0x%x, "
			       "timestamp %llu (last %llu, seen %llu)\n",
			       (unsigned long long)r->sequence, (unsigned long long)ver->next, r->sample,
			       r->check, (unsigned long long)r->timestamp_ns,
			       (unsigned long long)ver->last_ns, (unsigned long long)seen_ns);
		return FALSE;
	}
	ver->gaps += r->sequence - ver->next;
	ver->next = r->sequence + 1;
	ver->last_ns = r->timestamp_ns;
	ver->records++;
	ver->latency_sum_ns += seen_ns - r->timestamp_ns;
	ver->latencies_us[(ver->records - 1) % (sizeof(ver->latencies_us) / sizeof(ver->latencies_us[0]))] =
		(UINT32)((seen_ns - r->timestamp_ns) / 1000);
	if (seen_ns - r->timestamp_ns > ver->latency_max_ns)
		ver->latency_max_ns = seen_ns - r->timestamp_ns;
	return TRUE;
}

static int compare_u32(const void *a, const void *b)
{
	UINT32 x = *(const UINT32 *)a, y = *(const UINT32 *)b;

	return x < y ? -1 : x > y;
}

/* The latency below which `percent` of the last 16384 records were seen, in ms. */
static double latency_percentile_ms(struct verifier *ver, unsigned int percent)
{
	size_t n = ver->records < sizeof(ver->latencies_us) / sizeof(ver->latencies_us[0]) ?
		   (size_t)ver->records : sizeof(ver->latencies_us) / sizeof(ver->latencies_us[0]);

	if (n == 0)
		return 0.0;
	qsort(ver->latencies_us, n, sizeof(ver->latencies_us[0]), compare_u32);
	return (double)ver->latencies_us[(n - 1) * percent / 100] / 1000.0;
}

/* Everything unread, in place; then tail released. */
static void consume(struct ring_view *v, struct verifier *ver)
{
	UINT64 head = load_head(v);
	UINT64 tail = load_tail(v);
	UINT64 seen = now_ns();

	for (; tail < head; tail++)
		verify(ver, &v->records[tail & (v->capacity - 1)], seen);
	store_tail(v, tail);
}

/* Waits on the event and consumes for `ms`; returns the wake-ups that found records. */
static UINT64 consume_for(struct ring_view *v, struct verifier *ver, DWORD ms)
{
	ULONGLONG until = GetTickCount64() + ms;
	UINT64 wakes = 0;

	while (GetTickCount64() < until) {
		if (WaitForSingleObject(v->event, 200) == WAIT_OBJECT_0 &&
		    load_head(v) != load_tail(v))
			wakes++;
		consume(v, ver);
	}
	return wakes;
}

/*
 * Every record written was read, and every gap is a loss the driver counted.
 * Records lost in the last ticks before STOP leave no gap (nothing after
 * them was written), so the gaps may fall short of dropped, never exceed it.
 */
static BOOL accounted(const struct verifier *ver, const struct ring_view *v)
{
	return ver->records == load_head(v) && ver->gaps <= load_dropped(v) &&
	       ver->next <= load_head(v) + load_dropped(v);
}

/*
 * One stream at 1000 records/s, consumed in place on the event. With batch
 * 100 (a tick every 100 ms) a tick may come 300 ms late before the 4 x batch
 * catch-up loses records, so none may be lost; with batch 10 (10 ms) a busy
 * host's late ticks lose some, and then the gaps must account for them.
 */
static void t_layout_and_rate(UINT32 batch, BOOL none_lost)
{
	struct ring_view v;
	struct verifier ver;
	UINT64 wakes, head, dropped;
	double seconds, rate;

	if (!open_stream(RING_1024, 1000, batch, TRUE, &v)) {
		check(FALSE, "records: the stream starts on 9 pages");
		return;
	}
	check(v.capacity == 1024 && v.ring->version == SHM_RING_VERSION &&
	      v.ring->record_size == RECORD && v.ring->data_offset == PAGE &&
	      v.ring->rate_hz == 1000 && v.ring->batch == batch,
	      "STREAM_START on 9 pages: capacity %u, record_size 32, data_offset 4096, header filled",
	      v.capacity);
	verifier_init(&ver);
	wakes = consume_for(&v, &ver, 2000);
	seconds = (double)(now_ns() - ver.started_ns) / 1e9;
	rate = (double)ver.records / seconds;
	check(ver.bad == 0 && ver.records > 0,
	      "records: %llu in place, every one verified (sequence, sample, check, timestamps "
	      "monotonic, within QueryPerformanceCounter's now)",
	      (unsigned long long)ver.records);
	check(rate > (none_lost ? 850 : 500) && rate < 1100,
	      "records: %.0f records/s at rate_hz 1000, batch %u", rate, batch);
	check(wakes > 10, "records: the event woke WaitForSingleObject %llu times with records to read",
	      (unsigned long long)wakes);
	if (none_lost)
		check(load_dropped(&v) == 0 && ver.gaps == 0,
		      "records: none dropped at 1000/s, batch %u (dropped %llu)", batch,
		      (unsigned long long)load_dropped(&v));
	printf("  figures: 1000/s batch %u, woken by the event: %llu dropped, %.0f records/s, latency "
	       "p50 %.2f ms, p99 %.2f ms, max %.2f ms (timestamp_ns to the consumer)\n", batch,
	       (unsigned long long)load_dropped(&v), rate, latency_percentile_ms(&ver, 50),
	       latency_percentile_ms(&ver, 99), (double)ver.latency_max_ns / 1e6);

	check(stream_stop(v.device) == 0 && load_state(&v) == SHM_RING_STOPPED,
	      "STREAM_STOP: 0, state STOPPED");
	check(WaitForSingleObject(v.event, 1000) == WAIT_OBJECT_0, "STREAM_STOP sets the event");
	head = load_head(&v);
	dropped = load_dropped(&v);
	sleep_ms(300);
	check(load_head(&v) == head && load_dropped(&v) == dropped,
	      "after STREAM_STOP head (%llu) and dropped (%llu) no longer change",
	      (unsigned long long)head, (unsigned long long)dropped);
	consume(&v, &ver);
	check(ver.bad == 0 && accounted(&ver, &v), "after STOP the unread records are still readable, "
	      "and every one was read: %llu read, %llu dropped", (unsigned long long)ver.records,
	      (unsigned long long)load_dropped(&v));
	check(stream_stop(v.device) == 0 && load_state(&v) == SHM_RING_STOPPED,
	      "STREAM_STOP of a stopped stream: 0, nothing changes");
	close_stream(&v);
}

/*
 * A high rate into a 1 MiB ring (16384 records), consumed in place on the
 * event for 2 s: every record verified and every loss accounted for; the
 * rate, drops and latency are printed for the record.
 */
static void t_high_rate(UINT32 rate_hz, UINT32 batch)
{
	static struct verifier ver;
	struct ring_view v;
	double seconds, rate;

	if (!open_stream(1024 * 1024, rate_hz, batch, TRUE, &v)) {
		check(FALSE, "high rate: the stream starts at %u records/s", rate_hz);
		return;
	}
	verifier_init(&ver);
	consume_for(&v, &ver, 2000);
	seconds = (double)(now_ns() - ver.started_ns) / 1e9;
	stream_stop(v.device);
	consume(&v, &ver);
	rate = (double)ver.records / seconds;
	check(ver.bad == 0 && accounted(&ver, &v) && ver.records > 0,
	      "%u records/s, batch %u: %llu records, every one verified, %llu gaps within dropped (%llu)",
	      rate_hz, batch, (unsigned long long)ver.records, (unsigned long long)ver.gaps,
	      (unsigned long long)load_dropped(&v));
	printf("  figures: %u/s batch %u, woken by the event: %.0f records/s received, %llu dropped "
	       "(%.1f%%), latency p50 %.2f ms, p99 %.2f ms\n", rate_hz, batch, rate,
	       (unsigned long long)load_dropped(&v),
	       100.0 * (double)load_dropped(&v) / (double)(ver.records + load_dropped(&v)),
	       latency_percentile_ms(&ver, 50), latency_percentile_ms(&ver, 99));
	close_stream(&v);
}

/* A consumer that stalls: the ring fills, the newest records are lost, gaps add up. */
static void t_drops_and_gaps(void)
{
	struct ring_view v;
	struct verifier ver;
	UINT64 first_dropped, opened_ns = now_ns();

	/* 2 pages: 128 records, full after 64 ms at 2000/s. */
	if (!open_stream(2 * PAGE, 2000, 20, TRUE, &v)) {
		check(FALSE, "stall: the stream starts on 2 pages");
		return;
	}
	check(v.capacity == 128, "2 pages: capacity 128 (%u)", v.capacity);
	sleep_ms(1000);
	first_dropped = load_dropped(&v);
	check(load_head(&v) == 128 && first_dropped > 0,
	      "stall: the ring fills (head %llu of 128) and never overwrites: dropped %llu",
	      (unsigned long long)load_head(&v), (unsigned long long)first_dropped);
	check(v.records[0].sequence == 0 && v.records[127].sequence == 127,
	      "stall: slots 0 and 127 still hold records 0 and 127 (the newest were lost)");
	verifier_init(&ver);
	ver.started_ns = opened_ns;
	consume_for(&v, &ver, 1000);
	stream_stop(v.device);
	consume(&v, &ver);
	check(ver.bad == 0 && accounted(&ver, &v) && ver.gaps >= first_dropped,
	      "stall: every record read; the gaps (%llu) hold the stall's losses and stay within "
	      "dropped (%llu); %llu records read, next sequence %llu",
	      (unsigned long long)ver.gaps, (unsigned long long)load_dropped(&v),
	      (unsigned long long)ver.records, (unsigned long long)ver.next);
	printf("  figures: stalled 1 s at 2000/s on 128 records: %llu dropped\n",
	       (unsigned long long)first_dropped);
	close_stream(&v);
}

/* The copy path: ReadFile consumes whole records from tail. */
static void t_read_consumer(void)
{
	struct ring_view v;
	struct verifier ver;
	static struct shm_record copies[1024];
	DWORD bytes, error;
	UINT64 before;

	if (!open_stream(RING_1024, 1000, 10, FALSE, &v)) {
		check(FALSE, "ReadFile: the stream starts");
		return;
	}
	verifier_init(&ver);
	error = read_records(v.device, copies, RECORD - 1, &bytes);
	check(error == ERROR_INVALID_PARAMETER, "ReadFile of 31 bytes while streaming: 87 (got %lu)", error);
	sleep_ms(300);
	/* 100 bytes: three whole records at most. */
	error = read_records(v.device, copies, 100, &bytes);
	check(error == 0 && bytes == 3 * RECORD && load_tail(&v) == 3,
	      "ReadFile of 100 bytes: 3 whole records (%lu bytes), tail 3", bytes);
	for (DWORD i = 0; i < bytes / RECORD; i++)
		verify(&ver, &copies[i], now_ns());
	for (int round = 0; round < 10; round++) {
		sleep_ms(50);
		before = load_tail(&v);
		error = read_records(v.device, copies, sizeof(copies), &bytes);
		if (error != 0 || bytes % RECORD != 0 || load_tail(&v) != before + bytes / RECORD) {
			check(FALSE, "ReadFile round %d: error %lu, %lu bytes, tail %llu -> %llu", round,
			      error, bytes, (unsigned long long)before, (unsigned long long)load_tail(&v));
			break;
		}
		for (DWORD i = 0; i < bytes / RECORD; i++)
			verify(&ver, &copies[i], now_ns());
	}
	/* In place and copied, mixed: both move the same tail. */
	consume(&v, &ver);
	check(stream_stop(v.device) == 0, "ReadFile: STREAM_STOP");
	for (;;) {
		error = read_records(v.device, copies, sizeof(copies), &bytes);
		if (error != 0 || bytes == 0)
			break;
		for (DWORD i = 0; i < bytes / RECORD; i++)
			verify(&ver, &copies[i], now_ns());
	}
	check(error == 0 && bytes == 0, "ReadFile with nothing unread: 0 bytes at once (error %lu)", error);
	check(ver.bad == 0 && ver.records > 100 && accounted(&ver, &v),
	      "ReadFile and in-place reads together: %llu records, every one verified, none lost",
	      (unsigned long long)ver.records);
	check(release(v.device) == 0, "RELEASE after the stream");
	error = read_records(v.device, copies, sizeof(copies), &bytes);
	check(error == ERROR_BAD_COMMAND, "ReadFile after RELEASE: 22 as before streaming (got %lu)", error);
	close_stream(&v);
}

static void t_release_and_close_while_streaming(void)
{
	struct ring_view v;

	if (open_stream(RING_1024, 10000, 100, TRUE, &v)) {
		sleep_ms(100);
		check(release(v.device) == 0 && totals_are_zero(),
		      "RELEASE while streaming: 0, totals back to zero at once");
		check(stream_stop(v.device) == ERROR_BAD_COMMAND,
		      "STREAM_STOP after RELEASE: 22 (the stream ended with the allocation)");
		close_stream(&v);
	} else {
		check(FALSE, "release: the stream starts");
	}
	if (open_stream(RING_1024, 10000, 100, TRUE, &v)) {
		sleep_ms(100);
		close_stream(&v);
		check(totals_become_zero(), "CloseHandle while streaming: totals back to zero");
	} else {
		check(FALSE, "close: the stream starts");
	}
}

static void t_kill_while_streaming(const char *self)
{
	wchar_t name[64], command[MAX_PATH + 128];
	STARTUPINFOW si = { .cb = sizeof(si) };
	PROCESS_INFORMATION pi;
	HANDLE running;

	swprintf(name, 64, L"shm-stream-test-%lu", GetCurrentProcessId());
	running = CreateEventW(NULL, TRUE, FALSE, name);
	swprintf(command, MAX_PATH + 128, L"\"%hs\" child %ls", self, name);
	if (!CreateProcessW(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
		check(FALSE, "kill: CreateProcess failed (%lu)", GetLastError());
		CloseHandle(running);
		return;
	}
	check(WaitForSingleObject(running, 20000) == WAIT_OBJECT_0, "kill: the child streams");
	sleep_ms(200);
	TerminateProcess(pi.hProcess, 9);
	WaitForSingleObject(pi.hProcess, 20000);
	check(totals_become_zero(), "TerminateProcess while streaming: totals back to zero");
	CloseHandle(pi.hThread);
	CloseHandle(pi.hProcess);
	CloseHandle(running);
}

static int run_child(const char *event_name)
{
	struct ring_view v;
	HANDLE running = OpenEventA(EVENT_MODIFY_STATE, FALSE, event_name);

	if (running == NULL || !open_stream(RING_1024, 10000, 100, TRUE, &v))
		return 1;
	SetEvent(running);
	for (;;)
		WaitForSingleObject(v.event, INFINITE);
}

struct own_stream {
	struct ring_view v;
	struct verifier ver;
	UINT32 rate;
};

static void t_four_streams(void)
{
	static const UINT32 rates[4] = { 500, 1000, 2000, 4000 };
	struct own_stream s[4];
	HANDLE events[4];
	ULONGLONG until;
	BOOL started = TRUE;

	for (int i = 0; i < 4; i++) {
		s[i].rate = rates[i];
		started &= open_stream(RING_1024, rates[i], rates[i] / 100, TRUE, &s[i].v);
		verifier_init(&s[i].ver);
		events[i] = s[i].v.event;
	}
	check(started, "four handles, four streams at once (500, 1000, 2000, 4000 records/s)");
	if (!started)
		return;
	until = GetTickCount64() + 2000;
	while (GetTickCount64() < until) {
		WaitForMultipleObjects(4, events, FALSE, 200);
		for (int i = 0; i < 4; i++)
			consume(&s[i].v, &s[i].ver);
	}
	for (int i = 0; i < 4; i++) {
		double rate = (double)s[i].ver.records / ((double)(now_ns() - s[i].ver.started_ns) / 1e9);

		stream_stop(s[i].v.device);
		consume(&s[i].v, &s[i].ver);
		check(s[i].ver.bad == 0 && accounted(&s[i].ver, &s[i].v) &&
		      rate > 0.7 * s[i].rate && rate < 1.1 * s[i].rate,
		      "stream %d of 4: %.0f records/s at %u, every record verified, %llu dropped", i + 1,
		      rate, s[i].rate, (unsigned long long)load_dropped(&s[i].v));
		close_stream(&s[i].v);
	}
}

/* The app breaks the ring: the driver faults the stream and serves on. */
static void t_faulted(void)
{
	struct ring_view v, other;
	struct verifier ver;
	struct shm_record copy;
	DWORD bytes, error;
	UINT64 head;
	int i;

	if (!open_stream(RING_1024, 1000, 10, TRUE, &v) ||
	    !open_stream(RING_1024, 1000, 10, TRUE, &other)) {
		check(FALSE, "faulted: two streams start");
		return;
	}
	verifier_init(&ver);
	sleep_ms(100);
	/* Scribbles the driver must ignore: it only ever writes these. */
	v.ring->head = 1ull << 60;
	v.ring->dropped = 77;
	v.ring->magic = 0;
	v.ring->capacity = 3;
	sleep_ms(100);
	check(load_state(&v) == SHM_RING_RUNNING && load_head(&v) < 1000 && load_dropped(&v) == 0,
	      "scribbled head, dropped, magic and capacity: the driver rewrites head (%llu) and dropped, "
	      "state still RUNNING", (unsigned long long)load_head(&v));
	/* An impossible tail. */
	store_tail(&v, load_head(&v) + 5000);
	for (i = 0; i < 50 && load_state(&v) != SHM_RING_FAULTED; i++)
		sleep_ms(20);
	check(load_state(&v) == SHM_RING_FAULTED, "tail beyond head: state FAULTED");
	check(WaitForSingleObject(v.event, 1000) == WAIT_OBJECT_0, "FAULTED: the event was set");
	error = read_records(v.device, &copy, sizeof(copy), &bytes);
	check(error == ERROR_IO_DEVICE, "ReadFile on a faulted stream: 1117 (got %lu)", error);
	head = load_head(&v);
	sleep_ms(200);
	check(load_head(&v) == head, "FAULTED: the producer writes nothing more");
	check(stream_stop(v.device) == 0 && load_state(&v) == SHM_RING_FAULTED,
	      "STREAM_STOP of a faulted stream: 0, state stays FAULTED");
	consume_for(&other, &ver, 300);
	check(ver.bad == 0 && ver.records > 100 && load_state(&other) == SHM_RING_RUNNING,
	      "another handle's stream runs on untouched (%llu records)",
	      (unsigned long long)ver.records);
	check(release(v.device) == 0, "RELEASE of the faulted stream: 0");
	close_stream(&v);
	close_stream(&other);
}

/* The NTSTATUS the driver returned, which Win32 turned into the last error. */
#define STATUS_INVALID_HANDLE_VALUE ((LONG)0xC0000008)
#define STATUS_ACCESS_DENIED_VALUE ((LONG)0xC0000022)
#define STATUS_OBJECT_TYPE_MISMATCH_VALUE ((LONG)0xC0000024)

static LONG last_status(void)
{
	typedef LONG (WINAPI *get_last_nt_status)(void);
	get_last_nt_status get = (get_last_nt_status)(void (*)(void))
		GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetLastNtStatus");

	return get != NULL ? get() : 0;
}

static void t_error_rows(const char *self)
{
	struct shm_stream_start start;
	struct shm_allocate alloc;
	HANDLE device = open_device(GENERIC_READ | GENERIC_WRITE);
	HANDLE readonly = open_device(GENERIC_READ);
	HANDLE event, weak, file;
	struct shm_device_info info;
	const USHORT *values;
	DWORD error;
	LONG status;
	static const struct { UINT32 rate, batch; const char *what; } bad[] = {
		{ 0, 1, "rate_hz 0" },
		{ SHM_STREAM_MAX_RATE + 1, 16384, "rate_hz above the maximum" },
		{ 1000, 0, "batch 0" },
		{ 10, 11, "batch above rate_hz" },
		{ 1000000, SHM_STREAM_MAX_BATCH + 1, "batch above the maximum" },
		{ 20001, 2, "rate_hz > batch x 10000" },
	};

	memset(&info, 0xA5, sizeof(info));
	error = ioctl(device, SHM_IOCTL_QUERY, NULL, 0, &info, sizeof(info), NULL);
	check(error == 0 &&
	      info.features == SHM_FEATURE_STREAM && info.driver_version == SHM_DRIVER_VERSION,
	      "QUERY: features 0x%x (SHM_FEATURE_STREAM), driver version 0x%x (1.1)", info.features,
	      info.driver_version);
	error = ioctl(device, SHM_IOCTL_STREAM_START, &start, sizeof(start) - 1, &start, sizeof(start),
		      NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "STREAM_START, 31-byte input: 122 (got %lu)", error);
	error = ioctl(device, SHM_IOCTL_STREAM_START, &start, sizeof(start), &start, sizeof(start) - 1,
		      NULL);
	check(error == ERROR_INSUFFICIENT_BUFFER, "STREAM_START, 31-byte output: 122 (got %lu)", error);
	/* Parameters come before state: these are 87 with nothing allocated. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		error = stream_start(device, bad[i].rate, bad[i].batch, NULL, &start);
		check(error == ERROR_INVALID_PARAMETER, "STREAM_START, %s: 87 (got %lu)", bad[i].what, error);
	}
	error = stream_start(device, 1000, 10, NULL, &start);
	check(error == ERROR_BAD_COMMAND, "STREAM_START with nothing allocated: 22 (got %lu)", error);
	error = stream_stop(device);
	check(error == ERROR_BAD_COMMAND, "STREAM_STOP with nothing allocated: 22 (got %lu)", error);
	error = stream_start(readonly, 1000, 10, NULL, &start);
	check(error == ERROR_ACCESS_DENIED, "STREAM_START on a read-only handle: 5 (got %lu)", error);
	error = stream_stop(readonly);
	check(error == ERROR_ACCESS_DENIED, "STREAM_STOP on a read-only handle: 5 (got %lu)", error);

	check(allocate(device, PAGE, &alloc) == 0, "ALLOCATE of one page");
	error = stream_start(device, 1000, 10, NULL, &start);
	check(error == ERROR_INVALID_PARAMETER, "STREAM_START on one page: 87 (got %lu)", error);
	release(device);

	check(allocate(device, 2 * PAGE, &alloc) == 0, "ALLOCATE of two pages");
	values = (const USHORT *)(ULONG_PTR)alloc.user_address;
	error = stream_stop(device);
	check(error == ERROR_BAD_COMMAND, "STREAM_STOP with no stream started: 22 (got %lu)", error);
	error = stream_start(device, 1000, 10, (HANDLE)(ULONG_PTR)0x7ffc, &start);
	status = last_status();
	check(error == ERROR_INVALID_HANDLE && status == STATUS_INVALID_HANDLE_VALUE,
	      "STREAM_START, event_handle no handle: STATUS_INVALID_HANDLE (0x%08lx), 6 (got %lu)",
	      (unsigned long)status, error);
	/* A handle of another type: a file (this program's own image). */
	file = CreateFileA(self, GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING, 0, NULL);
	error = stream_start(device, 1000, 10, file, &start);
	status = last_status();
	check(file != INVALID_HANDLE_VALUE && error == ERROR_INVALID_HANDLE &&
	      status == STATUS_OBJECT_TYPE_MISMATCH_VALUE,
	      "STREAM_START, event_handle a file: STATUS_OBJECT_TYPE_MISMATCH (0x%08lx), "
	      "which Win32 reports as 6 (got %lu)", (unsigned long)status, error);
	event = CreateEventW(NULL, FALSE, FALSE, L"shm-stream-test-weak");
	weak = OpenEventW(SYNCHRONIZE, FALSE, L"shm-stream-test-weak");
	error = stream_start(device, 1000, 10, weak, &start);
	status = last_status();
	check(error == ERROR_ACCESS_DENIED && status == STATUS_ACCESS_DENIED_VALUE,
	      "STREAM_START, an event opened without EVENT_MODIFY_STATE: STATUS_ACCESS_DENIED "
	      "(0x%08lx), 5 (got %lu)", (unsigned long)status, error);
	check(values[0] == 10 && values[9] == 1,
	      "the refused STREAM_STARTs left the allocation as it was (10 ... 1)");
	error = stream_start(device, 1000, 10, event, &start);
	check(error == 0 && start.capacity == 128, "STREAM_START on two pages with an event: 0, capacity %u",
	      start.capacity);
	error = stream_start(device, 1000, 10, event, &start);
	check(error == ERROR_BUSY, "second STREAM_START: 170 (got %lu)", error);
	error = allocate(device, PAGE, &alloc);
	check(error == ERROR_BUSY, "ALLOCATE while streaming: 170 (got %lu)", error);
	check(stream_stop(device) == 0, "STREAM_STOP: 0");
	error = stream_start(device, 1000, 10, NULL, &start);
	check(error == ERROR_BUSY, "STREAM_START on a stopped stream: 170 until RELEASE (got %lu)", error);
	check(release(device) == 0, "RELEASE of the stopped stream: 0");
	error = stream_start(device, 1000, 10, event, &start);
	check(error == ERROR_BAD_COMMAND, "STREAM_START after RELEASE: 22 (got %lu)", error);
	CloseHandle(weak);
	CloseHandle(event);
	CloseHandle(file);
	CloseHandle(readonly);
	CloseHandle(device);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return run_child(argv[2]);
	if (argc != 1) {
		fprintf(stderr, "usage: stream-test\n");
		return 2;
	}
	{
		HANDLE device = open_device(GENERIC_READ | GENERIC_WRITE);

		if (device == INVALID_HANDLE_VALUE) {
			printf("FAIL the SharedMemory device does not open (error %lu)\n", GetLastError());
			printf("windows-stream: 0 passed, 1 failed, 0 skipped\n");
			return 1;
		}
		CloseHandle(device);
	}
	t_error_rows(argv[0]);
	t_layout_and_rate(100, TRUE);
	t_layout_and_rate(10, FALSE);
	t_high_rate(100000, 1000);
	t_high_rate(1000000, 10000);
	t_drops_and_gaps();
	t_read_consumer();
	t_faulted();
	t_four_streams();
	t_release_and_close_while_streaming();
	t_kill_while_streaming(argv[0]);
	check(totals_become_zero(), "at the end: totals zero");
	printf("windows-stream: %d passed, %d failed, 0 skipped\n", g_passed, g_failed);
	return g_failed == 0 ? 0 : 1;
}
