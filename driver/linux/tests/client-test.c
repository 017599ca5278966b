// SPDX-License-Identifier: GPL-2.0
/*
 * client-test - drives /dev/sharedmemory through every row of CONTRACT.md's
 * errno table and every lifetime case (RELEASE/close while mapped, fork,
 * mremap, partial munmap, SIGKILL), as root, in the test VM.
 *
 * After every scenario QUERY's totals must be back where they started.
 * Prints "ok <name>" or "FAIL <name>: why" per scenario and a closing
 * "client: N passed, N failed" line ("client-32:" when built with -m32, so
 * the same scenarios go through the module's compat_ioctl).
 *
 *   client-test [substring of a scenario name]
 *   client-test --hold-mapping   maps an allocation, closes the fd, says
 *                                "mapped"; on a line from stdin unmaps and
 *                                says "unmapped"; exits at end of input
 */
#include "scenario-harness.h"	/* first: it sets _GNU_SOURCE */

#include <grp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

/* The result line's name: the 32-bit build runs through compat_ioctl. */
#define CLIENT_NAME (sizeof(void *) == 4 ? "client-32" : "client")

/* An address no user pointer can have: kernel space, or past a 32-bit task's end. */
#define NOT_USER_ADDRESS ((void *)(uintptr_t)(sizeof(void *) == 8 ? \
	0xffff888000000000ULL : 0xfffff000UL))

static bool seeded(const uint16_t *v)
{
	for (int i = 0; i < SHM_SEED_COUNT; i++)
		if (v[i] != SHM_SEED_COUNT - i)
			return false;
	return true;
}

/* Every byte after the seed up to @len is zero. */
static bool zero_after_seed(const unsigned char *p, size_t len)
{
	for (size_t i = SHM_SEED_COUNT * 2; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* ---- scenarios ------------------------------------------------------- */

static bool t_query(void)
{
	struct shm_device_info info;

	CHECK(query(&info), "QUERY failed: %s", strerror(errno));
	CHECK(info.abi_version == SHM_ABI_VERSION, "abi_version %u", info.abi_version);
	CHECK(info.driver_version == SHM_DRIVER_VERSION, "driver_version %#x", info.driver_version);
	CHECK(info.page_size == (uint64_t)sysconf(_SC_PAGESIZE), "page_size %llu",
	      (unsigned long long)info.page_size);
	CHECK(info.max_size == SHM_DEFAULT_MAX_SIZE, "max_size %llu",
	      (unsigned long long)info.max_size);
	CHECK(info.features == SHM_FEATURE_STREAM, "features %#x", info.features);
	return true;
}

/* Seed, zero fill and totals for several sizes, each mapped, checked, freed. */
static bool t_sizes_seed_and_zero_fill(void)
{
	static const unsigned long long sizes[] = {
		1, 20, PAGE - 1, PAGE, PAGE + 1, 3 * PAGE + 5, MIB, 5 * MIB + 3,
		SHM_DEFAULT_MAX_SIZE,
	};
	unsigned long long b0, b1;
	unsigned int a0, a1;

	CHECK(totals(&b0, &a0), "QUERY");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		unsigned long long want = (sizes[i] + PAGE - 1) & ~(PAGE - 1);
		struct shm_allocate a;
		int fd = open_dev();
		unsigned char *p;

		CHECK(fd >= 0, "open: %s", strerror(errno));
		CHECK(allocate(fd, sizes[i], &a), "ALLOCATE %llu: %s", sizes[i], strerror(errno));
		CHECK(a.mapped_size == want, "size %llu mapped %llu", sizes[i],
		      (unsigned long long)a.mapped_size);
		CHECK(a.user_address == 0, "user_address %#llx", (unsigned long long)a.user_address);
		CHECK(totals(&b1, &a1) && b1 == b0 + want && a1 == a0 + 1,
		      "totals while allocated: %llu/%u", b1, a1);
		p = map(fd, a.mapped_size);
		CHECK(p != MAP_FAILED, "mmap %llu: %s", want, strerror(errno));
		CHECK(seeded((uint16_t *)p), "seed wrong for size %llu", sizes[i]);
		CHECK(zero_after_seed(p, a.mapped_size), "non-zero byte for size %llu", sizes[i]);
		/* Dirty every page so the next round proves fresh pages are zeroed. */
		memset(p, 0xa5, a.mapped_size);
		munmap(p, a.mapped_size);
		EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
		close(fd);
		CHECK(totals(&b1, &a1) && b1 == b0 && a1 == a0, "totals after release: %llu/%u",
		      b1, a1);
	}
	return true;
}

/* The same file reused: allocate, dirty, release, allocate again: still zero. */
static bool t_reuse_is_zeroed(void)
{
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	for (int round = 0; round < 4; round++) {
		struct shm_allocate a;
		unsigned char *p;

		CHECK(allocate(fd, 256 * 1024, &a), "ALLOCATE round %d: %s", round, strerror(errno));
		p = map(fd, a.mapped_size);
		CHECK(p != MAP_FAILED, "mmap");
		CHECK(seeded((uint16_t *)p) && zero_after_seed(p, a.mapped_size),
		      "round %d not fresh", round);
		memset(p, 0x5a, a.mapped_size);
		munmap(p, a.mapped_size);
		EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	}
	close(fd);
	return true;
}

/* A user write is what INSPECT (kernel mapping) and pread (copy path) see. */
static bool t_write_inspect_read(void)
{
	struct shm_allocate a;
	struct shm_inspect in;
	uint16_t *v;
	unsigned char copy[64];
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(allocate(fd, 3 * PAGE, &a), "ALLOCATE");
	v = map(fd, a.mapped_size);
	CHECK(v != MAP_FAILED, "mmap");
	CHECK(inspect(fd, 0, SHM_SEED_COUNT, &in), "INSPECT: %s", strerror(errno));
	for (int i = 0; i < SHM_SEED_COUNT; i++)
		CHECK(in.values[i] == SHM_SEED_COUNT - i, "INSPECT seed[%d] = %u", i, in.values[i]);
	for (int i = 0; i < 64; i++)
		v[i] = (uint16_t)(0xbe00 + i);
	v[a.mapped_size / 2 - 1] = 0x1234;
	v[PAGE] = 0x4242;	/* byte offset 2 * PAGE: the third page */
	CHECK(inspect(fd, 0, 64, &in), "INSPECT 64");
	for (int i = 0; i < 64; i++)
		CHECK(in.values[i] == 0xbe00 + i, "INSPECT[%d] = %#x", i, in.values[i]);
	CHECK(inspect(fd, a.mapped_size - 2, 1, &in) && in.values[0] == 0x1234,
	      "INSPECT last u16 = %#x", in.values[0]);
	CHECK(inspect(fd, 2 * PAGE, 1, &in) && in.values[0] == 0x4242, "INSPECT third page");
	CHECK(inspect(fd, 2, 3, &in) && in.values[3] == 0, "INSPECT leaves unused values zero");
	CHECK(pread(fd, copy, sizeof(copy), 0) == sizeof(copy), "pread: %s", strerror(errno));
	CHECK(memcmp(copy, v, sizeof(copy)) == 0, "pread differs from the mapping");
	CHECK(pread(fd, copy, 8, a.mapped_size - 2) == 2, "pread across the end");
	CHECK(pread(fd, copy, 8, a.mapped_size) == 0, "pread at the end");
	CHECK(pread(fd, copy, 8, a.mapped_size + 100) == 0, "pread past the end");
	/* read() advances the file position. */
	CHECK(read(fd, copy, 4) == 4 && read(fd, copy + 4, 4) == 4, "read");
	CHECK(memcmp(copy, v, 8) == 0, "read() twice differs from the mapping");
	munmap(v, a.mapped_size);
	close(fd);
	return true;
}

/* EINVAL rows: bad sizes, offsets, counts; nothing changes. */
static bool t_einval_rows(void)
{
	struct shm_allocate a;
	struct shm_inspect in;
	unsigned long long b0, b1;
	unsigned int a0, a1;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(totals(&b0, &a0), "QUERY");
	EXPECT_ERRNO(allocate(fd, 0, &a) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(allocate(fd, SHM_DEFAULT_MAX_SIZE + 1, &a) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(allocate(fd, ~0ULL, &a) ? 0 : -1, EINVAL);
	/* Parameters are checked before state: count 0 with nothing allocated. */
	EXPECT_ERRNO(inspect(fd, 0, 0, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, 0, SHM_INSPECT_MAX + 1, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, 1, 1, &in) ? 0 : -1, EINVAL);
	/* reserved must be zero (2026-11-29), checked with the parameters. */
	memset(&in, 0, sizeof(in));
	in.count = 1;
	in.reserved = 1;
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_INSPECT, &in), EINVAL);
	CHECK(totals(&b1, &a1) && b1 == b0 && a1 == a0, "totals changed");

	CHECK(allocate(fd, PAGE, &a), "ALLOCATE");
	EXPECT_ERRNO(inspect(fd, 3, 1, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, PAGE, 1, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, PAGE - 2, 2, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, PAGE - 64, 64, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, ~1ULL, 1, &in) ? 0 : -1, EINVAL);
	EXPECT_ERRNO(inspect(fd, 0, 0, &in) ? 0 : -1, EINVAL);
	for (unsigned int bit = 0; bit < 32; bit += 31) {
		memset(&in, 0, sizeof(in));
		in.count = 1;
		in.reserved = 1u << bit;
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_INSPECT, &in), EINVAL);
	}
	CHECK(inspect(fd, PAGE - 128, 64, &in), "INSPECT the last 64 values");
	CHECK(inspect(fd, 0, SHM_SEED_COUNT, &in) && seeded(in.values), "seed changed");
	close(fd);
	return true;
}

/* EFAULT rows: NULL, unmapped and read-only buffers, short structs. */
static bool t_efault_rows(void)
{
	unsigned long long b0, b1;
	unsigned int a0, a1;
	struct shm_allocate a;
	unsigned char *pages;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(totals(&b0, &a0), "QUERY");
	/* Two pages: the second is PROT_NONE, so a struct can end past the edge. */
	pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(pages != MAP_FAILED, "mmap scratch");
	CHECK(mprotect(pages + PAGE, PAGE, PROT_NONE) == 0, "mprotect");

	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_QUERY, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_ALLOCATE, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_INSPECT, NULL), EFAULT);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_QUERY, pages + PAGE - 8), EFAULT);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_QUERY, NOT_USER_ADDRESS), EFAULT);
	/* ALLOCATE whose struct is cut short by the guard page: only 8 bytes readable. */
	*(uint64_t *)(pages + PAGE - 8) = PAGE;
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_ALLOCATE, pages + PAGE - 8), EFAULT);
	CHECK(totals(&b1, &a1) && b1 == b0 && a1 == a0, "a short ALLOCATE changed totals");
	/* A read-only struct: the input is read, the output cannot be written back. */
	memset(pages, 0, PAGE);
	*(uint64_t *)pages = PAGE;
	CHECK(mprotect(pages, PAGE, PROT_READ) == 0, "mprotect ro");
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_ALLOCATE, pages), EFAULT);
	CHECK(totals(&b1, &a1) && b1 == b0 && a1 == a0,
	      "a failed ALLOCATE left an allocation: %llu/%u", b1, a1);
	/* Nothing was kept, so this handle is not busy. */
	CHECK(allocate(fd, PAGE, &a), "ALLOCATE after EFAULT: %s", strerror(errno));
	/* INSPECT reads a valid request from a read-only page, cannot answer. */
	CHECK(mprotect(pages, PAGE, PROT_READ | PROT_WRITE) == 0, "mprotect rw");
	memset(pages, 0, PAGE);
	((struct shm_inspect *)pages)->count = 1;
	CHECK(mprotect(pages, PAGE, PROT_READ) == 0, "mprotect ro");
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_INSPECT, pages), EFAULT);
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_INSPECT, pages + PAGE - 16), EFAULT);
	EXPECT_ERRNO(pread(fd, pages, 16, 0), EFAULT);
	EXPECT_ERRNO(pread(fd, pages + PAGE, 16, 0), EFAULT);
	munmap(pages, 2 * PAGE);
	close(fd);
	return true;
}

/* ENOTTY: unknown numbers, and known numbers with another struct size. */
static bool t_enotty_rows(void)
{
	uint64_t small[4] = { PAGE, 0, 0, 0 };
	unsigned char big[512] = { 0 };
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	EXPECT_ERRNO(ioctl(fd, _IO('S', 0x04)), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOWR('S', 0x7f, uint64_t), small), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IO('X', 0x00)), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOWR('S', 0x01, uint64_t), small), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOR('S', 0x00, uint32_t), small), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOWR('S', 0x03, struct shm_allocate), big), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, _IOW('S', 0x02, uint64_t), small), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, 0xdeadbeef, big), ENOTTY);
	EXPECT_ERRNO(ioctl(fd, TCGETS, big), ENOTTY);
	close(fd);
	return true;
}

/* EBUSY and ENODATA: state rows. */
static bool t_state_rows(void)
{
	struct shm_allocate a, b;
	struct shm_inspect in;
	char byte;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_RELEASE), ENODATA);
	EXPECT_ERRNO(inspect(fd, 0, 1, &in) ? 0 : -1, ENODATA);
	EXPECT_ERRNO(read(fd, &byte, 1), ENODATA);
	EXPECT_ERRNO(pread(fd, &byte, 1, 0), ENODATA);
	CHECK(allocate(fd, 2 * PAGE, &a), "ALLOCATE");
	EXPECT_ERRNO(allocate(fd, PAGE, &b) ? 0 : -1, EBUSY);
	/* Parameters before state: a bad size on a busy handle is EINVAL. */
	EXPECT_ERRNO(allocate(fd, 0, &b) ? 0 : -1, EINVAL);
	CHECK(inspect(fd, 0, SHM_SEED_COUNT, &in) && seeded(in.values),
	      "the first allocation changed");
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_RELEASE), ENODATA);
	EXPECT_ERRNO(inspect(fd, 0, 1, &in) ? 0 : -1, ENODATA);
	close(fd);
	return true;
}

/* ENOMEM: the global cap (default 256 MiB = four 64 MiB allocations). */
static bool t_enomem_cap(void)
{
	int fds[5];
	struct shm_allocate a;
	unsigned long long b0, b1;
	unsigned int a0, a1;
	int n = 0;

	CHECK(totals(&b0, &a0), "QUERY");
	CHECK(b0 == 0, "another allocation is live (%llu bytes): cap test needs a quiet device", b0);
	for (n = 0; n < 4; n++) {
		fds[n] = open_dev();
		CHECK(fds[n] >= 0, "open");
		CHECK(allocate(fds[n], SHM_DEFAULT_MAX_SIZE, &a), "ALLOCATE #%d: %s", n,
		      strerror(errno));
	}
	fds[4] = open_dev();
	CHECK(fds[4] >= 0, "open");
	EXPECT_ERRNO(allocate(fds[4], 1, &a) ? 0 : -1, ENOMEM);
	CHECK(totals(&b1, &a1) && b1 == SHM_DEFAULT_TOTAL_CAP && a1 == 4,
	      "totals at the cap: %llu/%u", b1, a1);
	EXPECT_OK(ioctl(fds[0], SHM_IOCTL_RELEASE));
	CHECK(allocate(fds[4], 1, &a), "ALLOCATE after freeing room: %s", strerror(errno));
	for (n = 0; n < 5; n++)
		close(fds[n]);
	return true;
}

/* mmap's EINVAL rows, and mappings shorter than mapped_size. */
static bool t_mmap_rows(void)
{
	struct shm_allocate a;
	void *p;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	p = map(fd, PAGE);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap with nothing allocated: %s",
	      strerror(errno));
	CHECK(allocate(fd, 4 * PAGE, &a), "ALLOCATE");
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, PAGE);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap at offset 1 page");
	p = map(fd, 5 * PAGE);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap longer than mapped_size");
	p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "MAP_PRIVATE");
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p == MAP_FAILED && errno == EINVAL, "read-only MAP_PRIVATE");
	p = map(fd, 2 * PAGE);
	CHECK(p != MAP_FAILED && seeded(p), "a shorter mapping");
	munmap(p, 2 * PAGE);
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	p = map(fd, PAGE);
	CHECK(p == MAP_FAILED && errno == EINVAL, "mmap after RELEASE");
	close(fd);
	return true;
}

/* RELEASE while mapped: the mapping still works and is counted until munmap. */
static bool t_release_while_mapped(void)
{
	unsigned long long b0, b1;
	unsigned int a0, a1;
	struct shm_allocate a, b;
	uint16_t *v, *w;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(totals(&b0, &a0), "QUERY");
	CHECK(allocate(fd, 8 * PAGE, &a), "ALLOCATE");
	v = map(fd, a.mapped_size);
	CHECK(v != MAP_FAILED, "mmap");
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	CHECK(totals(&b1, &a1) && b1 == b0 + a.mapped_size && a1 == a0 + 1,
	      "released but mapped pages should still count: %llu/%u", b1, a1);
	v[5000] = 77;
	CHECK(seeded(v) && v[5000] == 77, "the mapping stopped working after RELEASE");
	/* The handle is free for a new allocation while the old one is mapped. */
	CHECK(allocate(fd, PAGE, &b), "ALLOCATE after RELEASE: %s", strerror(errno));
	w = map(fd, PAGE);
	CHECK(w != MAP_FAILED && seeded(w), "mmap the new one");
	w[11] = 9;
	CHECK(v[11] == 0, "the old and new allocations share pages");
	CHECK(totals(&b1, &a1) && a1 == a0 + 2, "two live allocations: %u", a1);
	munmap(v, a.mapped_size);
	CHECK(totals(&b1, &a1) && b1 == b0 + PAGE && a1 == a0 + 1, "after munmap: %llu/%u", b1,
	      a1);
	munmap(w, PAGE);
	close(fd);
	return true;
}

/* close while mapped: pages stay until the last munmap. */
static bool t_close_while_mapped(void)
{
	unsigned long long b0, b1;
	unsigned int a0, a1;
	struct shm_allocate a;
	uint16_t *v, *v2;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(totals(&b0, &a0), "QUERY");
	CHECK(allocate(fd, 4 * PAGE, &a), "ALLOCATE");
	v = map(fd, a.mapped_size);
	v2 = map(fd, PAGE);
	CHECK(v != MAP_FAILED && v2 != MAP_FAILED, "mmap twice");
	close(fd);
	v[3] = 0xabcd;
	CHECK(v2[3] == 0xabcd, "two mappings of one allocation differ");
	CHECK(totals(&b1, &a1) && b1 == b0 + a.mapped_size && a1 == a0 + 1,
	      "closed but mapped should still count: %llu/%u", b1, a1);
	munmap(v, a.mapped_size);
	CHECK(totals(&b1, &a1) && a1 == a0 + 1, "one mapping left should still count");
	munmap(v2, PAGE);
	return true;
}

/* fork after mmap: the child shares the pages; they go with the last user. */
static bool t_fork_after_mmap(void)
{
	unsigned long long b0, b1;
	unsigned int a0, a1;
	struct shm_allocate a;
	int go[2], done[2], status;
	uint16_t *v;
	pid_t pid;
	char c = 0;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(totals(&b0, &a0), "QUERY");
	CHECK(allocate(fd, 2 * PAGE, &a), "ALLOCATE");
	v = map(fd, a.mapped_size);
	CHECK(v != MAP_FAILED, "mmap");
	CHECK(pipe(go) == 0 && pipe(done) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		/* Child: only its copy of the VMA may keep the pages, not the fd. */
		close(fd);
		v[100] = 4321;
		if (write(done[1], "w", 1) != 1)
			_exit(2);
		if (read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(v[101] == 1234 && seeded(v) ? 0 : 1);
	}
	CHECK(read(done[0], &c, 1) == 1, "child did not report");
	CHECK(v[100] == 4321, "the parent does not see the child's write");
	v[101] = 1234;
	/*
	 * The parent lets go first: RELEASE drops the file's reference (a VMA
	 * keeps the file itself open), so only the child's VMA holds the pages.
	 */
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	munmap(v, a.mapped_size);
	close(fd);
	CHECK(totals(&b1, &a1) && b1 == b0 + a.mapped_size && a1 == a0 + 1,
	      "the child's mapping should still count: %llu/%u", b1, a1);
	CHECK(write(go[1], "g", 1) == 1, "pipe");
	CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %#x", status);
	close(go[0]); close(go[1]); close(done[0]); close(done[1]);
	return true;
}

/* mremap: growing is refused (VM_DONTEXPAND); moving and shrinking are safe. */
static bool t_mremap(void)
{
	struct shm_allocate a;
	uint16_t *v, *moved, *target;
	void *r;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(allocate(fd, 4 * PAGE, &a), "ALLOCATE");
	v = map(fd, 2 * PAGE);
	CHECK(v != MAP_FAILED, "mmap");
	r = mremap(v, 2 * PAGE, 4 * PAGE, 0);
	CHECK(r == MAP_FAILED, "mremap grew a VM_DONTEXPAND mapping");
	r = mremap(v, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	CHECK(r == MAP_FAILED, "mremap grew a VM_DONTEXPAND mapping by moving it");
	CHECK(seeded(v), "the mapping changed after a refused mremap");
	v[PAGE / 2 + 1] = 55;	/* in the second page */
	/* Move it elsewhere, same size. */
	target = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(target != MAP_FAILED, "reserve");
	moved = mremap(v, 2 * PAGE, 2 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target);
	if (moved != MAP_FAILED) {
		CHECK(seeded(moved) && moved[PAGE / 2 + 1] == 55, "moved mapping lost data");
		v = moved;
	} else {
		munmap(target, 2 * PAGE);
	}
	/* Shrink to one page. */
	r = mremap(v, 2 * PAGE, PAGE, 0);
	CHECK(r == v, "mremap shrink: %s", strerror(errno));
	CHECK(seeded(v), "shrunk mapping lost data");
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	munmap(v, PAGE);
	close(fd);
	return true;
}

/* munmap of part of it: the VMA splits and each piece holds a reference. */
static bool t_partial_munmap(void)
{
	unsigned long long b0, b1;
	unsigned int a0, a1;
	struct shm_allocate a;
	unsigned char *p;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(totals(&b0, &a0), "QUERY");
	CHECK(allocate(fd, 8 * PAGE, &a), "ALLOCATE");
	p = map(fd, a.mapped_size);
	CHECK(p != MAP_FAILED, "mmap");
	CHECK(munmap(p + 3 * PAGE, 2 * PAGE) == 0, "munmap the middle");
	CHECK(munmap(p, PAGE) == 0, "munmap the head");
	CHECK(mprotect(p + 7 * PAGE, PAGE, PROT_READ) == 0, "mprotect the tail (another split)");
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	close(fd);
	p[PAGE + 1] = 1;
	p[6 * PAGE] = 6;
	CHECK(p[7 * PAGE] == 0 && p[2 * PAGE] == 0, "remaining pieces unreadable");
	CHECK(totals(&b1, &a1) && b1 == b0 + a.mapped_size && a1 == a0 + 1,
	      "pieces should still count: %llu/%u", b1, a1);
	munmap(p + PAGE, 2 * PAGE);
	CHECK(totals(&b1, &a1) && a1 == a0 + 1, "the last pieces should still count");
	munmap(p + 5 * PAGE, 3 * PAGE);
	return true;
}

/* SIGKILL a child that holds a mapping (and one that is busy in ioctls). */
static bool t_sigkill_while_mapped(void)
{
	int ready[2], status;
	pid_t pid;
	char c;

	CHECK(pipe(ready) == 0, "pipe");
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (pid == 0) {
		struct shm_allocate a;
		int fd = open_dev();
		uint16_t *v;

		if (fd < 0 || !allocate(fd, MIB, &a))
			_exit(2);
		v = map(fd, a.mapped_size);
		if (v == MAP_FAILED)
			_exit(3);
		/* Drop the fd: only the mapping keeps the pages now. */
		close(fd);
		v[7] = 7;
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		for (;;)
			pause();
	}
	CHECK(read(ready[0], &c, 1) == 1, "child never got ready");
	{
		unsigned long long b;
		unsigned int n;

		CHECK(totals(&b, &n) && n >= 1 && b >= MIB, "the child's allocation is not counted");
	}
	kill(pid, SIGKILL);
	CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status), "child status %#x",
	      status);
	close(ready[0]);
	close(ready[1]);
	return true;
}

static void *hammer(void *arg)
{
	int fd = *(int *)arg;

	for (;;) {
		struct shm_allocate a;
		struct shm_inspect in;
		void *p;

		if (allocate(fd, 16 * PAGE, &a)) {
			p = map(fd, a.mapped_size);
			if (p != MAP_FAILED) {
				((volatile uint16_t *)p)[3] = 1;
				munmap(p, a.mapped_size);
			}
		}
		inspect(fd, 0, 8, &in);
		ioctl(fd, SHM_IOCTL_RELEASE);
	}
	return NULL;
}

/* kill -9 at random moments while several threads are inside the driver. */
static bool t_sigkill_at_random_moments(void)
{
	srand(12345);
	for (int round = 0; round < 20; round++) {
		int status;
		pid_t pid = fork();

		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			pthread_t t[4];
			int fd = open_dev();

			if (fd < 0)
				_exit(2);
			for (int i = 0; i < 4; i++)
				pthread_create(&t[i], NULL, hammer, &fd);
			hammer(&fd);
		}
		usleep(1000 + rand() % 40000);
		kill(pid, SIGKILL);
		CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status),
		      "round %d: child status %#x", round, status);
	}
	return true;
}

struct race {
	int fd;
	int allocated, busy, released, nodata, other;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 300; i++) {
		struct shm_allocate a;
		struct shm_inspect in;
		void *p;

		if (allocate(r->fd, (1 + i % 5) * PAGE, &a))
			__atomic_add_fetch(&r->allocated, 1, __ATOMIC_RELAXED);
		else if (errno == EBUSY)
			__atomic_add_fetch(&r->busy, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&r->other, 1, __ATOMIC_RELAXED);
		p = map(r->fd, PAGE);
		if (p != MAP_FAILED) {
			if (!seeded(p))
				__atomic_add_fetch(&r->other, 1, __ATOMIC_RELAXED);
			munmap(p, PAGE);
		} else if (errno != EINVAL) {
			__atomic_add_fetch(&r->other, 1, __ATOMIC_RELAXED);
		}
		if (!inspect(r->fd, 0, 4, &in) && errno != ENODATA)
			__atomic_add_fetch(&r->other, 1, __ATOMIC_RELAXED);
		if (ioctl(r->fd, SHM_IOCTL_RELEASE) == 0)
			__atomic_add_fetch(&r->released, 1, __ATOMIC_RELAXED);
		else if (errno == ENODATA)
			__atomic_add_fetch(&r->nodata, 1, __ATOMIC_RELAXED);
		else
			__atomic_add_fetch(&r->other, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Many threads on one fd: every ALLOCATE is matched by exactly one RELEASE. */
static bool t_concurrent_one_fd(void)
{
	struct race r = { .fd = open_dev() };
	pthread_t t[8];

	CHECK(r.fd >= 0, "open");
	for (int i = 0; i < 8; i++)
		CHECK(pthread_create(&t[i], NULL, race_thread, &r) == 0, "pthread_create");
	for (int i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	if (ioctl(r.fd, SHM_IOCTL_RELEASE) == 0)
		r.released++;
	CHECK(r.other == 0, "%d unexpected results", r.other);
	CHECK(r.allocated == r.released, "%d allocations, %d releases", r.allocated, r.released);
	CHECK(r.allocated > 0 && r.busy + r.allocated == 8 * 300,
	      "allocated %d busy %d", r.allocated, r.busy);
	close(r.fd);
	return true;
}

/* An unprivileged user (uid 1000, not in the group) is refused; the group is let in. */
static bool t_permissions(void)
{
	struct group *g = getgrnam("sharedmemory");
	int status;
	pid_t pid;

	CHECK(g, "no group sharedmemory");
	for (int with_group = 0; with_group < 2; with_group++) {
		pid = fork();
		CHECK(pid >= 0, "fork");
		if (pid == 0) {
			gid_t gid = with_group ? g->gr_gid : 1000;
			int fd;

			if (setgroups(0, NULL) || setgid(gid) || setuid(1000))
				_exit(10);
			fd = open(SHM_LINUX_DEVICE_PATH, O_RDWR);
			if (with_group)
				_exit(fd >= 0 ? 0 : 1);
			_exit(fd < 0 && errno == EACCES ? 0 : 1);
		}
		CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s (status %#x)",
		      with_group ? "group sharedmemory could not open the device"
				 : "uid 1000 was not refused with EACCES", status);
	}
	return true;
}

/*
 * ALLOCATE and RELEASE need an fd open for reading and writing: on a read-only
 * or write-only one they are EBADF before any other check (2026-11-29), and
 * nothing changes. QUERY and INSPECT work there as on any fd.
 */
static bool t_access_mode(void)
{
	static const struct { int flags; const char *name; } modes[] = {
		{ O_RDONLY, "O_RDONLY" }, { O_WRONLY, "O_WRONLY" },
	};
	unsigned long long b0, b1;
	unsigned int a0, a1;

	CHECK(totals(&b0, &a0), "QUERY");
	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		struct shm_device_info info;
		struct shm_allocate a;
		struct shm_inspect in;
		int fd = open(SHM_LINUX_DEVICE_PATH, modes[m].flags | O_CLOEXEC);

		CHECK(fd >= 0, "open %s: %s", modes[m].name, strerror(errno));
		EXPECT_ERRNO(allocate(fd, PAGE, &a) ? 0 : -1, EBADF);
		/* Before the buffer check (NULL), the parameters (size 0) and the state. */
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_ALLOCATE, NULL), EBADF);
		EXPECT_ERRNO(allocate(fd, 0, &a) ? 0 : -1, EBADF);
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_RELEASE), EBADF);
		CHECK(ioctl(fd, SHM_IOCTL_QUERY, &info) == 0, "QUERY on %s: %s",
		      modes[m].name, strerror(errno));
		EXPECT_ERRNO(inspect(fd, 0, 1, &in) ? 0 : -1, ENODATA);
		CHECK(totals(&b1, &a1) && b1 == b0 && a1 == a0,
		      "a refused ALLOCATE on %s changed totals", modes[m].name);
		close(fd);
	}
	return true;
}

/*
 * MADV_DONTNEED drops the PTEs; a touch afterwards maps the same pages back
 * (the fault handler): what was written is still there, both ways.
 */
static bool t_madv_dontneed(void)
{
	const size_t len = 16 * PAGE;
	struct shm_allocate a;
	struct shm_inspect in;
	unsigned char *p;
	int fd = open_dev();

	CHECK(fd >= 0, "open");
	CHECK(allocate(fd, len, &a), "ALLOCATE");
	p = map(fd, len);
	CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	for (size_t pg = 1; pg < len / PAGE; pg++)
		p[pg * PAGE] = (unsigned char)pg;
	CHECK(madvise(p, len, MADV_DONTNEED) == 0, "MADV_DONTNEED: %s", strerror(errno));
	CHECK(seeded((uint16_t *)p), "the seed is gone after MADV_DONTNEED");
	for (size_t pg = 1; pg < len / PAGE; pg++)
		CHECK(p[pg * PAGE] == (unsigned char)pg, "page %zu came back as %u", pg,
		      p[pg * PAGE]);
	/* A write after the fault reaches the driver's pages, not a copy. */
	CHECK(madvise(p + 4 * PAGE, 2 * PAGE, MADV_DONTNEED) == 0, "partial MADV_DONTNEED");
	((uint16_t *)(p + 5 * PAGE))[1] = 0xbeef;
	CHECK(inspect(fd, 5 * PAGE + 2, 1, &in) && in.values[0] == 0xbeef,
	      "INSPECT after a write to a faulted-back page: %#x", in.values[0]);
	/* Released and the fd closed: the mapping still holds the pages. */
	EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
	close(fd);
	CHECK(madvise(p, len, MADV_DONTNEED) == 0, "MADV_DONTNEED after close");
	CHECK(((uint16_t *)(p + 5 * PAGE))[1] == 0xbeef && p[15 * PAGE] == 15,
	      "pages changed after RELEASE, close and MADV_DONTNEED");
	munmap(p, len);
	return true;
}

/* ---- memory cgroup ----------------------------------------------------- */

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_DIR CGROUP_ROOT "/sharedmemory-test"

static bool write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text);
}

static bool read_u64(const char *path, unsigned long long *value)
{
	char text[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	return n > 0 && sscanf(text, "%llu", value) == 1;
}

/* One "key value" line of a flat-keyed cgroup file such as memory.events. */
static bool read_key(const char *path, const char *key, unsigned long long *value)
{
	char name[64];
	bool found = false;
	FILE *f = fopen(path, "re");

	if (!f)
		return false;
	while (!found && fscanf(f, "%63s %llu", name, value) == 2)
		found = !strcmp(name, key);
	fclose(f);
	return found;
}

/*
 * The per-CPU charge caches let memory.current move by up to 64 pages per CPU
 * without anyone allocating; 1 MiB is well under the 16 MiB asked for.
 */
#define CHARGE_SLACK MIB

/*
 * Runs in a process of its own inside CGROUP_DIR, with memory.max already
 * set: ALLOCATE of 16 MiB must fail with ENOMEM below the limit, and succeed
 * and show in memory.current above it; either way nothing stays charged.
 */
static bool memcg_child(const void *arg)
{
	const bool below_limit = *(const bool *)arg;
	const unsigned long long size = 16 * MIB;
	unsigned long long before, during, after;
	struct shm_allocate a;
	char pid[32];
	int fd;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	CHECK(write_file(CGROUP_DIR "/cgroup.procs", pid), "joining the cgroup: %s",
	      strerror(errno));
	fd = open_dev();
	CHECK(fd >= 0, "open");
	CHECK(read_u64(CGROUP_DIR "/memory.current", &before), "memory.current");
	if (below_limit) {
		unsigned long long hit_max = 0, oom_kills = 0;

		EXPECT_ERRNO(allocate(fd, size, &a) ? 0 : -1, ENOMEM);
		CHECK(read_u64(CGROUP_DIR "/memory.current", &after), "memory.current");
		CHECK(after < before + CHARGE_SLACK,
		      "memory.current %llu after the refused ALLOCATE, %llu before", after, before);
		/* It was the cgroup's limit that refused, and no OOM killer ran. */
		CHECK(read_key(CGROUP_DIR "/memory.events", "max", &hit_max) && hit_max > 0,
		      "memory.events: the limit was never hit");
		CHECK(read_key(CGROUP_DIR "/memory.events", "oom_kill", &oom_kills) && oom_kills == 0,
		      "memory.events: %llu OOM kills", oom_kills);
		/* The handle is not left busy. */
		EXPECT_ERRNO(ioctl(fd, SHM_IOCTL_RELEASE), ENODATA);
	} else {
		CHECK(allocate(fd, size, &a), "ALLOCATE 16 MiB under memory.max 64M: %s",
		      strerror(errno));
		CHECK(read_u64(CGROUP_DIR "/memory.current", &during), "memory.current");
		CHECK(during >= before + size,
		      "memory.current %llu while 16 MiB is allocated, %llu before: not charged",
		      during, before);
		EXPECT_OK(ioctl(fd, SHM_IOCTL_RELEASE));
		CHECK(read_u64(CGROUP_DIR "/memory.current", &after), "memory.current");
		CHECK(after < before + CHARGE_SLACK,
		      "memory.current %llu after RELEASE, %llu before", after, before);
	}
	close(fd);
	return true;
}

/* Runs memcg_child in a fresh process under memory.max = @max. */
static bool memcg_case(const char *max, bool below_limit)
{
	CHECK(write_file(CGROUP_DIR "/memory.max", max), "memory.max %s: %s", max,
	      strerror(errno));
	return run_in_child(memcg_child, &below_limit);
}

/*
 * The pages are charged to the caller's memory cgroup (cgroup v2, mounted at
 * /sys/fs/cgroup with the memory controller): a cgroup whose memory.max is
 * below the request gets ENOMEM and is charged nothing; above it the charge
 * shows in memory.current until RELEASE.
 */
static bool t_memcg(void)
{
	char controllers[256] = "";
	bool ok, removed;
	int fd = open(CGROUP_ROOT "/cgroup.controllers", O_RDONLY | O_CLOEXEC);

	CHECK(fd >= 0, "%s/cgroup.controllers: %s (cgroup v2 not mounted)", CGROUP_ROOT,
	      strerror(errno));
	CHECK(read(fd, controllers, sizeof(controllers) - 1) >= 0, "read cgroup.controllers");
	close(fd);
	CHECK(strstr(controllers, "memory"), "no memory controller in \"%s\"", controllers);
	CHECK(write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory"),
	      "enabling the memory controller: %s", strerror(errno));
	rmdir(CGROUP_DIR);	/* left over from an earlier run, if any */
	CHECK(mkdir(CGROUP_DIR, 0755) == 0, "mkdir %s: %s", CGROUP_DIR, strerror(errno));
	ok = memcg_case("8M", true) && memcg_case("64M", false);
	/* Empty once the children are gone. */
	removed = rmdir(CGROUP_DIR) == 0;
	if (!ok)
		return false;
	CHECK(removed, "rmdir %s: %s", CGROUP_DIR, strerror(errno));
	return true;
}

/* --hold-mapping: for rmmod while a mapping is alive (guest-tests.sh). */
static int hold_mapping(void)
{
	struct shm_allocate a;
	char line[16];
	void *p;
	int fd = open_dev();

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (fd < 0 || !allocate(fd, PAGE, &a)) {
		printf("hold: ALLOCATE: %s\n", strerror(errno));
		return 1;
	}
	p = map(fd, PAGE);
	if (p == MAP_FAILED) {
		printf("hold: mmap: %s\n", strerror(errno));
		return 1;
	}
	/* Only the mapping holds the file (and so the module) now. */
	close(fd);
	printf("mapped\n");
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	munmap(p, PAGE);
	printf("unmapped\n");
	while (fgets(line, sizeof(line), stdin))
		;
	return 0;
}

static const struct scenario scenarios[] = {
	{ "query reports the ABI, version, page size and limits", t_query },
	{ "several sizes: rounded up, seeded 10..1, zero beyond the seed", t_sizes_seed_and_zero_fill },
	{ "reused handle gets zeroed pages every time", t_reuse_is_zeroed },
	{ "user write is what INSPECT and pread return", t_write_inspect_read },
	{ "EINVAL rows: size 0/over max, odd offset, range outside, count 0/65", t_einval_rows },
	{ "EFAULT rows: NULL, unmapped, read-only and cut-short buffers", t_efault_rows },
	{ "ENOTTY rows: unknown numbers and wrong struct sizes", t_enotty_rows },
	{ "EBUSY and ENODATA rows", t_state_rows },
	{ "ENOMEM at the global cap, recovers after RELEASE", t_enomem_cap },
	{ "mmap rows: offset, too long, MAP_PRIVATE, nothing allocated, released", t_mmap_rows },
	{ "RELEASE while mapped", t_release_while_mapped },
	{ "close while mapped", t_close_while_mapped },
	{ "fork after mmap", t_fork_after_mmap },
	{ "mremap: grow refused, move and shrink safe", t_mremap },
	{ "munmap and mprotect of parts of a mapping", t_partial_munmap },
	{ "SIGKILL of a child holding a mapping", t_sigkill_while_mapped },
	{ "SIGKILL at random moments during concurrent ioctls (20 rounds)", t_sigkill_at_random_moments },
	{ "8 threads on one fd: ALLOCATE/mmap/INSPECT/RELEASE races", t_concurrent_one_fd },
	{ "uid 1000 refused, group sharedmemory admitted", t_permissions },
	{ "read-only and write-only handles: ALLOCATE and RELEASE are EBADF first", t_access_mode },
	{ "MADV_DONTNEED then touch maps the same pages back", t_madv_dontneed },
	{ "memory cgroup: ENOMEM below memory.max, charged above it, nothing left", t_memcg },
};

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : NULL;

	if (only && !strcmp(only, "--hold-mapping"))
		return hold_mapping();
	return run_scenarios(CLIENT_NAME, scenarios, sizeof(scenarios) / sizeof(scenarios[0]), only);
}
