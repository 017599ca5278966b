/* SPDX-License-Identifier: (GPL-2.0 OR MIT) */
/*
 * sharedmemory_ioctl.h - the SharedMemory device's user/kernel interface.
 *
 * One header for both drivers and for the user-mode clients on both systems:
 *   - Windows kernel:  after <wdm.h>/<ntddk.h>
 *   - Windows user:    after <windows.h> and <winioctl.h>
 *   - Linux kernel:    on its own (uses <linux/types.h> and <linux/ioctl.h>)
 *   - Linux user:      on its own (uses <stdint.h> and <linux/ioctl.h>)
 *
 * Only fixed-width types, so the layout is the same for x64 Windows (LLP64)
 * and x64 Linux (LP64); the static asserts at the end pin it.
 */
#ifndef SHAREDMEMORY_IOCTL_H
#define SHAREDMEMORY_IOCTL_H

#if defined(_WIN32)
/* CTL_CODE and the NT types come from the including file. */
# if defined(_KERNEL_MODE) || defined(_NTDDK_) || defined(_WDMDDK_)
typedef UINT16 shm_u16;
typedef UINT32 shm_u32;
typedef UINT64 shm_u64;
# else
#  include <stdint.h>
typedef uint16_t shm_u16;
typedef uint32_t shm_u32;
typedef uint64_t shm_u64;
# endif
#elif defined(__KERNEL__)
# include <linux/types.h>
# include <linux/ioctl.h>
typedef __u16 shm_u16;
typedef __u32 shm_u32;
typedef __u64 shm_u64;
#else
# include <stdint.h>
# include <linux/ioctl.h>
typedef uint16_t shm_u16;
typedef uint32_t shm_u32;
typedef uint64_t shm_u64;
#endif

#define SHM_ABI_VERSION         1
#define SHM_DRIVER_VERSION_MAJOR 1
#define SHM_DRIVER_VERSION_MINOR 0
#define SHM_DRIVER_VERSION \
	((SHM_DRIVER_VERSION_MAJOR << 16) | SHM_DRIVER_VERSION_MINOR)

/* INSPECT returns at most this many u16 values per call. */
#define SHM_INSPECT_MAX         64
/* ALLOCATE writes 10, 9, ..., 1 into the first ten u16 (the 2010 article's check values). */
#define SHM_SEED_COUNT          10
/* Largest single ALLOCATE, and the cap on all handles together (both tunable). */
#define SHM_DEFAULT_MAX_SIZE    (64ull << 20)
#define SHM_DEFAULT_TOTAL_CAP   (256ull << 20)

/* Names the device is known by (see CONTRACT.md section 1). */
#define SHM_LINUX_DEVICE_NAME   "sharedmemory"
#define SHM_LINUX_DEVICE_PATH   "/dev/sharedmemory"
#define SHM_WIN_DEVICE_NAME     L"\\Device\\SharedMemory"
#define SHM_WIN_LINK_NAME       L"\\DosDevices\\SharedMemory"
#define SHM_WIN_USER_PATH       L"\\\\.\\SharedMemory"

struct shm_device_info {
	shm_u32 abi_version;       /* SHM_ABI_VERSION */
	shm_u32 driver_version;    /* (major << 16) | minor */
	shm_u64 page_size;
	shm_u64 max_size;          /* largest ALLOCATE accepted */
	shm_u64 total_bytes;       /* bytes allocated now, all handles */
	shm_u32 allocations;       /* live allocations, all handles */
	shm_u32 reserved;
};

struct shm_allocate {
	shm_u64 size;              /* in: bytes wanted, rounded up to pages */
	shm_u64 user_address;      /* out: Windows: mapped address; Linux: 0 */
	shm_u64 mapped_size;       /* out: bytes actually backed and mappable */
};

struct shm_inspect {
	shm_u64 offset;            /* in: byte offset, even, range inside the allocation */
	shm_u32 count;             /* in: 1..SHM_INSPECT_MAX u16 values */
	shm_u32 reserved;
	shm_u16 values[SHM_INSPECT_MAX]; /* out: read through the driver's kernel mapping */
};

#if defined(_WIN32)
/*
 * 0x8000 is the first device type reserved for vendors. The access bits are
 * checked by the I/O manager against the handle's granted access, so a
 * read-only handle cannot ALLOCATE or RELEASE.
 */
# define SHM_WIN_DEVICE_TYPE    0x8000
# define SHM_IOCTL_QUERY \
	CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS)
# define SHM_IOCTL_ALLOCATE \
	CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x801, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)
# define SHM_IOCTL_RELEASE \
	CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x802, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)
# define SHM_IOCTL_INSPECT \
	CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x803, METHOD_BUFFERED, FILE_READ_DATA)
#else
# define SHM_IOCTL_MAGIC        'S'
# define SHM_IOCTL_QUERY        _IOR(SHM_IOCTL_MAGIC, 0x00, struct shm_device_info)
# define SHM_IOCTL_ALLOCATE     _IOWR(SHM_IOCTL_MAGIC, 0x01, struct shm_allocate)
# define SHM_IOCTL_RELEASE      _IO(SHM_IOCTL_MAGIC, 0x02)
# define SHM_IOCTL_INSPECT      _IOWR(SHM_IOCTL_MAGIC, 0x03, struct shm_inspect)
#endif

/* The layout is part of the ABI: the same bytes on x64 Windows and x64 Linux. */
#if defined(__cplusplus)
# define SHM_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#elif defined(_MSC_VER) && !defined(__clang__)
# define SHM_STATIC_ASSERT(cond, msg) C_ASSERT(cond)
#else
# define SHM_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#if defined(_MSC_VER) && !defined(__clang__)
# define SHM_OFFSETOF(type, field) FIELD_OFFSET(type, field)
#else
# define SHM_OFFSETOF(type, field) __builtin_offsetof(type, field)
#endif

SHM_STATIC_ASSERT(sizeof(struct shm_device_info) == 40, "shm_device_info is 40 bytes");
SHM_STATIC_ASSERT(sizeof(struct shm_allocate) == 24, "shm_allocate is 24 bytes");
SHM_STATIC_ASSERT(sizeof(struct shm_inspect) == 144, "shm_inspect is 144 bytes");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_device_info, total_bytes) == 24,
		  "shm_device_info.total_bytes at 24");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_device_info, allocations) == 32,
		  "shm_device_info.allocations at 32");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_inspect, values) == 16,
		  "shm_inspect.values at 16");

#endif /* SHAREDMEMORY_IOCTL_H */
