// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz - a bounded random exerciser for /dev/sharedmemory.
 *
 *   fuzz [--threads N] [--iterations N] [--seconds S] [--seed N]
 *
 * Several threads share a small table of device fds and a list of live
 * mappings and do random things to them: ioctls with random numbers, sizes
 * and buffers; mmap/munmap (whole and partial), mremap, fork (the child
 * touches the inherited mappings, and is sometimes SIGKILLed), close and
 * reopen (read-write, read-only or write-only, some O_NONBLOCK), read/pread,
 * MADV_DONTNEED then touch; streams started and stopped at random rates,
 * their rings scribbled on while the producer runs (tail, head, the
 * header), poll. Every result must be one the contract allows.
 * At the end everything is unmapped and closed and QUERY's totals must be
 * back where they started. Stops after --iterations per thread or --seconds,
 * whichever comes first, and prints "fuzz: N passed, N failed".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sharedmemory_ioctl.h"

#define PAGE 4096UL
#define SLOTS 6
#define MAX_MAPS 64
#define SCRATCH (4 * PAGE)

/* Device fds; ops take the read lock, close/reopen the write lock, so an fd
 * number is never reused for another file under a running ioctl. */
static struct {
	pthread_rwlock_t lock;
	int fd;
} slots[SLOTS];

/* Live mappings (pieces of them after partial munmap). */
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { unsigned char *addr; size_t len; } maps[MAX_MAPS];
static int nmaps;

static long iterations_done;
static long streams_started;	/* STREAM_STARTs that succeeded */
static long unexpected;
static long counts[16];
static volatile int stop;

enum { OP_IOCTL, OP_VALID, OP_MMAP, OP_MUNMAP, OP_MREMAP, OP_FORK, OP_REOPEN,
       OP_READ, OP_TOUCH, OP_DONTNEED, OP_STREAM, OP_SCRIBBLE, OP_POLL, OP_COUNT };
static const char *const op_names[] = { "random-ioctl", "valid-ioctl", "mmap", "munmap",
					 "mremap", "fork", "reopen", "read", "touch",
					 "dontneed", "stream-ioctl", "scribble", "poll" };

/* How often each op is picked: fork is costly under emulation, so rarer. */
static const int op_weights[] = { 20, 25, 12, 10, 6, 2, 5, 10, 10, 4, 12, 8, 5 };

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: reproducible from --seed, one state per thread. */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void bad(const char *what, long r, int err)
{
	__atomic_add_fetch(&unexpected, 1, __ATOMIC_RELAXED);
	fprintf(stderr, "fuzz: unexpected: %s -> %ld errno %d (%s)\n", what, r, err, strerror(err));
}

static bool one_of(int err, const int *allowed, int n)
{
	for (int i = 0; i < n; i++)
		if (err == allowed[i])
			return true;
	return false;
}

/* These need an fd open for reading and writing (EBADF first). */
static bool needs_rdwr(unsigned int cmd)
{
	return cmd == SHM_IOCTL_ALLOCATE || cmd == SHM_IOCTL_RELEASE ||
	       cmd == SHM_IOCTL_STREAM_START || cmd == SHM_IOCTL_STREAM_STOP;
}

static bool is_rdwr(int fd)
{
	return (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR;
}

/*
 * EBADF is the one answer a command that needs O_RDWR gets on any other fd,
 * and no other command or fd ever gets it.
 */
static bool rdwr_rule_kept(int fd, unsigned int cmd, long r, int err)
{
	bool refused = r == -1 && err == EBADF;

	return refused == (needs_rdwr(cmd) && !is_rdwr(fd));
}

/* An ioctl's result against the O_RDWR rule and the errnos the contract allows it. */
static void judge(int fd, unsigned int cmd, const char *name, long r, int err,
		  const int *allowed, int n)
{
	char what[80];

	if (!rdwr_rule_kept(fd, cmd, r, err)) {
		snprintf(what, sizeof(what), "%s and the fd's access mode", name);
		bad(what, r, err);
	} else if (r != 0 && err != EBADF && !(r == -1 && one_of(err, allowed, n))) {
		bad(name, r, err);
	}
}

static void maps_add(unsigned char *addr, size_t len)
{
	pthread_mutex_lock(&maps_lock);
	if (nmaps < MAX_MAPS) {
		maps[nmaps].addr = addr;
		maps[nmaps].len = len;
		nmaps++;
		addr = NULL;
	}
	pthread_mutex_unlock(&maps_lock);
	if (addr)
		munmap(addr, len);
}

/* An argument pointer: our scratch (at a random offset, maybe near the guard
 * page), NULL, a kernel address, an unmapped or a read-only page. */
static void *random_arg(uint64_t *s, unsigned char *scratch, unsigned char *ro)
{
	switch (rnd(s) % 8) {
	case 0: return NULL;
	case 1: return (void *)0xffff888000000000ULL;
	case 2: return scratch + SCRATCH;	/* the PROT_NONE guard page */
	case 3: return ro + rnd(s) % PAGE;
	case 4: return scratch + SCRATCH - 1 - rnd(s) % 200;	/* cut short */
	default:
		for (int i = 0; i < 256; i += 8)
			*(uint64_t *)(scratch + i) = rnd(s);
		return scratch + (rnd(s) % 64) * 8;
	}
}

static void op_random_ioctl(int fd, uint64_t *s, unsigned char *scratch, unsigned char *ro)
{
	static const int allowed[] = { ENOTTY, EFAULT, EINVAL, EBUSY, ENODATA, ENOMEM, EBADF };
	unsigned int cmd;
	int e;
	long r;

	switch (rnd(s) % 4) {
	case 0:	/* a known number with another size or direction */
		cmd = _IOC(rnd(s) % 4, 'S', rnd(s) % 6, rnd(s) % 300);
		break;
	case 1:
		cmd = _IOC(rnd(s) % 4, 'S', rnd(s) % 256, rnd(s) % (1 << 14));
		break;
	default:
		cmd = (unsigned int)rnd(s);
		break;
	}
	if (cmd == SHM_IOCTL_ALLOCATE) {
		/* Keep random sizes small: this fuzzes logic, not the allocator. */
		*(uint64_t *)scratch = rnd(s) % (256 * 1024);
		r = ioctl(fd, cmd, scratch);
	} else {
		r = ioctl(fd, cmd, random_arg(s, scratch, ro));
	}
	e = errno;
	if (r != 0 && !(r == -1 && one_of(e, allowed, 7)))
		bad("random ioctl", r, e);
	else if (r == -1 && e != ENOTTY && cmd != SHM_IOCTL_QUERY && cmd != SHM_IOCTL_ALLOCATE &&
		 cmd != SHM_IOCTL_RELEASE && cmd != SHM_IOCTL_INSPECT &&
		 cmd != SHM_IOCTL_STREAM_START && cmd != SHM_IOCTL_STREAM_STOP)
		bad("unknown ioctl not ENOTTY", r, e);
	else if (!rdwr_rule_kept(fd, cmd, r, e))
		bad("random ioctl and the fd's access mode", r, e);
}

static void op_valid_ioctl(int fd, uint64_t *s, unsigned char *scratch, unsigned char *ro)
{
	struct shm_allocate a = { 0 };
	struct shm_inspect in = { 0 };
	void *arg;
	long r;
	int e;

	switch (rnd(s) % 4) {
	case 0: {
		static const int allowed[] = { EINVAL, EBUSY, ENOMEM, EFAULT };
		static const uint64_t sizes[] = { 0, 1, PAGE, 3 * PAGE + 1, 64 * 1024,
						  SHM_DEFAULT_MAX_SIZE + 1, ~0ULL };

		a.size = rnd(s) % 3 ? sizes[rnd(s) % 7] : rnd(s) % (512 * 1024);
		if (rnd(s) % 50 == 0)
			a.size = SHM_DEFAULT_MAX_SIZE;
		arg = &a;
		if (rnd(s) % 8 == 0)
			arg = random_arg(s, scratch, ro);
		r = ioctl(fd, SHM_IOCTL_ALLOCATE, arg);
		e = errno;
		if (r == 0 && arg == &a && (a.mapped_size < a.size || a.mapped_size % PAGE))
			bad("ALLOCATE mapped_size", (long)a.mapped_size, 0);
		judge(fd, SHM_IOCTL_ALLOCATE, "ALLOCATE", r, e, allowed, 4);
		break;
	}
	case 1: {
		static const int allowed[] = { ENODATA };

		r = ioctl(fd, SHM_IOCTL_RELEASE);
		judge(fd, SHM_IOCTL_RELEASE, "RELEASE", r, errno, allowed, 1);
		break;
	}
	case 2: {
		static const int allowed[] = { EINVAL, ENODATA, EFAULT };

		in.offset = rnd(s) % 3 ? (rnd(s) % 4096) : rnd(s);
		in.count = rnd(s) % 70;
		/* Reserved must be zero: anything else is EINVAL whatever the rest. */
		in.reserved = rnd(s) % 8 ? 0 : (uint32_t)rnd(s) | 1;
		arg = rnd(s) % 8 ? (void *)&in : random_arg(s, scratch, ro);
		r = ioctl(fd, SHM_IOCTL_INSPECT, arg);
		e = errno;
		if (r != 0 && !(r == -1 && one_of(e, allowed, 3)))
			bad("INSPECT", r, e);
		else if (arg == &in && in.reserved && !(r == -1 && e == EINVAL))
			bad("INSPECT with reserved set", r, e);
		break;
	}
	default: {
		struct shm_device_info info;

		r = ioctl(fd, SHM_IOCTL_QUERY, &info);
		if (r != 0 || info.abi_version != SHM_ABI_VERSION)
			bad("QUERY", r, errno);
		break;
	}
	}
}

/* STREAM_START with rates around the limits, or STREAM_STOP. */
static void op_stream(int fd, uint64_t *s, unsigned char *scratch, unsigned char *ro)
{
	static const uint32_t rates[] = { 0, 1, 1000, 100000, 1000000, SHM_STREAM_MAX_RATE,
					  SHM_STREAM_MAX_RATE + 1 };
	struct shm_stream_start st = { 0 };
	void *arg;
	long r;
	int e;

	if (rnd(s) % 3 == 0) {
		static const int allowed[] = { ENODATA };

		r = ioctl(fd, SHM_IOCTL_STREAM_STOP);
		judge(fd, SHM_IOCTL_STREAM_STOP, "STREAM_STOP", r, errno, allowed, 1);
		return;
	}
	st.rate_hz = rates[rnd(s) % 7];
	/* Mostly a batch that keeps ticks at or below the maximum tick rate. */
	st.batch = rnd(s) % 4 ? st.rate_hz / SHM_STREAM_MAX_TICK_HZ + 1 + rnd(s) % 8
			      : (uint32_t)rnd(s) % (2 * SHM_STREAM_MAX_BATCH);
	st.event_handle = rnd(s) % 10 ? 0 : rnd(s);
	arg = rnd(s) % 8 ? (void *)&st : random_arg(s, scratch, ro);
	r = ioctl(fd, SHM_IOCTL_STREAM_START, arg);
	e = errno;
	if (r == 0)
		__atomic_add_fetch(&streams_started, 1, __ATOMIC_RELAXED);
	if (r == 0 && arg == &st &&
	    (st.record_size != sizeof(struct shm_record) || st.data_offset != PAGE ||
	     st.capacity == 0 || (st.capacity & (st.capacity - 1))))
		bad("STREAM_START answer", (long)st.capacity, 0);
	{
		static const int allowed[] = { EINVAL, EBUSY, ENODATA, EFAULT };

		judge(fd, SHM_IOCTL_STREAM_START, "STREAM_START", r, e, allowed, 4);
	}
}

/* What a careless or hostile consumer does to a ring it has mapped. */
static void op_scribble(uint64_t *s)
{
	pthread_mutex_lock(&maps_lock);
	if (nmaps) {
		int i = rnd(s) % nmaps;
		struct shm_ring *ring = (struct shm_ring *)maps[i].addr;
		uint64_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);

		switch (rnd(s) % 6) {
		case 0:	/* a well-behaved consumer: everything read */
		case 1:
			__atomic_store_n(&ring->tail, head, __ATOMIC_RELEASE);
			break;
		case 2:	/* near head, maybe past it */
			__atomic_store_n(&ring->tail, head + rnd(s) % 4 - 2, __ATOMIC_RELEASE);
			break;
		case 3:
			__atomic_store_n(&ring->tail, rnd(s), __ATOMIC_RELEASE);
			break;
		case 4:	/* the driver's fields: it must not read them back */
			ring->head = rnd(s);
			ring->dropped = rnd(s);
			ring->state = (uint32_t)rnd(s);
			break;
		default:
			ring->capacity = (uint32_t)rnd(s);
			ring->data_offset = rnd(s);
			ring->record_size = (uint32_t)rnd(s);
			break;
		}
	}
	pthread_mutex_unlock(&maps_lock);
}

static void op_poll(int fd, uint64_t *s)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int r = poll(&p, 1, rnd(s) % 2);

	if (r < 0 || (r == 1 && (p.revents & ~(POLLIN | POLLRDNORM | POLLHUP))))
		bad("poll", r, r < 0 ? errno : p.revents);
}

static void op_mmap(int fd, uint64_t *s)
{
	size_t len = (1 + rnd(s) % 10) * PAGE;
	int flags = rnd(s) % 6 ? MAP_SHARED : MAP_PRIVATE;
	off_t off = rnd(s) % 8 ? 0 : PAGE;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	if (p == MAP_FAILED) {
		/* EACCES: an fd not open for reading, or a writable mapping of a read-only one. */
		if (errno != EINVAL && errno != EACCES)
			bad("mmap", -1, errno);
		return;
	}
	if (flags == MAP_PRIVATE || off != 0)
		bad("mmap accepted MAP_PRIVATE or an offset", 0, 0);
	p[rnd(s) % len] ^= 1;
	maps_add(p, len);
}

static void op_munmap(uint64_t *s)
{
	unsigned char *addr = NULL;
	size_t len = 0, pages;
	int i;

	pthread_mutex_lock(&maps_lock);
	if (nmaps == 0)
		goto out;
	i = rnd(s) % nmaps;
	pages = maps[i].len / PAGE;
	if (pages > 2 && rnd(s) % 2) {
		/* Punch out one middle page: the VMA splits in two. */
		size_t at = 1 + rnd(s) % (pages - 2);

		if (nmaps < MAX_MAPS) {
			addr = maps[i].addr + at * PAGE;
			len = PAGE;
			maps[nmaps].addr = addr + PAGE;
			maps[nmaps].len = maps[i].len - (at + 1) * PAGE;
			nmaps++;
			maps[i].len = at * PAGE;
			munmap(addr, len);
			goto out;
		}
	}
	addr = maps[i].addr;
	len = maps[i].len;
	maps[i] = maps[--nmaps];
	if (munmap(addr, len))
		bad("munmap", -1, errno);
out:
	pthread_mutex_unlock(&maps_lock);
}

static void op_mremap(uint64_t *s)
{
	unsigned char *p;
	int i;

	pthread_mutex_lock(&maps_lock);
	if (nmaps == 0)
		goto out;
	i = rnd(s) % nmaps;
	switch (rnd(s) % 3) {
	case 0:	/* grow: VM_DONTEXPAND refuses */
		p = mremap(maps[i].addr, maps[i].len, maps[i].len + PAGE, MREMAP_MAYMOVE);
		if (p != MAP_FAILED) {
			bad("mremap grew the mapping", 0, 0);
			maps[i].addr = p;
			maps[i].len += PAGE;
		}
		break;
	case 1:	/* move */
		p = mremap(maps[i].addr, maps[i].len, maps[i].len, MREMAP_MAYMOVE);
		if (p != MAP_FAILED)
			maps[i].addr = p;
		break;
	default:	/* shrink */
		if (maps[i].len > PAGE) {
			p = mremap(maps[i].addr, maps[i].len, maps[i].len - PAGE, 0);
			if (p == MAP_FAILED)
				bad("mremap shrink", -1, errno);
			else
				maps[i].len -= PAGE;
		}
		break;
	}
out:
	pthread_mutex_unlock(&maps_lock);
}

static void op_touch(uint64_t *s)
{
	pthread_mutex_lock(&maps_lock);
	if (nmaps) {
		int i = rnd(s) % nmaps;
		volatile unsigned char *p = maps[i].addr + rnd(s) % maps[i].len;

		*p = *p + 1;
	}
	pthread_mutex_unlock(&maps_lock);
}

/*
 * MADV_DONTNEED drops PTEs; the next touch must fault a page back, not
 * SIGBUS (which would end the run). That it is the same page, client-test
 * checks: here forked children write to the mappings at any time.
 */
static void op_dontneed(uint64_t *s)
{
	pthread_mutex_lock(&maps_lock);
	if (nmaps) {
		int i = rnd(s) % nmaps;
		volatile unsigned char *p = maps[i].addr + rnd(s) % maps[i].len;

		if (madvise(maps[i].addr, maps[i].len, MADV_DONTNEED))
			bad("madvise MADV_DONTNEED", -1, errno);
		*p = *p + 1;
	}
	pthread_mutex_unlock(&maps_lock);
}

static void op_fork(uint64_t *s, int fd)
{
	int status;
	pid_t pid;

	/* Hold the list while forking so the child's copy is consistent. */
	pthread_mutex_lock(&maps_lock);
	pid = fork();
	if (pid == 0) {
		struct shm_inspect in = { .count = 1 };

		for (int i = 0; i < nmaps; i++)
			maps[i].addr[0] ^= 0x80;
		ioctl(fd, SHM_IOCTL_INSPECT, &in);
		if (nmaps && (rnd(s) & 1))
			munmap(maps[0].addr, maps[0].len);
		usleep(rnd(s) % 2000);
		_exit(0);
	}
	pthread_mutex_unlock(&maps_lock);
	if (pid < 0) {
		bad("fork", -1, errno);
		return;
	}
	if (rnd(s) % 2) {
		usleep(rnd(s) % 1000);
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) != pid)
		bad("waitpid", -1, errno);
}

static void op_read(int fd, uint64_t *s, unsigned char *scratch)
{
	size_t len = rnd(s) % (2 * PAGE);
	off_t off = rnd(s) % 4 ? (off_t)(rnd(s) % (600 * 1024)) : (off_t)(rnd(s) >> 2);
	ssize_t r = pread(fd, scratch, len, off);

	int e = errno;

	/*
	 * EBADF: the VFS refuses to read a write-only fd. A stream's records:
	 * EAGAIN on an O_NONBLOCK slot, EIO once faulted.
	 */
	if (r < 0 && e != ENODATA && e != EINVAL && e != EAGAIN && e != EIO &&
	    !(e == EBADF && (fcntl(fd, F_GETFL) & O_ACCMODE) == O_WRONLY))
		bad("pread", r, e);
	if (r > (ssize_t)len)
		bad("pread returned too much", r, 0);
}

static void op_reopen(uint64_t *s)
{
	int i = rnd(s) % SLOTS;

	pthread_rwlock_wrlock(&slots[i].lock);
	close(slots[i].fd);
	/*
	 * Some fds are read-only or write-only: ALLOCATE, RELEASE and the stream
	 * commands get EBADF there. Mostly O_NONBLOCK: a blocking read waits for
	 * a stream's next record.
	 */
	slots[i].fd = open(SHM_LINUX_DEVICE_PATH,
			   (rnd(s) % 5 ? O_RDWR : rnd(s) % 2 ? O_RDONLY : O_WRONLY) |
			   (rnd(s) % 4 ? O_NONBLOCK : 0));
	if (slots[i].fd < 0)
		bad("open", -1, errno);
	pthread_rwlock_unlock(&slots[i].lock);
}

static int pick_op(uint64_t *s)
{
	int total = 0, r;

	for (int i = 0; i < OP_COUNT; i++)
		total += op_weights[i];
	r = rnd(s) % total;
	for (int i = 0; i < OP_COUNT; i++) {
		if (r < op_weights[i])
			return i;
		r -= op_weights[i];
	}
	return OP_TOUCH;
}

struct worker {
	uint64_t seed;
	long iterations;
};

static void *worker(void *arg)
{
	struct worker *w = arg;
	uint64_t s = w->seed;
	unsigned char *scratch, *ro;

	/* Scratch buffer followed by a PROT_NONE guard page; one page read-only. */
	scratch = mmap(NULL, SCRATCH + PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED || ro == MAP_FAILED ||
	    mprotect(scratch + SCRATCH, PAGE, PROT_NONE)) {
		bad("scratch", -1, errno);
		return NULL;
	}
	for (long it = 0; it < w->iterations && !stop; it++) {
		int op = pick_op(&s);
		int slot = rnd(&s) % SLOTS;

		__atomic_add_fetch(&counts[op], 1, __ATOMIC_RELAXED);
		if (op == OP_MUNMAP) {
			op_munmap(&s);
		} else if (op == OP_MREMAP) {
			op_mremap(&s);
		} else if (op == OP_TOUCH) {
			op_touch(&s);
		} else if (op == OP_DONTNEED) {
			op_dontneed(&s);
		} else if (op == OP_SCRIBBLE) {
			op_scribble(&s);
		} else if (op == OP_REOPEN) {
			op_reopen(&s);
		} else {
			int fd;

			pthread_rwlock_rdlock(&slots[slot].lock);
			fd = slots[slot].fd;
			if (op == OP_VALID || op == OP_IOCTL) {
				/* The read-only page is made writable only to seed it. */
				mprotect(ro, PAGE, PROT_READ | PROT_WRITE);
				memset(ro, 0, 64);
				mprotect(ro, PAGE, PROT_READ);
			}
			if (op == OP_IOCTL)
				op_random_ioctl(fd, &s, scratch, ro);
			else if (op == OP_VALID)
				op_valid_ioctl(fd, &s, scratch, ro);
			else if (op == OP_MMAP)
				op_mmap(fd, &s);
			else if (op == OP_FORK)
				op_fork(&s, fd);
			else if (op == OP_STREAM)
				op_stream(fd, &s, scratch, ro);
			else if (op == OP_POLL)
				op_poll(fd, &s);
			else
				op_read(fd, &s, scratch);
			pthread_rwlock_unlock(&slots[slot].lock);
		}
		__atomic_add_fetch(&iterations_done, 1, __ATOMIC_RELAXED);
	}
	munmap(scratch, SCRATCH + PAGE);
	munmap(ro, PAGE);
	return NULL;
}

static bool query_totals(uint64_t *bytes, uint32_t *allocs)
{
	struct shm_device_info info;
	int fd = open(SHM_LINUX_DEVICE_PATH, O_RDONLY);
	bool ok = fd >= 0 && ioctl(fd, SHM_IOCTL_QUERY, &info) == 0;

	if (fd >= 0)
		close(fd);
	if (ok) {
		*bytes = info.total_bytes;
		*allocs = info.allocations;
	}
	return ok;
}

int main(int argc, char **argv)
{
	int threads = 4;
	long iterations = 5000;
	double seconds = 60;
	uint64_t seed = 20100101;
	uint64_t b0, b1;
	uint32_t a0, a1;
	struct timespec t0, t1;
	pthread_t tid[64];
	struct worker w[64];
	double elapsed;
	int failures = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--threads"))
			threads = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--iterations"))
			iterations = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seconds"))
			seconds = atof(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoull(argv[i + 1], NULL, 0);
		else {
			fprintf(stderr, "fuzz: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (threads < 1 || threads > 64 || iterations < 1 || seconds <= 0 || seed == 0) {
		fprintf(stderr, "fuzz: --threads 1..64, --iterations > 0, --seconds > 0, --seed != 0\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!query_totals(&b0, &a0)) {
		printf("fuzz: cannot QUERY %s: %s\nfuzz: 0 passed, 1 failed\n",
		       SHM_LINUX_DEVICE_PATH, strerror(errno));
		return 1;
	}
	for (int i = 0; i < SLOTS; i++) {
		pthread_rwlock_init(&slots[i].lock, NULL);
		slots[i].fd = open(SHM_LINUX_DEVICE_PATH, O_RDWR | (i % 2 ? O_NONBLOCK : 0));
	}
	printf("fuzz: %d threads x %ld iterations (or %.0f s), seed %" PRIu64 "\n", threads,
	       iterations, seconds, seed);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (int i = 0; i < threads; i++) {
		w[i].seed = seed * (i + 1) + 0x9e3779b97f4a7c15ULL;
		w[i].iterations = iterations;
		pthread_create(&tid[i], NULL, worker, &w[i]);
	}
	for (;;) {
		/* The time bound: tell the workers to stop, then join them. */
		usleep(50000);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
		if (__atomic_load_n(&iterations_done, __ATOMIC_RELAXED) >= threads * iterations)
			break;
		if (elapsed >= seconds) {
			stop = 1;
			break;
		}
	}
	for (int i = 0; i < threads; i++)
		pthread_join(tid[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

	for (int i = 0; i < nmaps; i++)
		munmap(maps[i].addr, maps[i].len);
	for (int i = 0; i < SLOTS; i++)
		if (slots[i].fd >= 0)
			close(slots[i].fd);

	printf("fuzz: %ld iterations in %.1f s%s:", iterations_done, elapsed,
	       stop ? " (time bound reached)" : "");
	for (int i = 0; i < OP_COUNT; i++)
		printf(" %s %ld", op_names[i], counts[i]);
	printf("; %ld streams started\n", streams_started);
	if (unexpected) {
		printf("FAIL fuzz: %ld unexpected results (see stderr)\n", unexpected);
		failures++;
	} else {
		printf("ok   fuzz: every result was one the contract allows\n");
	}
	if (!query_totals(&b1, &a1) || b1 != b0 || a1 != a0) {
		printf("FAIL fuzz: totals %" PRIu64 " bytes / %u allocations after cleanup, started at %" PRIu64 " / %u\n",
		       b1, a1, b0, a0);
		failures++;
	} else {
		printf("ok   fuzz: totals back to %" PRIu64 " bytes / %u allocations\n", b0, a0);
	}
	printf("fuzz: %d passed, %d failed\n", 2 - failures, failures);
	return failures ? 1 : 0;
}
