// SPDX-License-Identifier: MIT
/*
 * shm-bench - the native half of the SharedMemory benchmarks.
 *
 * Each subcommand times one thing against /dev/sharedmemory (or plain user
 * memory, for the references) and prints raw timings as one JSON document on
 * stdout. Statistics, fits, tables and plots are computed by the Node side
 * (bench/lib/), so every figure is summarised the same way whatever measured it.
 *
 *   shm-bench query  BATCH BATCHES RUNS WARMUP  QUERY round trip, timed in batches
 *   shm-bench alloc  RUNS WARMUP SIZE...        ALLOCATE+mmap+touch+munmap+RELEASE
 *   shm-bench memset RUNS WARMUP SIZE...        user-space zeroing references
 *   shm-bench read   RUNS WARMUP SIZE...        data path: mapping, pread, memcpy,
 *                                               warm and one-shot
 *   shm-bench stream ring|read RATE SECONDS  a stream consumed in place (woken by
 *                                            poll) or with read(): records, drops,
 *                                            the consumer's CPU time (getrusage)
 *   shm-bench stream-latency RATE BATCH SECONDS
 *                                            timestamp_ns to the consumer, per record
 *                                            (on CPU 0, where the producer's timer runs)
 *   shm-bench wakeup same|cross ROUNDS       the floor: one thread waking another
 *                                            through an eventfd, per round, both on
 *                                            CPU 0 or on CPUs 0 and 1
 *
 * Options: --device PATH (default /dev/sharedmemory).
 * Exit status: 0 on success, 1 on any failed call or failed check (the message
 * on stderr names the call and errno), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "sharedmemory_ioctl.h"

#define MAX_SIZES 64
#define MIB (1024ull * 1024ull)

static const char *device_path = SHM_LINUX_DEVICE_PATH;

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "shm-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static void die_errno(const char *what)
{
	int err = errno;

	die("%s failed: %s (errno %d)", what, strerror(err), err);
}

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
	fprintf(stderr,
		"usage: shm-bench [--device PATH] query BATCH BATCHES RUNS WARMUP\n"
		"       shm-bench [--device PATH] alloc|memset|read RUNS WARMUP SIZE...\n"
		"       shm-bench [--device PATH] stream ring|read RATE SECONDS\n"
		"       shm-bench [--device PATH] stream-latency RATE BATCH SECONDS\n"
		"       shm-bench wakeup same|cross ROUNDS\n"
		"SIZE in bytes, a positive multiple of 4096.\n");
	exit(2);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t parse_u64(const char *text, const char *what, uint64_t min)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min) {
		fprintf(stderr, "shm-bench: %s must be an integer >= %" PRIu64 ", got \"%s\"\n",
			what, min, text);
		exit(2);
	}
	return v;
}

static int parse_sizes(int argc, char **argv, uint64_t *sizes)
{
	int n = 0;

	if (argc < 1 || argc > MAX_SIZES)
		usage();
	for (; n < argc; n++) {
		sizes[n] = parse_u64(argv[n], "SIZE", 4096);
		if (sizes[n] % 4096) {
			fprintf(stderr, "shm-bench: SIZE %" PRIu64 " is not a multiple of 4096\n",
				sizes[n]);
			exit(2);
		}
	}
	return n;
}

static uint64_t max_of(const uint64_t *v, int n)
{
	uint64_t m = 0;

	for (int i = 0; i < n; i++)
		if (v[i] > m)
			m = v[i];
	return m;
}

static int open_device(void)
{
	int fd = open(device_path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s failed: %s (errno %d)", device_path, strerror(errno), errno);
	return fd;
}

static void device_allocate(int fd, uint64_t size, struct shm_allocate *out)
{
	memset(out, 0, sizeof(*out));
	out->size = size;
	if (ioctl(fd, SHM_IOCTL_ALLOCATE, out) < 0)
		die("SHM_IOCTL_ALLOCATE of %" PRIu64 " bytes failed: %s (errno %d); "
		    "is the module loaded with max_size and total_cap large enough?",
		    size, strerror(errno), errno);
	if (out->mapped_size < size)
		die("ALLOCATE of %" PRIu64 " bytes returned mapped_size %" PRIu64,
		    size, (uint64_t)out->mapped_size);
}

static void device_release(int fd)
{
	if (ioctl(fd, SHM_IOCTL_RELEASE) < 0)
		die_errno("SHM_IOCTL_RELEASE");
}

static void *map_shared(int fd, uint64_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_SHARED, fd, 0);

	if (p == MAP_FAILED)
		die_errno("mmap of the device");
	return p;
}

/* The first ten u16 of a fresh allocation are 10, 9, ..., 1 (CONTRACT.md). */
static void check_seed(const volatile uint16_t *p, uint64_t size)
{
	for (int i = 0; i < SHM_SEED_COUNT; i++)
		if (p[i] != SHM_SEED_COUNT - i)
			die("fresh allocation of %" PRIu64 " bytes: u16[%d] is %u, expected %d",
			    size, i, p[i], SHM_SEED_COUNT - i);
}

/*
 * The consumer's read: a wrapping 32-bit sum of every 32-bit word. The Node
 * side computes the same sum, so every path must agree on it, and the result
 * is printed so the compiler cannot drop the loop.
 */
static uint32_t sum32(const void *buf, uint64_t bytes)
{
	const uint32_t *w = buf;
	uint64_t n = bytes / 4;
	uint32_t s = 0;

	for (uint64_t i = 0; i < n; i++)
		s += w[i];
	return s;
}

/* Word i holds i * 2654435761 (mod 2^32): cheap, and no two pages alike. */
static void fill_pattern(void *buf, uint64_t bytes)
{
	uint32_t *w = buf;
	uint64_t n = bytes / 4;

	for (uint64_t i = 0; i < n; i++)
		w[i] = (uint32_t)i * 2654435761u;
}

static void pread_all(int fd, void *buf, uint64_t bytes)
{
	uint64_t done = 0;

	while (done < bytes) {
		ssize_t got = pread(fd, (char *)buf + done, bytes - done, (off_t)done);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			die_errno("pread on the device");
		}
		if (got == 0)
			die("pread on the device: end of data at %" PRIu64 " of %" PRIu64 " bytes",
			    done, bytes);
		done += (uint64_t)got;
	}
}

static void *user_buffer(uint64_t bytes)
{
	void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die_errno("mmap of a user buffer");
	/* Fault every page in now, so no later timing pays for it. */
	memset(p, 0, bytes);
	return p;
}

/*
 * QUERY, timed in batches: each sample is BATCH back-to-back ioctls, so the
 * clock's own cost (reported too) is spread over BATCH calls. A run is BATCHES
 * samples; samples are printed in ns per batch.
 */
static void bench_query(uint64_t batch, uint64_t batches, uint64_t runs, uint64_t warmup)
{
	int fd = open_device();
	struct shm_device_info info;
	uint64_t *samples = calloc(batches, sizeof(*samples));
	uint64_t overhead = UINT64_MAX;

	if (!samples)
		die("out of memory for %" PRIu64 " samples", batches);
	for (uint64_t i = 0; i < warmup; i++)
		if (ioctl(fd, SHM_IOCTL_QUERY, &info) < 0)
			die_errno("SHM_IOCTL_QUERY");
	if (ioctl(fd, SHM_IOCTL_QUERY, &info) < 0)
		die_errno("SHM_IOCTL_QUERY");
	if (info.abi_version != SHM_ABI_VERSION)
		die("QUERY: abi_version %u, expected %u", info.abi_version, SHM_ABI_VERSION);
	/* Smallest back-to-back clock read: the floor under every sample. */
	for (int i = 0; i < 1000; i++) {
		uint64_t t0 = now_ns(), t1 = now_ns();

		if (t1 - t0 < overhead)
			overhead = t1 - t0;
	}
	printf("{\"bench\":\"query\",\"language\":\"c\",\"timerOverheadNs\":%" PRIu64
	       ",\"batch\":%" PRIu64 ",\"runs\":[", overhead, batch);
	for (uint64_t r = 0; r < runs; r++) {
		for (uint64_t b = 0; b < batches; b++) {
			uint64_t t0 = now_ns();

			for (uint64_t i = 0; i < batch; i++)
				if (ioctl(fd, SHM_IOCTL_QUERY, &info) < 0)
					die_errno("SHM_IOCTL_QUERY");
			samples[b] = now_ns() - t0;
		}
		printf("%s[", r ? "," : "");
		for (uint64_t b = 0; b < batches; b++)
			printf("%s%" PRIu64, b ? "," : "", samples[b]);
		printf("]");
	}
	printf("]}\n");
	free(samples);
	close(fd);
}

struct alloc_times {
	uint64_t allocate, map, touch, unmap, release, total;
};

static struct alloc_times alloc_cycle(int fd, uint64_t size, uint64_t page)
{
	struct alloc_times t;
	struct shm_allocate a;
	uint64_t t0, t1, t2, t3, t4, t5;
	volatile uint8_t *p;
	uint8_t sink = 0;

	t0 = now_ns();
	device_allocate(fd, size, &a);
	t1 = now_ns();
	p = map_shared(fd, a.mapped_size, PROT_READ | PROT_WRITE);
	t2 = now_ns();
	/* First touch: one write per page, so a lazily-mapping driver pays its faults here. */
	for (uint64_t off = 0; off < a.mapped_size; off += page) {
		sink ^= p[off + page - 1];
		p[off + page - 1] = sink;
	}
	t3 = now_ns();
	if (munmap((void *)p, a.mapped_size) < 0)
		die_errno("munmap of the device mapping");
	t4 = now_ns();
	device_release(fd);
	t5 = now_ns();
	t.allocate = t1 - t0;
	t.map = t2 - t1;
	t.touch = t3 - t2;
	t.unmap = t4 - t3;
	t.release = t5 - t4;
	t.total = t5 - t0;
	return t;
}

/*
 * The size sweeps run in rounds: each round measures every size once, so a
 * burst of load on the host slows one round of all sizes rather than every
 * run of one size (which would bend the fit of time against size).
 */
static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);

	if (!p)
		die("out of memory for %zu results", n);
	return p;
}

static void print_alloc_times(const struct alloc_times *x, int first)
{
	printf("%s{\"allocate\":%" PRIu64 ",\"map\":%" PRIu64 ",\"touch\":%" PRIu64
	       ",\"unmap\":%" PRIu64 ",\"release\":%" PRIu64 ",\"total\":%" PRIu64 "}",
	       first ? "" : ",", x->allocate, x->map, x->touch, x->unmap, x->release, x->total);
}

static void bench_alloc(uint64_t runs, uint64_t warmup, const uint64_t *sizes, int nsizes)
{
	int fd = open_device();
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	struct alloc_times *t = xcalloc((size_t)nsizes * runs, sizeof(*t));
	struct alloc_times *t_first = xcalloc(runs, sizeof(*t_first));

	/* Check the seed once per size, outside the timed cycles. */
	for (int s = 0; s < nsizes; s++) {
		struct shm_allocate a;
		const uint16_t *p;

		device_allocate(fd, sizes[s], &a);
		p = map_shared(fd, a.mapped_size, PROT_READ);
		check_seed(p, sizes[s]);
		if (munmap((void *)p, a.mapped_size) < 0)
			die_errno("munmap of the device mapping");
		device_release(fd);
	}
	for (uint64_t r = 0; r < warmup + runs; r++) {
		/*
		 * Each round opens with an extra cycle of the first size, right after
		 * the previous round's last (largest) one (or the seed checks): kept
		 * apart, so the size's own point is measured after a cycle of its own
		 * size and what the large cycle leaves behind is measured, not guessed.
		 */
		struct alloc_times first = alloc_cycle(fd, sizes[0], page);

		if (r >= warmup)
			t_first[r - warmup] = first;
		for (int s = 0; s < nsizes; s++) {
			struct alloc_times x = alloc_cycle(fd, sizes[s], page);

			if (r >= warmup)
				t[(size_t)s * runs + (r - warmup)] = x;
		}
	}
	printf("{\"bench\":\"alloc\",\"pageSize\":%" PRIu64 ",\"firstOfRound\":{\"size\":%" PRIu64
	       ",\"runs\":[", page, sizes[0]);
	for (uint64_t r = 0; r < runs; r++)
		print_alloc_times(&t_first[r], r == 0);
	printf("]},\"sizes\":[");
	for (int s = 0; s < nsizes; s++) {
		printf("%s{\"size\":%" PRIu64 ",\"runs\":[", s ? "," : "", sizes[s]);
		for (uint64_t r = 0; r < runs; r++)
			print_alloc_times(&t[(size_t)s * runs + r], r == 0);
		printf("]}");
	}
	printf("]}\n");
	free(t);
	free(t_first);
	close(fd);
}

/*
 * User-space references for the allocation cost: memset of an already-faulted
 * buffer (pure zeroing, the floor), and an anonymous mmap + first-touch write +
 * munmap (the kernel zero-fills each page on its fault).
 */
struct memset_times {
	uint64_t memset, anon_touch;
};

static void bench_memset(uint64_t runs, uint64_t warmup, const uint64_t *sizes, int nsizes)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint8_t *buf = user_buffer(max_of(sizes, nsizes));
	struct memset_times *t = xcalloc((size_t)nsizes * runs, sizeof(*t));

	for (uint64_t r = 0; r < warmup + runs; r++) {
		for (int s = 0; s < nsizes; s++) {
			uint64_t size = sizes[s], t0, t1, t2;
			volatile uint8_t *anon;

			t0 = now_ns();
			memset(buf, (int)(r & 0xff), size);
			/* Keep the memset: the compiler may not prove it dead. */
			__asm__ volatile("" : : "r"(buf) : "memory");
			t1 = now_ns();
			anon = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				    -1, 0);
			if (anon == MAP_FAILED)
				die_errno("anonymous mmap");
			for (uint64_t off = 0; off < size; off += page)
				anon[off] = 1;
			if (munmap((void *)anon, size) < 0)
				die_errno("munmap of the anonymous mapping");
			t2 = now_ns();
			if (r >= warmup) {
				t[(size_t)s * runs + (r - warmup)].memset = t1 - t0;
				t[(size_t)s * runs + (r - warmup)].anon_touch = t2 - t1;
			}
		}
	}
	printf("{\"bench\":\"memset\",\"sizes\":[");
	for (int s = 0; s < nsizes; s++) {
		printf("%s{\"size\":%" PRIu64 ",\"runs\":[", s ? "," : "", sizes[s]);
		for (uint64_t r = 0; r < runs; r++) {
			const struct memset_times *x = &t[(size_t)s * runs + r];

			printf("%s{\"memset\":%" PRIu64 ",\"anonTouch\":%" PRIu64 "}",
			       r ? "," : "", x->memset, x->anon_touch);
		}
		printf("]}");
	}
	printf("]}\n");
	free(t);
	munmap(buf, max_of(sizes, nsizes));
}

/*
 * The data path. One allocation of the largest size, filled with a pattern
 * through the mapping; then, per size and run:
 *   mappedSum  sum of every word, read in place through the mapping (zero copy)
 *   preadSum   pread into a user buffer (the copy path), then the same sum
 *   preadOnly  the pread alone
 *   memcpy     memcpy between two user buffers (context: loads and stores)
 *   userSum    the same sum over an ordinary user buffer (the reference)
 * and the one-shot cost of reading N bytes once, set-up included:
 *   mapOnce    mmap of N bytes of the allocation + the sum + munmap
 *   preadFresh a newly mapped user buffer + pread into it (its pages fault in
 *              during the copy) + the sum + munmap
 * Every sum must agree, or the run fails.
 */
struct read_times {
	uint64_t mapped_sum, pread_sum, pread_only, memcpy, user_sum, map_once, pread_fresh;
	uint32_t checksum;
};

static uint32_t timed_sum32(const void *buf, uint64_t bytes, uint64_t *ns)
{
	uint64_t t0 = now_ns();
	uint32_t s = sum32(buf, bytes);

	*ns = now_ns() - t0;
	return s;
}

static uint32_t sum_mapped_once(int fd, uint64_t size)
{
	void *p = map_shared(fd, size, PROT_READ);
	uint32_t s = sum32(p, size);

	if (munmap(p, size) < 0)
		die_errno("munmap of the device mapping");
	return s;
}

static uint32_t sum_pread_fresh(int fd, uint64_t size)
{
	void *buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint32_t s;

	if (buf == MAP_FAILED)
		die_errno("mmap of a user buffer");
	pread_all(fd, buf, size);
	s = sum32(buf, size);
	if (munmap(buf, size) < 0)
		die_errno("munmap of a user buffer");
	return s;
}

static void bench_read(uint64_t runs, uint64_t warmup, const uint64_t *sizes, int nsizes)
{
	uint64_t max = max_of(sizes, nsizes);
	int fd = open_device();
	struct shm_allocate a;
	uint8_t *map, *dst, *src;
	struct read_times *t = xcalloc((size_t)nsizes * runs, sizeof(*t));

	device_allocate(fd, max, &a);
	map = map_shared(fd, a.mapped_size, PROT_READ | PROT_WRITE);
	check_seed((const uint16_t *)map, max);
	fill_pattern(map, max);
	dst = user_buffer(max);
	src = user_buffer(max);
	fill_pattern(src, max);

	for (uint64_t r = 0; r < warmup + runs; r++) {
		for (int s = 0; s < nsizes; s++) {
			uint64_t size = sizes[s], t2, t3, t4, t5, t6, t7, mapped_ns, user_ns;
			uint32_t mapped_sum, pread_sum, user_sum, once_sum, fresh_sum;

			/*
			 * The read in place and its reference first, before anything
			 * else of this size touches memory (a memcpy from src just
			 * before would leave it in the host's cache), in turns: odd
			 * rounds read the user buffer first.
			 */
			if (r % 2) {
				user_sum = timed_sum32(src, size, &user_ns);
				mapped_sum = timed_sum32(map, size, &mapped_ns);
			} else {
				mapped_sum = timed_sum32(map, size, &mapped_ns);
				user_sum = timed_sum32(src, size, &user_ns);
			}
			/* Clear the target so a pread that copied nothing cannot pass the check. */
			memset(dst, 0, size);
			t2 = now_ns();
			pread_all(fd, dst, size);
			t3 = now_ns();
			pread_sum = sum32(dst, size);
			t4 = now_ns();
			memcpy(dst, src, size);
			__asm__ volatile("" : : "r"(dst) : "memory");
			t5 = now_ns();
			once_sum = sum_mapped_once(fd, size);
			t6 = now_ns();
			fresh_sum = sum_pread_fresh(fd, size);
			t7 = now_ns();
			if (mapped_sum != pread_sum || mapped_sum != user_sum || mapped_sum != once_sum ||
			    mapped_sum != fresh_sum)
				die("read %" PRIu64 " bytes: sums differ: mapped %u, pread %u, user %u, "
				    "mapped once %u, pread into a new buffer %u",
				    size, mapped_sum, pread_sum, user_sum, once_sum, fresh_sum);
			if (r >= warmup)
				t[(size_t)s * runs + (r - warmup)] = (struct read_times){
					.mapped_sum = mapped_ns,
					.pread_sum = t4 - t2,
					.pread_only = t3 - t2,
					.memcpy = t5 - t4,
					.user_sum = user_ns,
					.map_once = t6 - t5,
					.pread_fresh = t7 - t6,
					.checksum = mapped_sum,
				};
		}
	}
	printf("{\"bench\":\"read\",\"sizes\":[");
	for (int s = 0; s < nsizes; s++) {
		printf("%s{\"size\":%" PRIu64 ",\"runs\":[", s ? "," : "", sizes[s]);
		for (uint64_t r = 0; r < runs; r++) {
			const struct read_times *x = &t[(size_t)s * runs + r];

			printf("%s{\"mappedSum\":%" PRIu64 ",\"preadSum\":%" PRIu64
			       ",\"preadOnly\":%" PRIu64 ",\"memcpy\":%" PRIu64
			       ",\"userSum\":%" PRIu64 ",\"mapOnce\":%" PRIu64
			       ",\"preadFresh\":%" PRIu64 ",\"checksum\":%u}",
			       r ? "," : "", x->mapped_sum, x->pread_sum, x->pread_only, x->memcpy,
			       x->user_sum, x->map_once, x->pread_fresh, x->checksum);
		}
		printf("]}");
	}
	printf("]}\n");
	free(t);
	munmap(dst, max);
	munmap(src, max);
	munmap(map, a.mapped_size);
	device_release(fd);
	close(fd);
}

/* ---- Streaming (CONTRACT.md section 5) ---------------------------------- */

/* A stream on its own fd, mapped: the ring header and the records. */
struct stream {
	int fd;
	struct shm_ring *ring;
	const struct shm_record *records;
	uint32_t capacity;
	uint64_t mapped;
	uint64_t bad;		/* records that failed verification */
	uint64_t next_seq;
};

/* 100 ticks a second where the batch limit allows: late ticks catch up. */
static uint32_t stream_batch(uint32_t rate)
{
	uint32_t batch = (rate + 99) / 100;

	return batch > SHM_STREAM_MAX_BATCH ? SHM_STREAM_MAX_BATCH : batch;
}

/* A ring holding ~100 ms at @rate (at least 1024 records, at most 2^20). */
static void stream_open(struct stream *st, uint32_t rate, uint32_t batch)
{
	struct shm_stream_start req = { .rate_hz = rate, .batch = batch };
	uint64_t records = 1024;
	struct shm_allocate a;

	while (records < rate / 10 && records < (1u << 20))
		records *= 2;
	memset(st, 0, sizeof(*st));
	st->fd = open_device();
	device_allocate(st->fd, 4096 + records * sizeof(struct shm_record), &a);
	st->mapped = a.mapped_size;
	st->ring = map_shared(st->fd, a.mapped_size, PROT_READ | PROT_WRITE);
	if (ioctl(st->fd, SHM_IOCTL_STREAM_START, &req) < 0)
		die("SHM_IOCTL_STREAM_START at %u/s, batch %u failed: %s (errno %d)", rate, batch,
		    strerror(errno), errno);
	st->records = (const struct shm_record *)((const char *)st->ring + req.data_offset);
	st->capacity = req.capacity;
}

static void stream_close(struct stream *st)
{
	munmap(st->ring, st->mapped);
	close(st->fd);
}

/* What every consumer does with a record: check it is the one it claims. */
static void stream_verify(struct stream *st, const struct shm_record *r)
{
	if (r->sequence < st->next_seq || r->sample != shm_stream_sample(r->sequence) ||
	    r->check != shm_stream_check(r->sequence, r->sample))
		st->bad++;
	st->next_seq = r->sequence + 1;
}

static uint64_t cpu_ns_of_this_thread(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_THREAD, &ru))
		die_errno("getrusage(RUSAGE_THREAD)");
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

/* Waits for records with poll(), consumes them in place; returns how many. */
static uint64_t consume_ring(struct stream *st, uint64_t *backlog)
{
	struct pollfd p = { .fd = st->fd, .events = POLLIN };
	uint64_t head, tail;

	if (poll(&p, 1, 100) < 0)
		die_errno("poll");
	head = __atomic_load_n(&st->ring->head, __ATOMIC_ACQUIRE);
	tail = st->ring->tail;
	if (head - tail > *backlog)
		*backlog = head - tail;
	for (uint64_t i = tail; i != head; i++)
		stream_verify(st, &st->records[i & (st->capacity - 1)]);
	__atomic_store_n(&st->ring->tail, head, __ATOMIC_RELEASE);
	return head - tail;
}

/* One read() of up to @n records into @buf; returns how many. */
static uint64_t consume_read(struct stream *st, struct shm_record *buf, size_t n,
			     uint64_t *backlog)
{
	/* The backlog as the ring shows it, for the same measure as in place. */
	uint64_t behind = __atomic_load_n(&st->ring->head, __ATOMIC_ACQUIRE) - st->ring->tail;
	ssize_t got = read(st->fd, buf, n * sizeof(*buf));

	if (behind > *backlog)
		*backlog = behind;
	if (got < 0)
		die_errno("read of the stream");
	for (ssize_t i = 0; i < got / (ssize_t)sizeof(*buf); i++)
		stream_verify(st, &buf[i]);
	return (uint64_t)got / sizeof(*buf);
}

static void bench_stream(const char *consumer, uint32_t rate, uint64_t seconds)
{
	static struct shm_record buf[4096];
	uint32_t batch = stream_batch(rate);
	bool ring = !strcmp(consumer, "ring");
	uint64_t records = 0, backlog = 0, t0, t1, cpu0, cpu1, until, dropped;
	struct stream st;

	stream_open(&st, rate, batch);
	cpu0 = cpu_ns_of_this_thread();
	t0 = now_ns();
	until = t0 + seconds * 1000000000ull;
	while (now_ns() < until)
		records += ring ? consume_ring(&st, &backlog)
				: consume_read(&st, buf, sizeof(buf) / sizeof(buf[0]), &backlog);
	cpu1 = cpu_ns_of_this_thread();
	t1 = now_ns();
	if (ioctl(st.fd, SHM_IOCTL_STREAM_STOP) < 0)
		die_errno("SHM_IOCTL_STREAM_STOP");
	dropped = __atomic_load_n(&st.ring->dropped, __ATOMIC_ACQUIRE);
	printf("{\"consumer\":\"%s\",\"rate\":%u,\"batch\":%u,\"capacity\":%u,\"seconds\":%.6f,"
	       "\"records\":%" PRIu64 ",\"head\":%" PRIu64 ",\"dropped\":%" PRIu64
	       ",\"maxBacklog\":%" PRIu64 ",\"cpuNs\":%" PRIu64 ",\"badRecords\":%" PRIu64 "}\n",
	       consumer, rate, batch, st.capacity, (t1 - t0) / 1e9, records,
	       (uint64_t)st.ring->head, dropped, backlog, cpu1 - cpu0, st.bad);
	stream_close(&st);
	if (st.bad)
		die("%" PRIu64 " records failed verification", st.bad);
}

/* Runs the calling thread on @cpu only. */
static void pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity to CPU %d failed: %s (errno %d)", cpu, strerror(errno), errno);
}

/*
 * Per record: CLOCK_MONOTONIC when the consumer sees it minus timestamp_ns.
 * START runs on CPU 0, so the producer's hrtimer does too, and the consumer
 * is woken where it sleeps, as the "same" wake-up floor measures.
 */
static void bench_stream_latency(uint32_t rate, uint32_t batch, uint64_t seconds)
{
	uint64_t max = (uint64_t)rate * seconds + batch, n = 0, until;
	uint64_t *lat = xcalloc(max, sizeof(*lat));
	struct pollfd p;
	struct stream st;

	pin_to_cpu(0);
	stream_open(&st, rate, batch);
	p = (struct pollfd){ .fd = st.fd, .events = POLLIN };
	until = now_ns() + seconds * 1000000000ull;
	while (now_ns() < until && n < max) {
		uint64_t head, tail, seen;

		if (poll(&p, 1, 100) < 0)
			die_errno("poll");
		head = __atomic_load_n(&st.ring->head, __ATOMIC_ACQUIRE);
		seen = now_ns();
		for (tail = st.ring->tail; tail != head && n < max; tail++) {
			const struct shm_record *r = &st.records[tail & (st.capacity - 1)];

			stream_verify(&st, r);
			lat[n++] = seen - r->timestamp_ns;
		}
		__atomic_store_n(&st.ring->tail, tail, __ATOMIC_RELEASE);
	}
	if (ioctl(st.fd, SHM_IOCTL_STREAM_STOP) < 0)
		die_errno("SHM_IOCTL_STREAM_STOP");
	printf("{\"rate\":%u,\"batch\":%u,\"dropped\":%" PRIu64 ",\"badRecords\":%" PRIu64
	       ",\"latencyNs\":[", rate, batch, (uint64_t)st.ring->dropped, st.bad);
	for (uint64_t i = 0; i < n; i++)
		printf("%s%" PRIu64, i ? "," : "", lat[i]);
	printf("]}\n");
	stream_close(&st);
	free(lat);
	if (st.bad)
		die("%" PRIu64 " records failed verification", st.bad);
}

struct wakeup {
	int ping, pong;
	int sleeper_cpu;
	uint64_t rounds;
	uint64_t sent_ns;	/* written before each ping, read after the wake-up */
	uint64_t *lat;
};

/* The sleeper: poll() then read(), as a stream consumer waits. */
static void *wakeup_sleeper(void *arg)
{
	struct wakeup *w = arg;
	struct pollfd p = { .fd = w->ping, .events = POLLIN };
	uint64_t v;

	pin_to_cpu(w->sleeper_cpu);
	for (uint64_t i = 0; i < w->rounds; i++) {
		if (poll(&p, 1, -1) < 0 || read(w->ping, &v, sizeof(v)) != sizeof(v))
			die_errno("eventfd read");
		w->lat[i] = now_ns() - __atomic_load_n(&w->sent_ns, __ATOMIC_ACQUIRE);
		if (write(w->pong, &v, sizeof(v)) != sizeof(v))
			die_errno("eventfd write");
	}
	return NULL;
}

/* One-way wake-up through an eventfd, the sleeper idle ~1 ms between rounds. */
static void bench_wakeup(const char *where, uint64_t rounds)
{
	struct wakeup w = { .rounds = rounds, .sleeper_cpu = strcmp(where, "same") ? 1 : 0 };
	struct timespec gap = { 0, 1000000 };
	pthread_t th;
	uint64_t one = 1, v;

	w.ping = eventfd(0, EFD_CLOEXEC);
	w.pong = eventfd(0, EFD_CLOEXEC);
	if (w.ping < 0 || w.pong < 0)
		die_errno("eventfd");
	w.lat = xcalloc(rounds, sizeof(*w.lat));
	pin_to_cpu(0);
	if (pthread_create(&th, NULL, wakeup_sleeper, &w))
		die("pthread_create failed");
	for (uint64_t i = 0; i < rounds; i++) {
		nanosleep(&gap, NULL);
		__atomic_store_n(&w.sent_ns, now_ns(), __ATOMIC_RELEASE);
		if (write(w.ping, &one, sizeof(one)) != sizeof(one) ||
		    read(w.pong, &v, sizeof(v)) != sizeof(v))
			die_errno("eventfd ping-pong");
	}
	pthread_join(th, NULL);
	printf("{\"where\":\"%s\",\"rounds\":%" PRIu64 ",\"latencyNs\":[", where, rounds);
	for (uint64_t i = 0; i < rounds; i++)
		printf("%s%" PRIu64, i ? "," : "", w.lat[i]);
	printf("]}\n");
	free(w.lat);
	close(w.ping);
	close(w.pong);
}

int main(int argc, char **argv)
{
	uint64_t sizes[MAX_SIZES];
	const char *cmd;
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "--device")) {
		device_path = argv[2];
		i = 3;
	}
	if (argc - i < 1)
		usage();
	cmd = argv[i++];
	if (!strcmp(cmd, "query")) {
		if (argc - i != 4)
			usage();
		bench_query(parse_u64(argv[i], "BATCH", 1), parse_u64(argv[i + 1], "BATCHES", 1),
			    parse_u64(argv[i + 2], "RUNS", 1), parse_u64(argv[i + 3], "WARMUP", 0));
	} else if (!strcmp(cmd, "alloc") || !strcmp(cmd, "memset") || !strcmp(cmd, "read")) {
		uint64_t runs, warmup;
		int n;

		if (argc - i < 3)
			usage();
		runs = parse_u64(argv[i], "RUNS", 1);
		warmup = parse_u64(argv[i + 1], "WARMUP", 0);
		n = parse_sizes(argc - i - 2, argv + i + 2, sizes);
		if (!strcmp(cmd, "alloc"))
			bench_alloc(runs, warmup, sizes, n);
		else if (!strcmp(cmd, "memset"))
			bench_memset(runs, warmup, sizes, n);
		else
			bench_read(runs, warmup, sizes, n);
	} else if (!strcmp(cmd, "stream")) {
		if (argc - i != 3 || (strcmp(argv[i], "ring") && strcmp(argv[i], "read")))
			usage();
		bench_stream(argv[i], parse_u64(argv[i + 1], "RATE", 1),
			     parse_u64(argv[i + 2], "SECONDS", 1));
	} else if (!strcmp(cmd, "stream-latency")) {
		if (argc - i != 3)
			usage();
		bench_stream_latency(parse_u64(argv[i], "RATE", 1), parse_u64(argv[i + 1], "BATCH", 1),
				     parse_u64(argv[i + 2], "SECONDS", 1));
	} else if (!strcmp(cmd, "wakeup")) {
		if (argc - i != 2 || (strcmp(argv[i], "same") && strcmp(argv[i], "cross")))
			usage();
		bench_wakeup(argv[i], parse_u64(argv[i + 1], "ROUNDS", 1));
	} else {
		usage();
	}
	return 0;
}
