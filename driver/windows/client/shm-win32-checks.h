/* SPDX-License-Identifier: MIT */
/*
 * shm-win32-checks.h - what the Win32 test clients of the SharedMemory
 * driver share (client/shm-client.c, tests/stream-test.c): the ok/FAIL
 * lines and their counts, opening the device, and DeviceIoControl returning
 * the Win32 error.
 */
#ifndef SHM_WIN32_CHECKS_H
#define SHM_WIN32_CHECKS_H

#include <windows.h>
#include <winioctl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sharedmemory_ioctl.h"

static int g_passed;
static int g_failed;

/* Prints "ok" or "FAIL" and the line; counts it. */
static inline void check(BOOL ok, const char *what, ...)
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

static inline HANDLE open_device(DWORD access)
{
	return CreateFileW(SHM_WIN_USER_PATH, access, FILE_SHARE_READ | FILE_SHARE_WRITE, NULL,
			   OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
}

/* DeviceIoControl that returns 0 on success, else GetLastError(). */
static inline DWORD ioctl(HANDLE device, DWORD code, void *in, DWORD in_size, void *out,
			  DWORD out_size, DWORD *returned)
{
	DWORD bytes = 0;

	if (!DeviceIoControl(device, code, in, in_size, out, out_size, &bytes, NULL))
		return GetLastError();
	if (returned)
		*returned = bytes;
	return 0;
}

static inline DWORD allocate(HANDLE device, UINT64 size, struct shm_allocate *result)
{
	memset(result, 0, sizeof(*result));
	result->size = size;
	return ioctl(device, SHM_IOCTL_ALLOCATE, result, sizeof(*result), result,
		     sizeof(*result), NULL);
}

#endif /* SHM_WIN32_CHECKS_H */
