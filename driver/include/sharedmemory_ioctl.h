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
typedef INT32 shm_s32;
# else
#  include <stdint.h>
typedef uint16_t shm_u16;
typedef uint32_t shm_u32;
typedef uint64_t shm_u64;
typedef int32_t shm_s32;
# endif
#elif defined(__KERNEL__)
# include <linux/types.h>
# include <linux/ioctl.h>
typedef __u16 shm_u16;
typedef __u32 shm_u32;
typedef __u64 shm_u64;
typedef __s32 shm_s32;
#else
# include <stdint.h>
# include <linux/ioctl.h>
typedef uint16_t shm_u16;
typedef uint32_t shm_u32;
typedef uint64_t shm_u64;
typedef int32_t shm_s32;
#endif

/* MSVC's C compiler spells inline __inline; everyone else knows inline. */
#if defined(_MSC_VER) && !defined(__clang__) && !defined(__cplusplus)
# define SHM_INLINE __inline
#else
# define SHM_INLINE inline
#endif

#define SHM_ABI_VERSION         1
#define SHM_DRIVER_VERSION_MAJOR 1
#define SHM_DRIVER_VERSION_MINOR 1	/* 1.1: streaming (CONTRACT.md section 5) */
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
	shm_u32 features;          /* SHM_FEATURE_* bits this driver has */
};

/* shm_device_info.features: the driver streams (section 5 of CONTRACT.md). */
#define SHM_FEATURE_STREAM      0x1u

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

/*
 * Streaming: a producer in the driver writes records into a ring in the
 * shared pages; the app consumes them in place (CONTRACT.md section 5).
 */
#define SHM_RING_MAGIC          0x474E4952u	/* "RING" in memory order */
#define SHM_RING_VERSION        1
#define SHM_RING_RUNNING        1
#define SHM_RING_STOPPED        2
#define SHM_RING_FAULTED        3	/* the app broke the ring: tail impossible */
#define SHM_STREAM_MAX_RATE     100000000u	/* records per second */
#define SHM_STREAM_MAX_BATCH    16384u		/* records per producer tick */
#define SHM_STREAM_MAX_TICK_HZ  10000u		/* producer ticks per second */
#define SHM_RECORD_SIZE         32

struct shm_stream_start {
	shm_u32 rate_hz;           /* in: records per second, 1..SHM_STREAM_MAX_RATE */
	shm_u32 batch;             /* in: records per tick, 1..min(rate_hz, SHM_STREAM_MAX_BATCH),
				    *     and rate_hz <= batch * SHM_STREAM_MAX_TICK_HZ */
	shm_u64 event_handle;      /* in: Windows: an event HANDLE to signal, or 0;
				    *     Linux: 0 (wait with poll/epoll on the fd) */
	shm_u32 capacity;          /* out: records the ring holds, a power of two */
	shm_u32 record_size;       /* out: sizeof(struct shm_record) */
	shm_u64 data_offset;       /* out: byte offset of record 0 = page_size */
};

/*
 * At byte 0 of the allocation while a stream exists. Only the driver writes
 * head, dropped and state; only the consumer writes tail. Each of the three
 * counters has a cache line to itself, so producer and consumer do not
 * bounce one line between them.
 */
struct shm_ring {
	shm_u32 magic;             /*   0: SHM_RING_MAGIC */
	shm_u32 version;           /*   4: SHM_RING_VERSION */
	shm_u32 record_size;       /*   8: sizeof(struct shm_record) */
	shm_u32 capacity;          /*  12: records, a power of two */
	shm_u64 data_offset;       /*  16: byte offset of record 0 */
	shm_u32 rate_hz;           /*  24 */
	shm_u32 batch;             /*  28 */
	shm_u32 state;             /*  32: SHM_RING_RUNNING / _STOPPED / _FAULTED */
	shm_u32 reserved0;         /*  36 */
	shm_u64 reserved1[3];      /*  40 */
	shm_u64 head;              /*  64: records written so far (store-release) */
	shm_u64 reserved2[7];
	shm_u64 tail;              /* 128: records consumed so far (store-release) */
	shm_u64 reserved3[7];
	shm_u64 dropped;           /* 192: records lost (ring full, or producer late) */
	shm_u64 reserved4[7];
};

/* Record i is at data_offset + (i % capacity) * sizeof(struct shm_record). */
struct shm_record {
	shm_u64 sequence;          /* 0, 1, 2, ... since STREAM_START; lost ones skipped */
	shm_u64 timestamp_ns;      /* Linux: ktime_get_ns() (CLOCK_MONOTONIC);
				    * Windows: KeQueryPerformanceCounter in ns */
	shm_s32 sample;            /* shm_stream_sample(sequence) */
	shm_u32 check;             /* shm_stream_check(sequence, sample) */
	shm_u64 reserved;          /* 0 */
};

/*
 * The signal, fixed so every consumer can verify every record; integers
 * only, since the kernel has no floating point. A triangle wave, period
 * 1000 records, from -16000 up to 16000 and back.
 */
static SHM_INLINE shm_s32 shm_stream_sample(shm_u64 sequence)
{
	shm_u32 p = (shm_u32)(sequence % 1000);

	return p < 500 ? -16000 + 64 * (shm_s32)p : 16000 - 64 * (shm_s32)(p - 500);
}

static SHM_INLINE shm_u32 shm_stream_check(shm_u64 sequence, shm_s32 sample)
{
	return (shm_u32)(sequence * 2654435761u) ^ (shm_u32)sample ^ 0x5A5A5A5Au;
}

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
# define SHM_IOCTL_STREAM_START \
	CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x804, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)
# define SHM_IOCTL_STREAM_STOP \
	CTL_CODE(SHM_WIN_DEVICE_TYPE, 0x805, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)
#else
# define SHM_IOCTL_MAGIC        'S'
# define SHM_IOCTL_QUERY        _IOR(SHM_IOCTL_MAGIC, 0x00, struct shm_device_info)
# define SHM_IOCTL_ALLOCATE     _IOWR(SHM_IOCTL_MAGIC, 0x01, struct shm_allocate)
# define SHM_IOCTL_RELEASE      _IO(SHM_IOCTL_MAGIC, 0x02)
# define SHM_IOCTL_INSPECT      _IOWR(SHM_IOCTL_MAGIC, 0x03, struct shm_inspect)
# define SHM_IOCTL_STREAM_START _IOWR(SHM_IOCTL_MAGIC, 0x04, struct shm_stream_start)
# define SHM_IOCTL_STREAM_STOP  _IO(SHM_IOCTL_MAGIC, 0x05)
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
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_device_info, features) == 36,
		  "shm_device_info.features at 36");
SHM_STATIC_ASSERT(sizeof(struct shm_stream_start) == 32, "shm_stream_start is 32 bytes");
SHM_STATIC_ASSERT(sizeof(struct shm_ring) == 256, "shm_ring is 256 bytes");
SHM_STATIC_ASSERT(sizeof(struct shm_record) == SHM_RECORD_SIZE, "shm_record is 32 bytes");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_stream_start, capacity) == 16,
		  "shm_stream_start.capacity at 16");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_stream_start, data_offset) == 24,
		  "shm_stream_start.data_offset at 24");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_ring, data_offset) == 16, "shm_ring.data_offset at 16");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_ring, state) == 32, "shm_ring.state at 32");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_ring, head) == 64, "shm_ring.head at 64");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_ring, tail) == 128, "shm_ring.tail at 128");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_ring, dropped) == 192, "shm_ring.dropped at 192");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_record, sample) == 16, "shm_record.sample at 16");
SHM_STATIC_ASSERT(SHM_OFFSETOF(struct shm_record, check) == 20, "shm_record.check at 20");

#endif /* SHAREDMEMORY_IOCTL_H */
