// SPDX-License-Identifier: GPL-2.0
/*
 * stream-test - drives the streaming half of /dev/sharedmemory (CONTRACT.md
 * section 5) as root in the test VM: the ring's layout, every record
 * verified (sequence, sample, check, timestamps against CLOCK_MONOTONIC),
 * drops and gaps adding up, poll wake-ups and POLLHUP, the read() consumer,
 * O_NONBLOCK, STOP, RELEASE/close/SIGKILL while streaming, four streams at
 * once, a consumer breaking the ring (FAULTED), and every error row of 5.4.
 * Closes with "stream: N passed, N failed" ("stream-32:" when built with
 * -m32, so the same scenarios go through the module's compat_ioctl).
 */
#include "scenario-harness.h"	/* first: it sets _GNU_SOURCE */

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>

/* The result line's name: the 32-bit build runs through compat_ioctl. */
#define PART_NAME (sizeof(void *) == 4 ? "stream-32" : "stream")

#define RECORD sizeof(struct shm_record)
/* 9 pages: a header page and 1024 records. */
#define RING_1024 (9 * PAGE)

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&t, &t) && errno == EINTR)
		;
}

static int stream_start(int fd, uint32_t rate, uint32_t batch, struct shm_stream_start *out)
{
	memset(out, 0, sizeof(*out));
	out->rate_hz = rate;
	out->batch = batch;
	return ioctl(fd, SHM_IOCTL_STREAM_START, out);
}

/* A consumer reading the ring in place, as the app does. */
struct ring_view {
	struct shm_ring *ring;
	const struct shm_record *records;
	uint32_t capacity;
	size_t length;
};

static uint64_t load_head(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->head, __ATOMIC_ACQUIRE);
}

static uint64_t load_tail(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->tail, __ATOMIC_RELAXED);
}

static void store_tail(struct ring_view *v, uint64_t tail)
{
	__atomic_store_n(&v->ring->tail, tail, __ATOMIC_RELEASE);
}

static uint32_t load_state(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->state, __ATOMIC_ACQUIRE);
}

static uint64_t load_dropped(const struct ring_view *v)
{
	return __atomic_load_n(&v->ring->dropped, __ATOMIC_ACQUIRE);
}

/* Allocates @size on @fd, maps it and starts a stream. */
static bool open_stream(int fd, size_t size, uint32_t rate, uint32_t batch,
			struct ring_view *v)
{
	struct shm_stream_start s;
	struct shm_allocate a;
	void *p;

	if (!allocate(fd, size, &a))
		return false;
	p = map(fd, a.mapped_size);
	if (p == MAP_FAILED)
		return false;
	if (stream_start(fd, rate, batch, &s)) {
		munmap(p, a.mapped_size);
		return false;
	}
	v->ring = p;
	v->records = (const struct shm_record *)((char *)p + s.data_offset);
	v->capacity = s.capacity;
	v->length = a.mapped_size;
	return true;
}

static void close_stream(int fd, struct ring_view *v)
{
	munmap(v->ring, v->length);
	close(fd);
}

/* Checks every record it is shown, in order; counts the sequence gaps. */
struct verifier {
	uint64_t started_ns;	/* CLOCK_MONOTONIC just before STREAM_START */
	uint64_t next_seq;
	uint64_t count;
	uint64_t gaps;
	uint64_t last_ts;
	char error[200];
};

static void verifier_init(struct verifier *v)
{
	memset(v, 0, sizeof(*v));
	v->started_ns = now_ns();
}

static bool verify(struct verifier *v, const struct shm_record *r, uint64_t seen_ns)
{
	if (v->error[0])
		return false;
	if (r->sequence < v->next_seq)
		snprintf(v->error, sizeof(v->error), "sequence %llu after %llu",
			 (unsigned long long)r->sequence, (unsigned long long)v->next_seq - 1);
	else if (r->sample != shm_stream_sample(r->sequence))
		snprintf(v->error, sizeof(v->error), "record %llu: sample %d, wanted %d",
			 (unsigned long long)r->sequence, r->sample, shm_stream_sample(r->sequence));
	else if (r->check != shm_stream_check(r->sequence, r->sample))
		snprintf(v->error, sizeof(v->error), "record %llu: check %#x",
			 (unsigned long long)r->sequence, r->check);
	else if (r->reserved)
		snprintf(v->error, sizeof(v->error), "record %llu: reserved %llu",
			 (unsigned long long)r->sequence, (unsigned long long)r->reserved);
	else if (r->timestamp_ns < v->last_ts || r->timestamp_ns < v->started_ns ||
		 r->timestamp_ns > seen_ns)
		snprintf(v->error, sizeof(v->error),
			 "record %llu: timestamp %llu outside [%llu, %llu] (previous %llu)",
			 (unsigned long long)r->sequence, (unsigned long long)r->timestamp_ns,
			 (unsigned long long)v->started_ns, (unsigned long long)seen_ns,
			 (unsigned long long)v->last_ts);
	if (v->error[0])
		return false;
	v->gaps += r->sequence - v->next_seq;
	v->next_seq = r->sequence + 1;
	v->last_ts = r->timestamp_ns;
	v->count++;
	return true;
}

/*
 * After STOP and a full drain: every skipped sequence number was counted in
 * dropped, and no record carries a number beyond those handed out (head +
 * dropped). The newest are the ones lost, so drops after the last record
 * written show as no gap: gaps can fall short of dropped, never exceed it.
 */
static bool accounted(struct verifier *ver, const struct ring_view *v)
{
	uint64_t head = load_head(v), dropped = load_dropped(v);

	if (ver->count == head && ver->gaps <= dropped && ver->next_seq <= head + dropped)
		return true;
	snprintf(ver->error, sizeof(ver->error),
		 "%llu records (head %llu), %llu gaps, %llu dropped, next sequence %llu",
		 (unsigned long long)ver->count, (unsigned long long)head,
		 (unsigned long long)ver->gaps, (unsigned long long)dropped,
		 (unsigned long long)ver->next_seq);
	return false;
}

/* Consumes every record published so far; false on a bad record. */
static bool consume(struct ring_view *v, struct verifier *ver)
{
	uint64_t head = load_head(v);
	uint64_t seen = now_ns();
	uint64_t tail = load_tail(v);

	for (; tail != head; tail++)
		if (!verify(ver, &v->records[tail & (v->capacity - 1)], seen))
			return false;
	store_tail(v, tail);
	return true;
}

/* Consumes for @ms, woken by poll(); false on a bad record or poll error. */
static bool consume_for(int fd, struct ring_view *v, struct verifier *ver, unsigned int ms)
{
	uint64_t until = now_ns() + ms * 1000000ull;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	while (now_ns() < until) {
		if (poll(&p, 1, 100) < 0)
			return false;
		if (!consume(v, ver))
			return false;
	}
	return true;
}

/* ---- scenarios ------------------------------------------------------- */

/* START's answer and the header it writes over the first page. */
static bool t_layout(void)
{
	static const struct { size_t size; uint32_t capacity; } cases[] = {
		{ 2 * PAGE, 128 }, { 3 * PAGE, 256 }, { 4 * PAGE, 256 }, { RING_1024, 1024 },
		{ MIB, 16384 }, { 16 * MIB + PAGE, 524288 },
	};
	struct shm_stream_start s;
	struct shm_allocate a;
	struct shm_inspect in;
	struct shm_ring *ring;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int fd = open_dev();

		CHECK(fd >= 0, "open");
		CHECK(allocate(fd, cases[i].size, &a), "ALLOCATE %zu", cases[i].size);
		ring = map(fd, PAGE);
		CHECK(ring != MAP_FAILED, "mmap");
		EXPECT_OK(stream_start(fd, 1000, 10, &s));
		CHECK(s.capacity == cases[i].capacity && s.record_size == 32 && s.data_offset == PAGE,
		      "size %zu: capacity %u, record_size %u, data_offset %llu", cases[i].size,
		      s.capacity, s.record_size, (unsigned long long)s.data_offset);
		CHECK(ring->magic == SHM_RING_MAGIC && ring->version == SHM_RING_VERSION &&
		      ring->record_size == 32 && ring->capacity == s.capacity &&
		      ring->data_offset == PAGE && ring->rate_hz == 1000 && ring->batch == 10 &&
		      ring->state == SHM_RING_RUNNING,
		      "header: magic %#x version %u record_size %u capacity %u data_offset %llu rate %u batch %u state %u",
		      ring->magic, ring->version, ring->record_size, ring->capacity,
		      (unsigned long long)ring->data_offset, ring->rate_hz, ring->batch, ring->state);
		/* INSPECT reads the kernel's view: the header, not the seed. */
		CHECK(inspect(fd, 0, 2, &in), "INSPECT while streaming: %s", strerror(errno));
		CHECK(in.values[0] == (SHM_RING_MAGIC & 0xffff) && in.values[1] == SHM_RING_MAGIC >> 16,
		      "INSPECT shows %#x %#x, not the magic", in.values[0], in.values[1]);
		EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
		munmap(ring, PAGE);
		close(fd);
	}
	return true;
}

/* Every record in order and verified; the average rate is kept. */
static bool t_ordering_and_rate(void)
{
	struct verifier ver;
	struct ring_view v;
	uint64_t t0, t1;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	verifier_init(&ver);
	t0 = now_ns();
	CHECK(open_stream(fd, MIB, 20000, 20, &v), "start: %s", strerror(errno));
	CHECK(consume_for(fd, &v, &ver, 1000), "%s", ver.error[0] ? ver.error : strerror(errno));
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	t1 = now_ns();
	CHECK(consume(&v, &ver), "%s", ver.error);
	/*
	 * A prompt consumer never fills the ring, but a tick more than four
	 * periods late (a loaded VM) loses records too.
	 */
	CHECK(accounted(&ver, &v), "%s", ver.error);
	/* Sequence numbers are due by elapsed time: never ahead of the clock. */
	CHECK(ver.next_seq <= (t1 - t0) * 20000 / 1000000000ull + 1 &&
	      ver.next_seq >= (t1 - t0) * 20000 / 1000000000ull / 2,
	      "sequence %llu after %.3f s at 20000/s", (unsigned long long)ver.next_seq,
	      (t1 - t0) / 1e9);
	close_stream(fd, &v);
	return true;
}

/* A stalled consumer: the ring fills, the newest are lost, gaps add up. */
static bool t_drops_and_gaps(void)
{
	struct verifier ver;
	struct ring_view v;
	uint64_t stalled;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	verifier_init(&ver);
	CHECK(open_stream(fd, RING_1024, 10000, 10, &v), "start: %s", strerror(errno));
	sleep_ms(300);	/* 3000 due, 1024 fit */
	CHECK(load_head(&v) == v.capacity, "head %llu after a stall, capacity %u",
	      (unsigned long long)load_head(&v), v.capacity);
	stalled = load_dropped(&v);
	CHECK(stalled > 0, "nothing dropped while the ring was full");
	/*
	 * The oldest stay: record 0 is still in slot 0, nothing was written over
	 * it. (A tick more than four periods late may also have lost some, so the
	 * 1024 kept are not always 0..1023.)
	 */
	CHECK(v.records[0].sequence == 0, "slot 0 holds record %llu after the stall",
	      (unsigned long long)v.records[0].sequence);
	CHECK(consume(&v, &ver), "%s", ver.error);
	CHECK(ver.count == v.capacity, "after the stall: %llu records, capacity %u",
	      (unsigned long long)ver.count, v.capacity);
	CHECK(consume_for(fd, &v, &ver, 300), "%s", ver.error[0] ? ver.error : strerror(errno));
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	CHECK(consume(&v, &ver), "%s", ver.error);
	CHECK(accounted(&ver, &v), "%s", ver.error);
	/* Records came after the stall, so each record it lost is a gap. */
	CHECK(ver.count > v.capacity && ver.gaps >= stalled,
	      "%llu gaps after %llu were dropped in the stall", (unsigned long long)ver.gaps,
	      (unsigned long long)stalled);
	close_stream(fd, &v);
	return true;
}

struct waiter {
	int fd;
	short events;
	int ready;
	uint64_t woke_ns;
	ssize_t read_result;
	int read_errno;
};

static void *poll_forever(void *arg)
{
	struct waiter *w = arg;
	struct pollfd p = { .fd = w->fd, .events = POLLIN };

	w->ready = poll(&p, 1, 10000);
	w->events = p.revents;
	w->woke_ns = now_ns();
	return NULL;
}

static void *read_blocking(void *arg)
{
	struct waiter *w = arg;
	struct shm_record r;

	errno = 0;
	w->read_result = read(w->fd, &r, sizeof(r));
	w->read_errno = errno;
	w->woke_ns = now_ns();
	return NULL;
}

/* poll/epoll: POLLIN while head != tail, POLLHUP unless running, wake-ups. */
static bool t_poll(void)
{
	struct pollfd p;
	struct waiter w;
	struct ring_view v;
	struct verifier ver;
	struct shm_allocate a;
	struct epoll_event ev = { .events = EPOLLIN }, got;
	pthread_t th;
	uint64_t t0;
	int ep, fd = open_dev();

	CHECK(fd >= 0, "open");
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLHUP, "nothing allocated: revents %#x", p.revents);
	CHECK(allocate(fd, RING_1024, &a), "ALLOCATE");
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLHUP, "allocated, no stream: revents %#x", p.revents);
	CHECK(munmap(map(fd, PAGE), PAGE) == 0, "mmap");
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));

	/* 100 records/s, one per tick: a sleeping poll() wakes for each. */
	verifier_init(&ver);
	CHECK(open_stream(fd, RING_1024, 100, 1, &v), "start: %s", strerror(errno));
	t0 = now_ns();
	CHECK(poll(&p, 1, 2000) == 1 && p.revents == POLLIN, "first record: revents %#x", p.revents);
	CHECK(now_ns() - t0 < 1000000000ull, "woken after %.3f s", (now_ns() - t0) / 1e9);
	CHECK(consume(&v, &ver), "%s", ver.error);
	CHECK(poll(&p, 1, 0) == 0 || load_head(&v) != load_tail(&v),
	      "POLLIN with nothing unread (revents %#x)", p.revents);
	for (int i = 0; i < 5; i++) {
		CHECK(poll(&p, 1, 2000) == 1 && p.revents == POLLIN, "wake-up %d: revents %#x", i, p.revents);
		CHECK(consume(&v, &ver), "%s", ver.error);
	}

	/* epoll reports the same. */
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0 && epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) == 0, "epoll: %s", strerror(errno));
	CHECK(epoll_wait(ep, &got, 1, 2000) == 1 && got.events == EPOLLIN, "epoll: events %#x", got.events);
	CHECK(consume(&v, &ver), "%s", ver.error);

	/* STOP wakes a sleeping poll() with POLLHUP. */
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	CHECK(consume(&v, &ver), "%s", ver.error);
	CHECK(epoll_wait(ep, &got, 1, 0) == 1 && got.events == EPOLLHUP, "stopped, epoll: %#x", got.events);
	close(ep);
	CHECK(poll(&p, 1, 0) == 1 && p.revents == POLLHUP, "stopped, drained: revents %#x", p.revents);
	munmap(v.ring, v.length);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));

	/* A poll() asleep on a stream of one record per second, then STOP. */
	CHECK(open_stream(fd, RING_1024, 1, 1, &v), "start: %s", strerror(errno));
	w = (struct waiter){ .fd = fd };
	CHECK(pthread_create(&th, NULL, poll_forever, &w) == 0, "pthread_create");
	sleep_ms(100);
	t0 = now_ns();
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	pthread_join(th, NULL);
	CHECK(w.ready == 1 && (w.events & POLLHUP), "poll woke with %d, revents %#x", w.ready, w.events);
	CHECK(w.woke_ns - t0 < 500000000ull, "poll woke %.3f s after STOP", (w.woke_ns - t0) / 1e9);
	close_stream(fd, &v);
	return true;
}

/* read() consumes whole records from tail and publishes tail. */
static bool t_read_consumer(void)
{
	struct shm_record recs[64];
	struct verifier ver;
	struct ring_view v;
	unsigned char small[RECORD + 8];
	ssize_t n;
	uint64_t until;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	verifier_init(&ver);
	CHECK(open_stream(fd, MIB, 10000, 10, &v), "start: %s", strerror(errno));
	EXPECT_ERRNO(read(fd, small, RECORD - 1), EINVAL);
	EXPECT_ERRNO(read(fd, small, 0), EINVAL);
	/* 40 bytes hold one whole record; the offset is ignored. */
	n = pread(fd, small, sizeof(small), 12345);
	CHECK(n == RECORD, "read of %zu bytes returned %zd (%s)", sizeof(small), n, strerror(errno));
	CHECK(verify(&ver, (struct shm_record *)small, now_ns()), "%s", ver.error);
	CHECK(load_tail(&v) == 1, "tail %llu after reading one record", (unsigned long long)load_tail(&v));
	until = now_ns() + 500000000ull;
	while (now_ns() < until) {
		n = read(fd, recs, sizeof(recs));
		CHECK(n > 0 && n % RECORD == 0, "read returned %zd (%s)", n, strerror(errno));
		for (ssize_t i = 0; i < n / (ssize_t)RECORD; i++)
			CHECK(verify(&ver, &recs[i], now_ns()), "%s", ver.error);
		CHECK(load_tail(&v) == ver.count, "tail %llu after %llu records read",
		      (unsigned long long)load_tail(&v), (unsigned long long)ver.count);
	}
	/* Stopped: the rest is still readable, then read() returns 0. */
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	while ((n = read(fd, recs, sizeof(recs))) > 0)
		for (ssize_t i = 0; i < n / (ssize_t)RECORD; i++)
			CHECK(verify(&ver, &recs[i], now_ns()), "%s", ver.error);
	CHECK(n == 0, "drained stopped stream: read returned %zd (%s)", n, strerror(errno));
	CHECK(accounted(&ver, &v), "%s", ver.error);
	close_stream(fd, &v);
	return true;
}

/* Blocking read() waits for a record and for STOP; O_NONBLOCK says EAGAIN. */
static bool t_blocking_and_nonblock(void)
{
	struct shm_record r;
	struct ring_view v;
	struct waiter w;
	pthread_t th;
	uint64_t t0;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	/* One record per second: the first is a second away. */
	CHECK(open_stream(fd, RING_1024, 1, 1, &v), "start: %s", strerror(errno));
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	EXPECT_ERRNO(read(fd, &r, sizeof(r)), EAGAIN);
	CHECK(fcntl(fd, F_SETFL, 0) == 0, "blocking again");
	t0 = now_ns();
	CHECK(read(fd, &r, sizeof(r)) == RECORD && r.sequence == 0,
	      "blocking read: %s, sequence %llu", strerror(errno), (unsigned long long)r.sequence);
	CHECK(now_ns() - t0 > 500000000ull, "the first record came after only %.3f s",
	      (now_ns() - t0) / 1e9);
	/* A reader asleep is woken by STOP and gets 0. */
	w = (struct waiter){ .fd = fd };
	CHECK(pthread_create(&th, NULL, read_blocking, &w) == 0, "pthread_create");
	sleep_ms(100);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	pthread_join(th, NULL);
	CHECK(w.read_result == 0 || (w.read_result == RECORD && read(fd, &r, sizeof(r)) == 0),
	      "reader asleep at STOP: %zd (%s)", w.read_result, strerror(w.read_errno));
	CHECK(fcntl(fd, F_SETFL, O_NONBLOCK) == 0, "O_NONBLOCK");
	CHECK(read(fd, &r, sizeof(r)) == 0, "O_NONBLOCK on a stopped, drained stream: not 0");
	close_stream(fd, &v);
	return true;
}

/* STOP: synchronous, head and dropped frozen, idempotent; state rows after. */
static bool t_stop(void)
{
	struct shm_stream_start s;
	struct shm_allocate a;
	struct ring_view v;
	uint64_t head, dropped;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(open_stream(fd, 2 * PAGE, 20000, 20, &v), "start: %s", strerror(errno));
	sleep_ms(200);	/* 128 records fit: it is full and dropping */
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	head = load_head(&v);
	dropped = load_dropped(&v);
	CHECK(load_state(&v) == SHM_RING_STOPPED, "state %u after STOP", load_state(&v));
	CHECK(head == v.capacity && dropped > 0, "head %llu dropped %llu",
	      (unsigned long long)head, (unsigned long long)dropped);
	store_tail(&v, head);	/* room again: a live producer would write */
	sleep_ms(100);
	CHECK(load_head(&v) == head && load_dropped(&v) == dropped, "head %llu->%llu dropped %llu->%llu after STOP",
	      (unsigned long long)head, (unsigned long long)load_head(&v),
	      (unsigned long long)dropped, (unsigned long long)load_dropped(&v));
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	CHECK(load_state(&v) == SHM_RING_STOPPED, "state %u after a second STOP", load_state(&v));
	EXPECT_ERRNO(stream_start(fd, 1000, 1, &s), EBUSY);
	a.size = PAGE;
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_ALLOCATE, &a), EBUSY);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), ENODATA);
	/* A new allocation has no stream until START. */
	CHECK(allocate(fd, 2 * PAGE, &a), "ALLOCATE again");
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), ENODATA);
	close_stream(fd, &v);
	return true;
}

/* RELEASE while streaming stops first; the mapping keeps the pages. */
static bool t_release_while_streaming(void)
{
	struct ring_view v;
	uint64_t head;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(open_stream(fd, MIB, 50000, 50, &v), "start: %s", strerror(errno));
	sleep_ms(50);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	head = load_head(&v);
	CHECK(load_state(&v) == SHM_RING_STOPPED, "state %u after RELEASE", load_state(&v));
	sleep_ms(50);
	CHECK(load_head(&v) == head && head > 0, "head %llu->%llu after RELEASE",
	      (unsigned long long)head, (unsigned long long)load_head(&v));
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), ENODATA);
	close_stream(fd, &v);
	return true;
}

/* Closing the fd, and unmapping, while the producer runs. */
static bool t_close_while_streaming(void)
{
	struct ring_view v;
	int fd;

	for (int i = 0; i < 20; i++) {
		fd = open_dev();
		CHECK(fd >= 0, "open");
		CHECK(open_stream(fd, MIB, 1000000, 1000, &v), "start: %s", strerror(errno));
		sleep_ms(i % 4);
		if (i % 2) {
			close_stream(fd, &v);
		} else {
			close(fd);	/* the mapping keeps the file: the stream lives */
			sleep_ms(1);
			munmap(v.ring, v.length);
		}
	}
	return true;
}

/* SIGKILL of a process streaming, blocked in read(), and in poll(). */
static bool t_sigkill_while_streaming(void)
{
	for (int mode = 0; mode < 3; mode++) {
		int ready[2];
		char c;
		pid_t pid;

		CHECK(pipe(ready) == 0, "pipe");
		pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			struct ring_view v;
			struct shm_record r;
			struct pollfd p;
			int fd = open_dev();

			if (fd < 0 || !open_stream(fd, MIB, mode == 0 ? 200000 : 1, mode == 0 ? 200 : 1, &v))
				_exit(1);
			if (write(ready[1], "r", 1) != 1)
				_exit(1);
			p = (struct pollfd){ .fd = fd, .events = POLLIN };
			for (;;) {
				if (mode == 1 && read(fd, &r, sizeof(r)) < 0)
					_exit(1);
				if (mode == 2)
					poll(&p, 1, -1);
				if (mode == 0)
					pause();
			}
		}
		close(ready[1]);
		CHECK(read(ready[0], &c, 1) == 1, "child %d did not start streaming", mode);
		close(ready[0]);
		sleep_ms(30);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, NULL, 0) == pid, "waitpid");
	}
	return true;
}

struct consumer_thread {
	uint32_t rate, batch;
	bool ok;
	char why[240];
	uint64_t count;
};

static void *consume_own_stream(void *arg)
{
	struct consumer_thread *c = arg;
	struct verifier ver;
	struct ring_view v;
	int fd = open_dev();

	verifier_init(&ver);
	if (fd < 0 || !open_stream(fd, MIB, c->rate, c->batch, &v)) {
		snprintf(c->why, sizeof(c->why), "start %u/s: %s", c->rate, strerror(errno));
		return NULL;
	}
	c->ok = consume_for(fd, &v, &ver, 700) &&
		ioctl(fd, SHM_IOCTL_STREAM_STOP) == 0 && consume(&v, &ver);
	c->ok = c->ok && accounted(&ver, &v) && ver.count > 0;
	if (!c->ok)
		snprintf(c->why, sizeof(c->why), "%u/s: %s", c->rate, ver.error);
	c->count = ver.count;
	close_stream(fd, &v);
	return NULL;
}

/* Four fds, four streams at four rates, each its own consumer. */
static bool t_four_streams(void)
{
	struct consumer_thread c[4] = {
		{ .rate = 100, .batch = 1 }, { .rate = 1000, .batch = 1 },
		{ .rate = 10000, .batch = 10 }, { .rate = 50000, .batch = 50 },
	};
	pthread_t th[4];

	for (int i = 0; i < 4; i++)
		CHECK(pthread_create(&th[i], NULL, consume_own_stream, &c[i]) == 0, "pthread_create");
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK(c[i].ok, "stream %d: %s", i, c[i].why);
	CHECK(c[0].count < c[1].count && c[1].count < c[2].count && c[2].count < c[3].count,
	      "counts %llu %llu %llu %llu do not follow the rates", (unsigned long long)c[0].count,
	      (unsigned long long)c[1].count, (unsigned long long)c[2].count,
	      (unsigned long long)c[3].count);
	return true;
}

/* Waits up to 1 s for the ring's state to become @state. */
static bool wait_state(const struct ring_view *v, uint32_t state)
{
	for (int i = 0; i < 100 && load_state(v) != state; i++)
		sleep_ms(10);
	return load_state(v) == state;
}

/* A consumer scribbling tail faults its stream, and only its stream. */
static bool t_faulted(void)
{
	static const int tails[] = { 0, 1, 2 };
	struct shm_record r;
	struct pollfd p;
	struct ring_view v, other;
	struct verifier ver;
	uint64_t head;
	int ofd = open_dev();

	CHECK(ofd >= 0, "open");
	verifier_init(&ver);
	CHECK(open_stream(ofd, MIB, 10000, 10, &other), "start the bystander: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		int fd = open_dev();

		CHECK(fd >= 0, "open");
		CHECK(open_stream(fd, RING_1024, 20000, 20, &v), "start: %s", strerror(errno));
		if (tails[i] == 0) {
			/* tail > head: records consumed that were never written. */
			store_tail(&v, load_head(&v) + 5);
		} else if (tails[i] == 1) {
			/* head - tail > capacity: consume ahead of a full lap, then step back. */
			for (int k = 0; k < 200 && load_head(&v) < 3ull * v.capacity; k++) {
				store_tail(&v, load_head(&v));
				sleep_ms(5);
			}
			CHECK(load_head(&v) >= 3ull * v.capacity, "head %llu", (unsigned long long)load_head(&v));
			store_tail(&v, 0);
		} else {
			store_tail(&v, ~0ull);
		}
		CHECK(wait_state(&v, SHM_RING_FAULTED), "case %d: state %u, not FAULTED", tails[i],
		      load_state(&v));
		head = load_head(&v);
		p = (struct pollfd){ .fd = fd, .events = POLLIN };
		CHECK(poll(&p, 1, 0) == 1 && (p.revents & POLLHUP), "faulted: revents %#x", p.revents);
		EXPECT_ERRNO(read(fd, &r, sizeof(r)), EIO);
		sleep_ms(20);
		CHECK(load_head(&v) == head, "head moved after FAULTED");
		EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
		CHECK(load_state(&v) == SHM_RING_FAULTED, "STOP changed FAULTED to %u", load_state(&v));
		close_stream(fd, &v);
		CHECK(consume(&other, &ver), "bystander: %s", ver.error);
	}
	/* read() seeing an impossible tail faults the stream too. */
	{
		int fd = open_dev();

		CHECK(fd >= 0, "open");
		CHECK(open_stream(fd, RING_1024, 1, 1, &v), "start: %s", strerror(errno));
		store_tail(&v, 7);
		EXPECT_ERRNO(read(fd, &r, sizeof(r)), EIO);
		CHECK(load_state(&v) == SHM_RING_FAULTED, "read of a broken ring left state %u",
		      load_state(&v));
		close_stream(fd, &v);
	}
	CHECK(load_state(&other) == SHM_RING_RUNNING, "the bystander's state is %u", load_state(&other));
	EXPECT_OK(ioctl(ofd, SHM_IOCTL_STREAM_STOP));
	CHECK(consume(&other, &ver) && accounted(&ver, &other) && ver.count > 0,
	      "bystander: %s", ver.error);
	close_stream(ofd, &other);
	return true;
}

/* A scribbled header: the driver keeps its own copy and rewrites it. */
static bool t_scribbled_header(void)
{
	struct verifier ver;
	struct ring_view v;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	verifier_init(&ver);
	CHECK(open_stream(fd, MIB, 10000, 10, &v), "start: %s", strerror(errno));
	CHECK(consume_for(fd, &v, &ver, 100), "%s", ver.error);
	v.ring->magic = 0;
	v.ring->version = 99;
	v.ring->record_size = 1;
	v.ring->capacity = 0xffffffffu;
	v.ring->data_offset = ~0ull;
	v.ring->state = 0;
	v.ring->dropped = 12345678;
	__atomic_store_n(&v.ring->head, ~0ull, __ATOMIC_RELEASE);
	/* The consumer keeps its own head now: the ring's is rewritten each tick. */
	sleep_ms(200);
	CHECK(load_state(&v) == SHM_RING_RUNNING && load_dropped(&v) != 12345678 &&
	      load_head(&v) != ~0ull, "state %u dropped %llu head %llu after scribbling",
	      load_state(&v), (unsigned long long)load_dropped(&v),
	      (unsigned long long)load_head(&v));
	CHECK(consume_for(fd, &v, &ver, 200), "%s", ver.error);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	CHECK(consume(&v, &ver) && accounted(&ver, &v), "%s", ver.error);
	close_stream(fd, &v);
	return true;
}

/* Every error row of 5.4, in the order sizes, parameters, state. */
static bool t_error_rows(void)
{
	static const struct { uint32_t rate, batch; uint64_t handle; } bad[] = {
		{ 0, 1, 0 },
		{ SHM_STREAM_MAX_RATE + 1, SHM_STREAM_MAX_BATCH, 0 },
		{ 1000, 0, 0 },
		{ 10, 11, 0 },
		{ SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_BATCH + 1, 0 },
		{ 10001, 1, 0 },
		{ 1000, 1, 4 },
	};
	struct shm_stream_start s;
	struct shm_allocate a;
	struct shm_inspect in;
	struct ring_view v;
	uint64_t small[2] = { 1000, 1 };
	void *ro;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_START, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, _IOWR('S', 0x04, uint64_t[2]), small), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOW('S', 0x05, uint64_t), small), ENOTTY);
	/* Parameters before state: nothing allocated is still EINVAL. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.rate_hz = bad[i].rate;
		s.batch = bad[i].batch;
		s.event_handle = bad[i].handle;
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_START, &s), EINVAL);
	}
	EXPECT_ERRNO(stream_start(fd, 1000, 1, &s), ENODATA);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), ENODATA);
	/* One page: nowhere to put records. */
	CHECK(allocate(fd, PAGE, &a), "ALLOCATE one page");
	EXPECT_ERRNO(stream_start(fd, 1000, 1, &s), EINVAL);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), ENODATA);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	/* A refused START changes nothing: the seed is still there. */
	CHECK(allocate(fd, 2 * PAGE, &a), "ALLOCATE two pages");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&s, 0, sizeof(s));
		s.rate_hz = bad[i].rate;
		s.batch = bad[i].batch;
		s.event_handle = bad[i].handle;
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_START, &s), EINVAL);
	}
	/* An answer that cannot be written back: EFAULT, and no stream. */
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED, "mmap anonymous");
	((struct shm_stream_start *)ro)->rate_hz = 1000;
	((struct shm_stream_start *)ro)->batch = 1;
	CHECK(mprotect(ro, PAGE, PROT_READ) == 0, "mprotect");
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_START, ro), EFAULT);
	munmap(ro, PAGE);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), ENODATA);
	CHECK(inspect(fd, 0, SHM_SEED_COUNT, &in), "INSPECT");
	for (int i = 0; i < SHM_SEED_COUNT; i++)
		CHECK(in.values[i] == SHM_SEED_COUNT - i, "seed value %d is %u after refused STARTs",
		      i, in.values[i]);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));

	/* The limits themselves are accepted; a second START is EBUSY. */
	CHECK(open_stream(fd, 2 * PAGE, SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_BATCH, &v),
	      "START at the maximum rate and batch: %s", strerror(errno));
	EXPECT_ERRNO(stream_start(fd, 1000, 1, &s), EBUSY);
	a.size = PAGE;
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_ALLOCATE, &a), EBUSY);
	sleep_ms(100);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_STREAM_STOP));
	CHECK(load_head(&v) == v.capacity && load_dropped(&v) > 0,
	      "at the maximum rate: head %llu dropped %llu", (unsigned long long)load_head(&v),
	      (unsigned long long)load_dropped(&v));
	munmap(v.ring, v.length);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	CHECK(open_stream(fd, 2 * PAGE, 10000, 1, &v), "rate = batch x 10000: %s", strerror(errno));
	munmap(v.ring, v.length);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	CHECK(open_stream(fd, 2 * PAGE, 5, 5, &v), "batch = rate: %s", strerror(errno));
	close_stream(fd, &v);
	return true;
}

/* STREAM_START and STREAM_STOP need a handle open for reading and writing. */
static bool t_access_mode(void)
{
	static const int modes[] = { O_RDONLY, O_WRONLY };
	struct shm_stream_start s;
	struct shm_allocate a;
	struct ring_view v;
	int rw = open_dev();

	CHECK(rw >= 0, "open");
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		int fd = open(SHM_LINUX_DEVICE_PATH, modes[i] | O_CLOEXEC);

		CHECK(fd >= 0, "open mode %d", modes[i]);
		/* Before any other check: bad parameters and no allocation are still EBADF. */
		EXPECT_ERRNO(stream_start(fd, 0, 0, &s), EBADF);
		EXPECT_ERRNO(stream_start(fd, 1000, 1, &s), EBADF);
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_START, NULL), EBADF);
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_STREAM_STOP), EBADF);
		close(fd);
	}
	/* The read-and-write handle streams as before. */
	CHECK(open_stream(rw, RING_1024, 1000, 10, &v), "start: %s", strerror(errno));
	EXPECT_OK(ioctl(rw, SHM_IOCTL_STREAM_STOP));
	a.size = PAGE;
	EXPECT_ERRNO(ioctl(rw, SHM_IOCTL_ALLOCATE, &a), EBUSY);
	close_stream(rw, &v);
	return true;
}

static const struct scenario scenarios[] = {
	{ "START: capacity, record size, data offset and the ring header", t_layout },
	{ "records in order, every one verified, at the set rate", t_ordering_and_rate },
	{ "stalled consumer: ring full, newest dropped, gaps add up to dropped", t_drops_and_gaps },
	{ "poll/epoll: POLLIN per tick, POLLHUP without a running stream, STOP wakes", t_poll },
	{ "read(): whole records from tail, EINVAL below 32, 0 once stopped", t_read_consumer },
	{ "blocking read waits for a record and for STOP; O_NONBLOCK is EAGAIN", t_blocking_and_nonblock },
	{ "STOP: head and dropped frozen, idempotent, then EBUSY/ENODATA rows", t_stop },
	{ "RELEASE while streaming stops the producer first", t_release_while_streaming },
	{ "close and munmap while streaming (20 rounds)", t_close_while_streaming },
	{ "SIGKILL while streaming, blocked in read(), blocked in poll()", t_sigkill_while_streaming },
	{ "four streams at once on four fds", t_four_streams },
	{ "FAULTED: impossible tails stop only that stream; read() is EIO", t_faulted },
	{ "a scribbled ring header is rewritten from the driver's own copy", t_scribbled_header },
	{ "error rows of 5.4: EFAULT, ENOTTY, EINVAL, ENODATA, one page, EBUSY", t_error_rows },
	{ "read-only and write-only handles: STREAM_START and STREAM_STOP are EBADF first", t_access_mode },
};

int main(int argc, char **argv)
{
	return run_scenarios(PART_NAME, scenarios, sizeof(scenarios) / sizeof(scenarios[0]),
			     argc > 1 ? argv[1] : NULL);
}
