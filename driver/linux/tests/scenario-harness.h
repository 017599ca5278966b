/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scenario-harness.h - what the VM's C test clients share: CHECK macros that
 * record the first reason a scenario fails, small device helpers, a way to
 * run a function in a child process, and a runner that gives each scenario
 * its own process and checks QUERY's totals before and after it. Each client
 * prints "ok <name>" or "FAIL <name>: why" per scenario and a closing
 * "<part>: N passed, N failed" line.
 */
#ifndef SCENARIO_HARNESS_H
#define SCENARIO_HARNESS_H

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sharedmemory_ioctl.h"

#define PAGE 4096UL
#define MIB (1024UL * 1024UL)

static char why[512];

static inline void __attribute__((format(printf, 2, 3))) note_failure(int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (why[0])
		return;
	n = snprintf(why, sizeof(why), "line %d: ", line);
	va_start(ap, fmt);
	vsnprintf(why + n, sizeof(why) - n, fmt, ap);
	va_end(ap);
}

/* Records the first reason a scenario fails; the scenario returns false. */
#define CHECK(cond, ...) do { \
	if (!(cond)) { \
		note_failure(__LINE__, __VA_ARGS__); \
		return false; \
	} \
} while (0)

/* A call that must fail with @err. */
#define EXPECT_ERRNO(call, err) do { \
	errno = 0; \
	long r_ = (long)(call); \
	CHECK(r_ == -1 && errno == (err), "%s returned %ld errno %d (%s), wanted %s", \
	      #call, r_, errno, strerror(errno), #err); \
} while (0)

#define EXPECT_OK(call) do { \
	errno = 0; \
	long r_ = (long)(call); \
	CHECK(r_ >= 0, "%s failed: %s", #call, strerror(errno)); \
} while (0)

static inline int open_dev(void)
{
	return open(SHM_LINUX_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static inline bool query(struct shm_device_info *info)
{
	int fd = open_dev();
	int r;

	if (fd < 0)
		return false;
	r = ioctl(fd, SHM_IOCTL_QUERY, info);
	close(fd);
	return r == 0;
}

static inline bool totals(unsigned long long *bytes, unsigned int *allocs)
{
	struct shm_device_info info;

	/* Impossible totals if QUERY fails, so no caller prints garbage. */
	*bytes = ~0ULL;
	*allocs = ~0U;
	if (!query(&info))
		return false;
	*bytes = info.total_bytes;
	*allocs = info.allocations;
	return true;
}

static inline bool allocate(int fd, unsigned long long size, struct shm_allocate *out)
{
	memset(out, 0, sizeof(*out));
	out->size = size;
	return ioctl(fd, SHM_IOCTL_ALLOCATE, out) == 0;
}

static inline bool inspect(int fd, unsigned long long offset, unsigned int count,
		    struct shm_inspect *out)
{
	memset(out, 0, sizeof(*out));
	out->offset = offset;
	out->count = count;
	return ioctl(fd, SHM_IOCTL_INSPECT, out) == 0;
}

static inline void *map(int fd, size_t len)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

/*
 * Runs @fn(@arg) in a child process, so nothing it opens or maps outlives it.
 * Its reason for failing comes back through a pipe into why[]; false if it
 * failed or could not be run.
 */
static inline bool run_in_child(bool (*fn)(const void *arg), const void *arg)
{
	int report[2], status;
	ssize_t n;
	pid_t pid;

	why[0] = 0;
	if (pipe(report)) {
		snprintf(why, sizeof(why), "pipe: %s", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, sizeof(why), "fork: %s", strerror(errno));
		close(report[0]);
		close(report[1]);
		return false;
	}
	if (pid == 0) {
		bool ok;

		close(report[0]);
		ok = fn(arg);
		if (!ok && write(report[1], why, strlen(why) + 1) < 0)
			_exit(2);
		_exit(ok ? 0 : 1);
	}
	close(report[1]);
	n = read(report[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = 0;
	close(report[0]);
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(why, sizeof(why), "waitpid: %s", strerror(errno));
		return false;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (!why[0])
			snprintf(why, sizeof(why), "the process ended with status %#x", status);
		return false;
	}
	return true;
}

struct scenario {
	const char *name;
	bool (*run)(void);
};

/*
 * Each scenario runs in its own process, so a failing one cannot leave
 * handles or mappings behind for the next. The totals are checked twice:
 * by the scenario after its own cleanup, and here after the process is gone.
 */
struct scenario_run {
	const struct scenario *s;
	unsigned long long b0;	/* the totals at the scenario's start */
	unsigned int a0;
};

static inline bool scenario_child(const void *arg)
{
	const struct scenario_run *r = arg;
	unsigned long long b1;
	unsigned int a1;

	if (!r->s->run())
		return false;
	if (!(totals(&b1, &a1) && b1 == r->b0 && a1 == r->a0)) {
		snprintf(why, sizeof(why),
			 "left %llu bytes / %u allocations, started at %llu / %u",
			 b1, a1, r->b0, r->a0);
		return false;
	}
	return true;
}

static inline bool run_scenario(const struct scenario *s, unsigned long long b0, unsigned int a0)
{
	const struct scenario_run run = { .s = s, .b0 = b0, .a0 = a0 };
	unsigned long long b1;
	unsigned int a1;

	if (!run_in_child(scenario_child, &run))
		return false;
	/* Whatever the scenario did, the device must be back where it was. */
	if (!(totals(&b1, &a1) && b1 == b0 && a1 == a0)) {
		snprintf(why, sizeof(why), "after exit: %llu bytes / %u allocations, started at %llu / %u",
			 b1, a1, b0, a0);
		return false;
	}
	return true;
}

/* Runs the scenarios whose name contains @only (all when NULL); exit status. */
static inline int run_scenarios(const char *part, const struct scenario *list, size_t count,
				const char *only)
{
	unsigned long long b0;
	unsigned int a0;
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!totals(&b0, &a0)) {
		printf("%s: cannot QUERY %s: %s\n", part, SHM_LINUX_DEVICE_PATH, strerror(errno));
		printf("%s: 0 passed, 1 failed\n", part);
		return 1;
	}
	for (size_t i = 0; i < count; i++) {
		const struct scenario *s = &list[i];
		struct timespec t0, t1;
		bool ok;

		if (only && !strstr(s->name, only))
			continue;
		/* Each scenario is judged against the totals at its own start. */
		if (!totals(&b0, &a0)) {
			printf("%s: QUERY failed before \"%s\": %s\n", part, s->name, strerror(errno));
			failed++;
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		ok = run_scenario(s, b0, a0);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (ok)
			passed++;
		else
			failed++;
		printf("%s %s (%.0f ms)%s%s\n", ok ? "ok  " : "FAIL", s->name,
		       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6,
		       ok ? "" : ": ", ok ? "" : why);
	}
	printf("%s: %d passed, %d failed\n", part, passed, failed);
	return failed ? 1 : 0;
}

#endif /* SCENARIO_HARNESS_H */
