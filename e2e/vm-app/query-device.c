// SPDX-License-Identifier: MIT
/*
 * Guest-side probe: opens /dev/sharedmemory, asks the driver for QUERY and
 * prints its answer as one JSON line. It runs as its own process next to the
 * server, so the totals it reports are what the kernel holds for everyone,
 * independent of the app's code under test. C, not Node: under TCG a Node
 * start costs seconds, this costs nothing.
 *
 * Prints {"error":"...","errno":N} and exits 1 when the device cannot be
 * opened or queried.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../../driver/include/sharedmemory_ioctl.h"

static int fail(const char *step)
{
	int err = errno;

	printf("{\"error\":\"%s failed: %s\",\"errno\":%d}\n", step, strerror(err), err);
	return 1;
}

int main(void)
{
	struct shm_device_info info;
	int fd;

	memset(&info, 0, sizeof(info));
	/* QUERY needs no access right beyond opening the node. */
	fd = open("/dev/sharedmemory", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail("open /dev/sharedmemory");
	if (ioctl(fd, SHM_IOCTL_QUERY, &info) < 0) {
		int ret = fail("ioctl SHM_IOCTL_QUERY");

		close(fd);
		return ret;
	}
	close(fd);
	printf("{\"abiVersion\":%" PRIu32 ",\"driverVersion\":%" PRIu32
	       ",\"pageSize\":%" PRIu64 ",\"maxSize\":%" PRIu64
	       ",\"totalBytes\":%" PRIu64 ",\"allocations\":%" PRIu32 "}\n",
	       info.abi_version, info.driver_version, (uint64_t)info.page_size,
	       (uint64_t)info.max_size, (uint64_t)info.total_bytes, info.allocations);
	return 0;
}
