/* SPDX-License-Identifier: MIT */
/*
 * sharedmemory.c - SharedMemory, a WDM driver that shares pages with an
 * application without copying.
 *
 * The 2010 article's driver, made right for 64-bit Windows 10/11. The file
 * reads in the article's order (search for "Step"):
 *
 *   Types       the per-handle context and the driver's global state
 *   Step 1      allocate physical pages, described by an MDL
 *   Step 2      map them into kernel space
 *   Step 3      write the check values 10, 9, ..., 1
 *   Step 4      map the same pages into the calling process
 *   Step 5      return the user address to the application
 *   Step 6      on release: unmap from the process, unmap from the kernel, free;
 *               and "Step 6 at process exit"
 *   Streaming   after the article: a timer in the driver writes records into
 *               a ring in the shared pages, the app reads them in place
 *               (the contract's section 5)
 *   Dispatch    CREATE, CLEANUP, CLOSE, READ, one routine per IOCTL, and
 *               DEVICE_CONTROL, the single place those IRPs complete
 *   Plumbing    DriverEntry, unload, registry settings, the device's DACL
 *
 * Where it differs from the article, a comment starting "Unlike the article"
 * says how and why. The user/kernel interface is driver/include/
 * sharedmemory_ioctl.h; the behaviour (error codes, order of checks) is fixed
 * by the project's contract, section 3.
 *
 * IRQL and locks. Every routine here runs at PASSIVE_LEVEL (the dispatch
 * routines in the requesting thread, this driver being at the top of its
 * stack; the process-exit callback in the exiting process's last thread)
 * except the streaming producer, a DPC at DISPATCH_LEVEL. The locks are fast
 * mutexes (they raise to APC_LEVEL while held) and one spin lock, taken in
 * this order and never the other way round:
 *
 *   SHM_HANDLE.Lock        one handle's requests; held across an ALLOCATE,
 *                          zeroing included, so only that handle waits
 *   g_Shm.HandlesLock      the list of handles; held briefly
 *   SHM_HANDLE.MappingLock the user mapping's Owner, OwnerId, UserAddress;
 *                          held only to publish, clear or unmap that mapping,
 *                          never across an allocation, so the exit callback
 *                          (HandlesLock, then MappingLock) never waits behind one
 *   g_Shm.TotalsLock       the totals; a leaf
 *   SHM_STREAM.Lock        a spin lock: the stream's state that the producer
 *                          DPC touches; a leaf, held only for a few stores
 *
 * (SHM_HANDLE.Lock and HandlesLock are never held together.)
 *
 * Kernel debug output (DbgPrintEx, component IHVDRIVER) traces every step,
 * as the article showed in DebugView.
 */
#include <ntifs.h>
#if defined(__MINGW32__)
# include "mingw-ddk-compat.h"
#endif
#include "sharedmemory_ioctl.h"

#define SHM_POOL_TAG            'mhSS'  /* "SShm" in pool dumps */
#define SHM_MIB                 (1024ull * 1024ull)
/* An MDL's byte count is a ULONG; stay well inside it. */
#define SHM_MAX_SIZE_LIMIT_MIB  2048ul
#define SHM_TOTAL_CAP_LIMIT_MIB (1024ul * 1024ul)

#define ShmTrace(format, ...) \
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_INFO_LEVEL, "SharedMemory: " format "\n", ##__VA_ARGS__)
#define ShmError(format, ...) \
	DbgPrintEx(DPFLTR_IHVDRIVER_ID, DPFLTR_ERROR_LEVEL, "SharedMemory: " format "\n", ##__VA_ARGS__)

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

/*
 * A stream on one handle's allocation (section 5). The timer and its DPC are
 * set up at CREATE; the rest is set by STREAM_START and cleared when the
 * stream ends (RELEASE, CLOSE). The ring is the first page of the
 * allocation, written through the driver's kernel mapping; the app can write
 * anything there, so the driver keeps its own Head, Dropped and State and
 * reads only the ring's tail.
 */
typedef struct _SHM_STREAM {
	KTIMER Timer;           /* periodic, one tick every Period */
	KDPC Dpc;               /* ShmStreamTick */
	KSPIN_LOCK Lock;        /* guards the fields below while Exists */
	BOOLEAN Exists;         /* STREAM_START succeeded; until the stream ends */
	BOOLEAN TimerUsed;      /* a stream ran on this handle: CLOSE flushes the DPCs */
	ULONG State;            /* SHM_RING_RUNNING, _STOPPED or _FAULTED */
	struct shm_ring *Ring;  /* the kernel mapping's first page */
	struct shm_record *Records; /* the kernel mapping, from page 1 on */
	ULONG Capacity;         /* records, a power of two */
	ULONG RateHz;
	ULONG Batch;
	ULONG64 Head;           /* records written; the ring's head is a copy */
	ULONG64 Dropped;        /* records lost; the ring's dropped is a copy */
	LONGLONG Start;         /* KeQueryPerformanceCounter at STREAM_START */
	LONGLONG Frequency;     /* its counts per second */
	PKEVENT Event;          /* referenced, or NULL */
} SHM_STREAM, *PSHM_STREAM;

/*
 * One per open handle (FILE_OBJECT), kept in FileObject->FsContext.
 * Unlike the article, which kept one allocation in global variables, every
 * handle owns its own allocation, so two applications (or two handles in one)
 * cannot release each other's memory.
 */
typedef struct _SHM_HANDLE {
	LIST_ENTRY Link;        /* in g_Shm.Handles, from CREATE to CLOSE */
	FAST_MUTEX Lock;        /* serialises IOCTLs, reads, CLEANUP and CLOSE on this handle */
	/* Guarded by Lock: */
	BOOLEAN CleanedUp;      /* CLEANUP ran: no new ALLOCATE (see ShmIoctlAllocate) */
	PMDL Mdl;               /* the pages; NULL when nothing is allocated */
	PUSHORT KernelAddress;  /* the driver's own mapping of the pages */
	ULONG64 Bytes;          /* MmGetMdlByteCount(Mdl) */
	SHM_STREAM Stream;      /* Exists only while Mdl is set; Exists itself guarded by Lock */
	FAST_MUTEX MappingLock; /* guards the three fields below; held briefly */
	/* Guarded by MappingLock: set by ALLOCATE, cleared by step 6 or at the owner's exit */
	PVOID UserAddress;      /* the mapping in Owner's address space; NULL once unmapped */
	PEPROCESS Owner;        /* the process UserAddress is in; referenced while set */
	HANDLE OwnerId;         /* its process id, as the exit callback is given it */
} SHM_HANDLE, *PSHM_HANDLE;

/* The driver's global state: settings from the registry and the live totals. */
static struct {
	PDEVICE_OBJECT DeviceObject;
	BOOLEAN NotifyRegistered;  /* ShmProcessNotify is registered */
	FAST_MUTEX HandlesLock;    /* guards Handles */
	LIST_ENTRY Handles;        /* every open handle's SHM_HANDLE */
	ULONG64 MaxSize;         /* largest ALLOCATE (Parameters\MaxSizeMiB) */
	ULONG64 TotalCap;        /* all handles together (Parameters\TotalCapMiB) */
	FAST_MUTEX TotalsLock;   /* guards the two fields below */
	ULONG64 TotalBytes;
	ULONG Allocations;
	POBJECT_TYPE EventType;  /* ExEventObjectType, for STREAM_START's event */
} g_Shm;

/*
 * One routine per control code. It checks the request in the contract's order
 * (buffer sizes, then parameters, then state), does the work, and returns the
 * status and, in *Information, how many bytes of the system buffer go back to
 * the caller. ShmDeviceControl completes the IRP; these never do.
 */
typedef
_IRQL_requires_max_(PASSIVE_LEVEL)
_Requires_lock_not_held_(Handle->Lock)
NTSTATUS
SHM_IOCTL_ROUTINE(_Inout_ PSHM_HANDLE Handle, _Inout_ PIRP Irp, _Out_ PULONG_PTR Information);

DRIVER_INITIALIZE DriverEntry;
static DRIVER_UNLOAD ShmUnload;
_Dispatch_type_(IRP_MJ_CREATE) static DRIVER_DISPATCH ShmCreate;
_Dispatch_type_(IRP_MJ_CLEANUP) static DRIVER_DISPATCH ShmCleanup;
_Dispatch_type_(IRP_MJ_CLOSE) static DRIVER_DISPATCH ShmClose;
_Dispatch_type_(IRP_MJ_READ) static DRIVER_DISPATCH ShmRead;
_Dispatch_type_(IRP_MJ_DEVICE_CONTROL) static DRIVER_DISPATCH ShmDeviceControl;
static SHM_IOCTL_ROUTINE ShmIoctlQuery;
static SHM_IOCTL_ROUTINE ShmIoctlAllocate;
static SHM_IOCTL_ROUTINE ShmIoctlRelease;
static SHM_IOCTL_ROUTINE ShmIoctlInspect;
static SHM_IOCTL_ROUTINE ShmIoctlStreamStart;
static SHM_IOCTL_ROUTINE ShmIoctlStreamStop;
static KDEFERRED_ROUTINE ShmStreamTick;

_IRQL_requires_max_(APC_LEVEL)
_Requires_lock_held_(Handle->Lock)
static VOID ShmStreamEnd(_Inout_ PSHM_HANDLE Handle, _In_z_ PCSTR Why);

_IRQL_requires_max_(PASSIVE_LEVEL)
_Requires_lock_held_(Handle->Lock)
_Requires_lock_not_held_(Handle->MappingLock)
static NTSTATUS ShmAllocate(_Inout_ PSHM_HANDLE Handle, _In_ ULONG64 Size,
			    _Out_ struct shm_allocate *Result);

_IRQL_requires_max_(PASSIVE_LEVEL)
_Requires_lock_held_(Handle->Lock)
_Requires_lock_not_held_(Handle->MappingLock)
static VOID ShmFree(_Inout_ PSHM_HANDLE Handle, _In_z_ PCSTR Why);

_IRQL_requires_max_(PASSIVE_LEVEL)
_Requires_lock_not_held_(g_Shm.HandlesLock)
static VOID ShmProcessNotify(_In_ HANDLE ParentId, _In_ HANDLE ProcessId, _In_ BOOLEAN Create);

_IRQL_requires_max_(PASSIVE_LEVEL)
static NTSTATUS ShmReadParameters(_In_ PUNICODE_STRING RegistryPath);

_IRQL_requires_max_(PASSIVE_LEVEL)
static NTSTATUS ShmApplyDeviceSecurity(_In_ PDEVICE_OBJECT DeviceObject);

#ifdef ALLOC_PRAGMA
# pragma alloc_text(INIT, DriverEntry)
# pragma alloc_text(INIT, ShmReadParameters)
# pragma alloc_text(INIT, ShmApplyDeviceSecurity)
# pragma alloc_text(PAGE, ShmUnload)
# pragma alloc_text(PAGE, ShmAllocate)
# pragma alloc_text(PAGE, ShmFree)
# pragma alloc_text(PAGE, ShmProcessNotify)
# pragma alloc_text(PAGE, ShmCreate)
# pragma alloc_text(PAGE, ShmCleanup)
# pragma alloc_text(PAGE, ShmClose)
# pragma alloc_text(PAGE, ShmRead)
# pragma alloc_text(PAGE, ShmIoctlQuery)
# pragma alloc_text(PAGE, ShmIoctlAllocate)
# pragma alloc_text(PAGE, ShmIoctlRelease)
# pragma alloc_text(PAGE, ShmIoctlInspect)
# pragma alloc_text(PAGE, ShmIoctlStreamStart)
# pragma alloc_text(PAGE, ShmIoctlStreamStop)
# pragma alloc_text(PAGE, ShmDeviceControl)
#endif

/*
 * The global cap. ShmReserve counts an allocation before it is made, so two
 * handles allocating at once cannot both pass the cap; ShmUnreserve uncounts
 * it once its pages are freed (or were never got).
 * IRQL <= APC_LEVEL; takes TotalsLock, which must not be held.
 */
_IRQL_requires_max_(APC_LEVEL)
_Requires_lock_not_held_(g_Shm.TotalsLock)
static NTSTATUS ShmReserve(_In_ ULONG64 Bytes)
{
	NTSTATUS status = STATUS_SUCCESS;

	ExAcquireFastMutex(&g_Shm.TotalsLock);
	NT_ASSERT(g_Shm.TotalBytes <= g_Shm.TotalCap);
	if (Bytes > g_Shm.TotalCap - g_Shm.TotalBytes) {
		status = STATUS_INSUFFICIENT_RESOURCES;
	} else {
		g_Shm.TotalBytes += Bytes;
		g_Shm.Allocations++;
	}
	ExReleaseFastMutex(&g_Shm.TotalsLock);
	return status;
}

_IRQL_requires_max_(APC_LEVEL)
_Requires_lock_not_held_(g_Shm.TotalsLock)
static VOID ShmUnreserve(_In_ ULONG64 Bytes)
{
	ExAcquireFastMutex(&g_Shm.TotalsLock);
	NT_ASSERT(g_Shm.TotalBytes >= Bytes && g_Shm.Allocations > 0);
	g_Shm.TotalBytes -= Bytes;
	g_Shm.Allocations--;
	ExReleaseFastMutex(&g_Shm.TotalsLock);
}

/* ------------------------------------------------------------------------ */
/* Steps 1 to 5: ALLOCATE                                                    */
/* ------------------------------------------------------------------------ */

/*
 * PASSIVE_LEVEL, in the context of the process that sent the IOCTL (checked
 * by ShmIoctlAllocate: a UserMode request at the top of the stack), which is
 * where the user mapping must be made. Holds Handle->Lock throughout, so the
 * slow part (allocating and zeroing up to MaxSizeMiB) blocks only this handle;
 * MappingLock is taken only at the end, to publish the mapping. Every failure
 * undoes exactly what was done before it.
 */
_Use_decl_annotations_
static NTSTATUS ShmAllocate(PSHM_HANDLE Handle, ULONG64 Size, struct shm_allocate *Result)
{
	PHYSICAL_ADDRESS lowest, highest, skip;
	ULONG64 bytes = (Size + PAGE_SIZE - 1) & ~((ULONG64)PAGE_SIZE - 1);
	PMDL mdl;
	PUSHORT kernelAddress;
	PVOID userAddress = NULL;
	NTSTATUS status, raised = STATUS_SUCCESS;
	ULONG i;

	PAGED_CODE();
	NT_ASSERT(Handle->Mdl == NULL && Handle->UserAddress == NULL && Handle->Owner == NULL);
	NT_ASSERT(Size != 0 && Size <= g_Shm.MaxSize);
	status = ShmReserve(bytes);
	if (!NT_SUCCESS(status)) {
		ShmError("ALLOCATE: %llu bytes would pass the cap of %llu", bytes, g_Shm.TotalCap);
		return status;
	}

	/*
	 * Step 1: allocate physical pages, described by an MDL.
	 * Unlike the article (MmAllocatePagesForMdl, then trusting the result),
	 * MM_ALLOCATE_FULLY_REQUIRED makes the call fail rather than return fewer
	 * pages, the byte count is still checked, and the pages come zeroed (no
	 * MM_DONT_ZERO_ALLOCATION), so no stale kernel data reaches user mode.
	 */
	lowest.QuadPart = 0;
	highest.QuadPart = -1;
	skip.QuadPart = 0;
	mdl = MmAllocatePagesForMdlEx(lowest, highest, skip, (SIZE_T)bytes, MmCached,
				      MM_ALLOCATE_FULLY_REQUIRED);
	if (mdl == NULL) {
		ShmError("ALLOCATE: MmAllocatePagesForMdlEx(%llu bytes) failed", bytes);
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto unreserve;
	}
	if (MmGetMdlByteCount(mdl) != bytes) {
		ShmError("ALLOCATE: got %lu bytes, wanted %llu", MmGetMdlByteCount(mdl), bytes);
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto free_pages;
	}
	ShmTrace("ALLOCATE step 1: MDL %p describes %llu bytes of zeroed pages", (PVOID)mdl, bytes);

	/* Step 2: map the pages into kernel space (never executable). */
	kernelAddress = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
	if (kernelAddress == NULL) {
		ShmError("ALLOCATE: MmGetSystemAddressForMdlSafe failed");
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto free_pages;
	}
	ShmTrace("ALLOCATE step 2: kernel address %p", (PVOID)kernelAddress);

	/* Step 3: write the check values 10, 9, ..., 1 (the rest stays zero). */
	for (i = 0; i < SHM_SEED_COUNT; i++)
		kernelAddress[i] = (USHORT)(SHM_SEED_COUNT - i);
	ShmTrace("ALLOCATE step 3: wrote %u, %u, ..., %u", (unsigned)kernelAddress[0],
		 (unsigned)kernelAddress[1], (unsigned)kernelAddress[SHM_SEED_COUNT - 1]);

	/*
	 * Step 4: map the same pages into the calling process.
	 * Unlike the article, the call is wrapped in __try/__except: with
	 * UserMode it raises an exception on failure instead of returning NULL.
	 * No MdlMappingNoExecute here: a UserMode mapping is never executable,
	 * so the flag would only look as if it did something (it matters for
	 * the kernel mapping above). A 32-bit (WOW64) caller gets an address
	 * below 4 GB, as the routine is documented to do.
	 */
	__try {
		userAddress = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, NULL, FALSE,
							   NormalPagePriority);
	} __except (raised = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
		/* The code is taken in the filter, where every host provides it. */
		ShmError("ALLOCATE: MmMapLockedPagesSpecifyCache raised 0x%08X", (unsigned)raised);
		userAddress = NULL;
	}
	if (userAddress == NULL) {
		status = STATUS_INSUFFICIENT_RESOURCES;
		goto unmap_kernel;
	}
	ShmTrace("ALLOCATE step 4: user address %p in process %p", userAddress,
		 (PVOID)PsGetCurrentProcess());

	/*
	 * Remember whose address space holds the mapping: release must unmap
	 * there, and the exit callback recognises the owner by its id.
	 */
	Handle->Mdl = mdl;
	Handle->KernelAddress = kernelAddress;
	Handle->Bytes = bytes;
	ExAcquireFastMutex(&Handle->MappingLock);
	Handle->Owner = PsGetCurrentProcess();
	ObReferenceObject(Handle->Owner);
	Handle->OwnerId = PsGetCurrentProcessId();
	Handle->UserAddress = userAddress;
	ExReleaseFastMutex(&Handle->MappingLock);

	/*
	 * Step 5: hand the address to the application. It goes into the system
	 * buffer here; the I/O manager copies it to the caller's output buffer
	 * when ShmDeviceControl completes the IRP.
	 */
	Result->user_address = (ULONG64)(ULONG_PTR)userAddress;
	Result->mapped_size = bytes;
	ShmTrace("ALLOCATE step 5: returning %p, %llu bytes", userAddress, bytes);
	return STATUS_SUCCESS;

unmap_kernel:
	MmUnmapLockedPages(kernelAddress, mdl);
free_pages:
	MmFreePagesFromMdl(mdl);
	ExFreePool(mdl);
unreserve:
	ShmUnreserve(bytes);
	return status;
}

/* ------------------------------------------------------------------------ */
/* Step 6: release                                                           */
/* ------------------------------------------------------------------------ */

/*
 * Step 6, the user mapping. PASSIVE_LEVEL, any process; takes MappingLock.
 *
 * A user mapping may be removed only in the address space that holds it.
 * RELEASE and CLEANUP normally run in the owner's context. After
 * DuplicateHandle they may run in another process: then the thread attaches
 * to the owner for the unmapping, never unmapping that address in a
 * stranger's address space. The owner cannot be gone: if it exited first,
 * "Step 6 at process exit" already unmapped (UserAddress is NULL), and the
 * unmapping happens under MappingLock, so the exit callback cannot run halfway
 * through it.
 */
_IRQL_requires_max_(PASSIVE_LEVEL)
_Requires_lock_held_(Handle->Lock)
_Requires_lock_not_held_(Handle->MappingLock)
static VOID ShmUnmapUser(_Inout_ PSHM_HANDLE Handle, _In_z_ PCSTR Why)
{
	PEPROCESS current = PsGetCurrentProcess();
	KAPC_STATE apcState;

	ExAcquireFastMutex(&Handle->MappingLock);
	if (Handle->UserAddress == NULL) {
		NT_ASSERT(Handle->Owner == NULL);
		ShmTrace("%s step 6: no user mapping left (its process exited)", Why);
	} else if (Handle->Owner == current) {
		MmUnmapLockedPages(Handle->UserAddress, Handle->Mdl);
		ShmTrace("%s step 6: unmapped %p from process %p", Why, Handle->UserAddress,
			 (PVOID)current);
	} else {
		KeStackAttachProcess((PKPROCESS)Handle->Owner, &apcState);
		MmUnmapLockedPages(Handle->UserAddress, Handle->Mdl);
		KeUnstackDetachProcess(&apcState);
		ShmTrace("%s step 6: unmapped %p from owner %p (called from process %p)", Why,
			 Handle->UserAddress, (PVOID)Handle->Owner, (PVOID)current);
	}
	if (Handle->Owner != NULL)
		ObDereferenceObject(Handle->Owner);
	Handle->Owner = NULL;
	Handle->OwnerId = NULL;
	Handle->UserAddress = NULL;
	ExReleaseFastMutex(&Handle->MappingLock);
}

/*
 * Step 6: unmap from the process, unmap from the kernel, free the pages.
 * PASSIVE_LEVEL, any process; Handle->Lock held by the caller.
 *
 * Unlike the article, the MDL is freed with ExFreePool: it came from
 * MmAllocatePagesForMdlEx, not IoAllocateMdl, so IoFreeMdl is wrong for it.
 */
_Use_decl_annotations_
static VOID ShmFree(PSHM_HANDLE Handle, PCSTR Why)
{
	PAGED_CODE();
	NT_ASSERT(Handle->Mdl != NULL && Handle->KernelAddress != NULL);
	/* A stream writes into these pages: it stops, for good, first. */
	if (Handle->Stream.Exists)
		ShmStreamEnd(Handle, Why);
	ShmUnmapUser(Handle, Why);

	MmUnmapLockedPages(Handle->KernelAddress, Handle->Mdl);
	MmFreePagesFromMdl(Handle->Mdl);
	ExFreePool(Handle->Mdl);
	ShmUnreserve(Handle->Bytes);
	ShmTrace("%s step 6: freed %llu bytes", Why, Handle->Bytes);

	Handle->Mdl = NULL;
	Handle->KernelAddress = NULL;
	Handle->Bytes = 0;
}

/*
 * Step 6 at process exit.
 * PASSIVE_LEVEL, in the exiting process (its last thread), before its handles
 * are closed and its address space is torn down; takes HandlesLock, then each
 * handle's MappingLock, never a handle's Lock, so it never waits behind an
 * ALLOCATE on any handle in the system.
 *
 * If a handle still maps pages into the exiting process (a handle duplicated
 * into another process keeps the file object, so no CLEANUP comes), the
 * mapping is removed here, in the right address space. The pages stay with
 * the handle until RELEASE or CLEANUP. Handles with no live user mapping, or
 * one in another process, are passed over.
 */
_Use_decl_annotations_
static VOID ShmProcessNotify(HANDLE ParentId, HANDLE ProcessId, BOOLEAN Create)
{
	PLIST_ENTRY entry;

	UNREFERENCED_PARAMETER(ParentId);
	PAGED_CODE();
	if (Create)
		return;
	ExAcquireFastMutex(&g_Shm.HandlesLock);
	for (entry = g_Shm.Handles.Flink; entry != &g_Shm.Handles; entry = entry->Flink) {
		PSHM_HANDLE handle = CONTAINING_RECORD(entry, SHM_HANDLE, Link);

		ExAcquireFastMutex(&handle->MappingLock);
		if (handle->UserAddress != NULL && handle->OwnerId == ProcessId) {
			/* The callback runs in the exiting process: the owner's address space. */
			NT_ASSERT(handle->Owner == PsGetCurrentProcess());
			MmUnmapLockedPages(handle->UserAddress, handle->Mdl);
			ShmTrace("process %p exits: unmapped %p; handle %p keeps its pages",
				 ProcessId, handle->UserAddress, (PVOID)handle);
			ObDereferenceObject(handle->Owner);
			handle->Owner = NULL;
			handle->OwnerId = NULL;
			handle->UserAddress = NULL;
		}
		ExReleaseFastMutex(&handle->MappingLock);
	}
	ExReleaseFastMutex(&g_Shm.HandlesLock);
}

/* ------------------------------------------------------------------------ */
/* Streaming: a producer in the driver, a ring in the shared pages           */
/* ------------------------------------------------------------------------ */

/*
 * After the article's steps: the pages it shares start carrying data that
 * keeps coming. STREAM_START writes a ring header (struct shm_ring) over the
 * first page and starts a periodic KTIMER; its DPC writes the records that
 * are due through the driver's kernel mapping, the one the pages got in
 * step 2, and publishes head. The app reads the records in place and
 * publishes tail. Both are plain memory: no system call per record.
 *
 * Nothing the app writes is trusted. The driver keeps Head, Dropped and
 * State in SHM_STREAM and only copies them to the ring; the one value it
 * reads from the ring is tail, once per tick, into a local. An impossible
 * tail faults the stream (ShmStreamFault) and the driver carries on.
 */

/* Counter ticks to nanoseconds (or records), without overflowing 64 bits. */
_IRQL_requires_max_(DISPATCH_LEVEL)
static ULONG64 ShmScale(_In_ ULONG64 Counts, _In_ ULONG64 PerSecond, _In_ ULONG64 Frequency)
{
	return Counts / Frequency * PerSecond + Counts % Frequency * PerSecond / Frequency;
}

/*
 * The ring's tail, read once with acquire semantics: the records the
 * consumer released are read by no one after this, so they may be reused.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
static ULONG64 ShmReadTail(_In_ struct shm_ring *Ring)
{
	return (ULONG64)ReadAcquire64((LONG64 volatile *)&Ring->tail);
}

/* Whether a tail read from the ring can be one: at most Head, at most Capacity behind. */
_IRQL_requires_max_(DISPATCH_LEVEL)
static BOOLEAN ShmTailIsPossible(_In_ const SHM_STREAM *Stream, _In_ ULONG64 Tail)
{
	return Tail <= Stream->Head && Stream->Head - Tail <= Stream->Capacity;
}

/*
 * The consumer broke the ring (section 5.3): the stream is FAULTED, the
 * producer writes nothing more, and waiters are woken by the caller. The
 * timer is not cancelled here: under Wine the DPC runs in a threadpool timer
 * callback and KeCancelTimer waits for running callbacks, so cancelling from
 * the DPC would wait for itself. Every later tick sees the state and returns;
 * STREAM_STOP, RELEASE or CLOSE cancel the timer.
 * DISPATCH_LEVEL; Stream->Lock held.
 */
_IRQL_requires_(DISPATCH_LEVEL)
_Requires_lock_held_(Stream->Lock)
static VOID ShmStreamFault(_Inout_ PSHM_STREAM Stream, _In_ ULONG64 Tail)
{
	NT_ASSERT(Stream->State == SHM_RING_RUNNING);
	Stream->State = SHM_RING_FAULTED;
	WriteULongNoFence((ULONG volatile *)&Stream->Ring->state, SHM_RING_FAULTED);
	ShmTrace("stream: tail %llu is impossible with head %llu and capacity %lu: FAULTED",
		 Tail, Stream->Head, Stream->Capacity);
}

/*
 * The producer: one tick of the periodic timer.
 * DISPATCH_LEVEL, in an arbitrary thread; takes Stream->Lock.
 *
 * The records due are those whose time has come since STREAM_START, so a
 * late tick catches up. A tick writes at most 4 x batch records and never
 * overwrites unread ones; the rest of those due are lost, counted in dropped
 * and their sequence numbers skipped (the newest are the ones lost). The
 * records are written first, then head is published with a full barrier
 * (InterlockedExchange64), so a consumer that sees head sees the records.
 */
_Use_decl_annotations_
static VOID ShmStreamTick(PKDPC Dpc, PVOID Context, PVOID Argument1, PVOID Argument2)
{
	PSHM_STREAM stream = Context;
	LARGE_INTEGER now;
	ULONG64 due, produced, tail, timestampNs, room, writes, i;
	BOOLEAN wake = FALSE;

	UNREFERENCED_PARAMETER(Dpc);
	UNREFERENCED_PARAMETER(Argument1);
	UNREFERENCED_PARAMETER(Argument2);
	KeAcquireSpinLockAtDpcLevel(&stream->Lock);
	if (!stream->Exists || stream->State != SHM_RING_RUNNING)
		goto unlock;
	now = KeQueryPerformanceCounter(NULL);
	due = ShmScale((ULONG64)(now.QuadPart - stream->Start), stream->RateHz, (ULONG64)stream->Frequency);
	produced = stream->Head + stream->Dropped;
	if (due <= produced)
		goto unlock;

	tail = ShmReadTail(stream->Ring);
	if (!ShmTailIsPossible(stream, tail)) {
		ShmStreamFault(stream, tail);
		wake = TRUE;
		goto unlock;
	}
	room = stream->Capacity - (stream->Head - tail);
	writes = min(min(due - produced, 4ull * stream->Batch), room);
	timestampNs = ShmScale((ULONG64)now.QuadPart, 1000000000ull, (ULONG64)stream->Frequency);
	for (i = 0; i < writes; i++) {
		struct shm_record *record =
			&stream->Records[(stream->Head + i) & (stream->Capacity - 1)];
		ULONG64 sequence = produced + i;
		LONG sample = shm_stream_sample(sequence);

		record->sequence = sequence;
		record->timestamp_ns = timestampNs;
		record->sample = sample;
		record->check = shm_stream_check(sequence, sample);
		record->reserved = 0;
	}
	stream->Dropped += due - produced - writes;
	stream->Head += writes;
	NT_ASSERT(stream->Head + stream->Dropped == due);
	WriteULong64NoFence((ULONG64 volatile *)&stream->Ring->dropped, stream->Dropped);
	InterlockedExchange64((LONG64 volatile *)&stream->Ring->head, (LONG64)stream->Head);
	wake = writes != 0;
unlock:
	/*
	 * Under the lock, like every access to the pages and the event: once
	 * the stream has ended (under this lock) a late tick touches neither.
	 */
	if (wake && stream->Event != NULL)
		KeSetEvent(stream->Event, IO_NO_INCREMENT, FALSE);
	KeReleaseSpinLockFromDpcLevel(&stream->Lock);
}

/*
 * STREAM_START's work, once the request is checked: the ring header over the
 * first page (the 10..1 seed goes), then the timer.
 * APC_LEVEL (Handle->Lock held); takes Stream->Lock. Takes over the
 * reference on Event (or NULL).
 */
_IRQL_requires_max_(APC_LEVEL)
_Requires_lock_held_(Handle->Lock)
static VOID ShmStreamBegin(_Inout_ PSHM_HANDLE Handle, _In_ const struct shm_stream_start *Request,
			   _In_opt_ PKEVENT Event, _Out_ struct shm_stream_start *Result)
{
	PSHM_STREAM stream = &Handle->Stream;
	struct shm_ring *ring = (struct shm_ring *)Handle->KernelAddress;
	ULONG64 slots = (Handle->Bytes - PAGE_SIZE) / sizeof(struct shm_record);
	ULONG capacity = 1;
	LARGE_INTEGER frequency, dueTime;
	LONG periodMs;
	KIRQL irql;

	NT_ASSERT(!stream->Exists && Handle->Bytes >= 2 * PAGE_SIZE);
	/* The largest power of two of records after the first page. */
	while ((ULONG64)capacity * 2 <= slots && capacity < 0x80000000ul)
		capacity *= 2;

	RtlZeroMemory(ring, PAGE_SIZE);
	ring->magic = SHM_RING_MAGIC;
	ring->version = SHM_RING_VERSION;
	ring->record_size = sizeof(struct shm_record);
	ring->capacity = capacity;
	ring->data_offset = PAGE_SIZE;
	ring->rate_hz = Request->rate_hz;
	ring->batch = Request->batch;
	ring->state = SHM_RING_RUNNING;

	KeAcquireSpinLock(&stream->Lock, &irql);
	stream->Ring = ring;
	stream->Records = (struct shm_record *)((PUCHAR)Handle->KernelAddress + PAGE_SIZE);
	stream->Capacity = capacity;
	stream->RateHz = Request->rate_hz;
	stream->Batch = Request->batch;
	stream->Head = 0;
	stream->Dropped = 0;
	stream->Event = Event;
	stream->Start = KeQueryPerformanceCounter(&frequency).QuadPart;
	stream->Frequency = frequency.QuadPart;
	stream->State = SHM_RING_RUNNING;
	stream->Exists = TRUE;
	stream->TimerUsed = TRUE;
	KeReleaseSpinLock(&stream->Lock, irql);

	/*
	 * A tick every batch / rate_hz seconds. KeSetTimerEx's period is in
	 * whole milliseconds (and Windows' clock ticks every 15.6 ms unless
	 * something raised its resolution): a shorter tick comes late, and
	 * the records due catch up, up to 4 x batch per tick.
	 */
	periodMs = (LONG)max(1ull, (ULONG64)Request->batch * 1000ull / Request->rate_hz);
	dueTime.QuadPart = -10000ll * periodMs;   /* relative, in 100 ns units */
	KeSetTimerEx(&stream->Timer, dueTime, periodMs, &stream->Dpc);

	Result->capacity = capacity;
	Result->record_size = sizeof(struct shm_record);
	Result->data_offset = PAGE_SIZE;
	ShmTrace("STREAM_START: %lu records/s, batch %lu, capacity %lu, tick %ld ms, event %p",
		 (ULONG)Request->rate_hz, (ULONG)Request->batch, capacity, periodMs, (PVOID)Event);
}

/*
 * Stops the producer synchronously: when this returns, head and dropped no
 * longer change and a running stream is STOPPED (a stopped or faulted one
 * stays as it is); waiters are woken when a running stream stops.
 *
 * A tick writes the pages only while it holds Stream->Lock and sees the
 * stream RUNNING, so once the state is changed under that lock, a tick in
 * progress has finished its writes and every later one returns at once.
 * The timer is cancelled too, so it stops firing. What the wait for a DPC
 * still queued protects is the SHM_STREAM itself, which a late tick still
 * locks: ShmClose flushes the DPCs before freeing it (KeFlushQueuedDpcs
 * needs PASSIVE_LEVEL, and here Handle->Lock, a fast mutex, is held).
 * APC_LEVEL (Handle->Lock held); takes Stream->Lock, never across
 * KeCancelTimer (under Wine that waits for a running tick, which takes it).
 */
_IRQL_requires_max_(APC_LEVEL)
_Requires_lock_held_(Handle->Lock)
static VOID ShmStreamHalt(_Inout_ PSHM_HANDLE Handle, _In_z_ PCSTR Why)
{
	PSHM_STREAM stream = &Handle->Stream;
	KIRQL irql;

	NT_ASSERT(stream->Exists);
	KeAcquireSpinLock(&stream->Lock, &irql);
	if (stream->State == SHM_RING_RUNNING) {
		stream->State = SHM_RING_STOPPED;
		WriteULongNoFence((ULONG volatile *)&stream->Ring->state, SHM_RING_STOPPED);
		if (stream->Event != NULL)
			KeSetEvent(stream->Event, IO_NO_INCREMENT, FALSE);
	}
	KeReleaseSpinLock(&stream->Lock, irql);
	KeCancelTimer(&stream->Timer);
	ShmTrace("%s: stream stopped, head %llu, dropped %llu, state %lu", Why, stream->Head,
		 stream->Dropped, stream->State);
}

/*
 * The stream ends before its pages are freed (RELEASE, CLOSE; CLEANUP on
 * Windows): stopped first, and marked ended under Stream->Lock, so no tick
 * touches the pages or the event after this; then the event's reference is
 * dropped.
 * APC_LEVEL (Handle->Lock held).
 */
_Use_decl_annotations_
static VOID ShmStreamEnd(PSHM_HANDLE Handle, PCSTR Why)
{
	PSHM_STREAM stream = &Handle->Stream;
	PKEVENT event;
	KIRQL irql;

	ShmStreamHalt(Handle, Why);
	KeAcquireSpinLock(&stream->Lock, &irql);
	event = stream->Event;
	stream->Event = NULL;
	stream->Exists = FALSE;
	stream->Ring = NULL;
	stream->Records = NULL;
	KeReleaseSpinLock(&stream->Lock, irql);
	if (event != NULL)
		ObDereferenceObject(event);
}

/*
 * The copy path while a stream exists (section 5.2): whole records from
 * tail into the caller's buffer, then tail published; the file offset plays
 * no part. Nothing unread: 0 bytes at once. The copy is made outside the
 * spin lock (it can be megabytes); the records tail..head-1 are the
 * consumer's, which the producer does not overwrite.
 * APC_LEVEL (Handle->Lock held); takes Stream->Lock.
 */
_IRQL_requires_max_(APC_LEVEL)
_Requires_lock_held_(Handle->Lock)
static NTSTATUS ShmStreamRead(_Inout_ PSHM_HANDLE Handle, _Out_writes_bytes_(Length) PVOID Buffer,
			      _In_ ULONG Length, _Out_ PULONG_PTR Copied)
{
	PSHM_STREAM stream = &Handle->Stream;
	ULONG64 head, tail, count, first, i;
	struct shm_record *into = Buffer;
	NTSTATUS status = STATUS_SUCCESS;
	KIRQL irql;

	*Copied = 0;
	if (Length < sizeof(struct shm_record))
		return STATUS_INVALID_PARAMETER;
	KeAcquireSpinLock(&stream->Lock, &irql);
	head = stream->Head;
	tail = ShmReadTail(stream->Ring);
	if (stream->State == SHM_RING_FAULTED) {
		status = STATUS_IO_DEVICE_ERROR;
	} else if (!ShmTailIsPossible(stream, tail)) {
		/* Only a running stream faults: a stopped one has no producer left to stop. */
		if (stream->State == SHM_RING_RUNNING) {
			ShmStreamFault(stream, tail);
			/* Waiters learn of the fault as from the producer. */
			if (stream->Event != NULL)
				KeSetEvent(stream->Event, IO_NO_INCREMENT, FALSE);
		}
		status = STATUS_IO_DEVICE_ERROR;
	}
	KeReleaseSpinLock(&stream->Lock, irql);
	if (!NT_SUCCESS(status))
		return status;

	count = min(head - tail, (ULONG64)(Length / sizeof(struct shm_record)));
	first = tail;
	for (i = 0; i < count; i++)
		into[i] = stream->Records[(first + i) & (stream->Capacity - 1)];
	InterlockedExchange64((LONG64 volatile *)&stream->Ring->tail, (LONG64)(tail + count));
	*Copied = (ULONG_PTR)(count * sizeof(struct shm_record));
	return STATUS_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* Dispatch                                                                  */
/* ------------------------------------------------------------------------ */

/*
 * The handle's context, or NULL for an IRP that has none: a kernel-mode
 * caller can build an IRP without a file object, or for a file object this
 * driver did not create. Such IRPs are refused, never followed.
 */
_IRQL_requires_max_(DISPATCH_LEVEL)
static PSHM_HANDLE ShmHandleOf(_In_ PIRP Irp)
{
	PFILE_OBJECT fileObject = IoGetCurrentIrpStackLocation(Irp)->FileObject;

	return fileObject != NULL ? fileObject->FsContext : NULL;
}

/* Completes an IRP: each dispatch routine completes every IRP here, once. */
_IRQL_requires_max_(DISPATCH_LEVEL)
static NTSTATUS ShmComplete(_Inout_ PIRP Irp, _In_ NTSTATUS Status, _In_ ULONG_PTR Information)
{
	NT_ASSERT(Status != STATUS_PENDING);
	Irp->IoStatus.Status = Status;
	Irp->IoStatus.Information = NT_SUCCESS(Status) ? Information : 0;
	IoCompleteRequest(Irp, IO_NO_INCREMENT);
	return Status;
}

/* CREATE: PASSIVE_LEVEL, the opening process; takes HandlesLock. */
_Use_decl_annotations_
static NTSTATUS ShmCreate(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	PFILE_OBJECT fileObject = IoGetCurrentIrpStackLocation(Irp)->FileObject;
	PSHM_HANDLE handle;

	UNREFERENCED_PARAMETER(DeviceObject);
	PAGED_CODE();
	if (fileObject == NULL)
		return ShmComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	/* The device has no namespace: \\.\SharedMemory\anything is not a thing. */
	if (fileObject->FileName.Length != 0)
		return ShmComplete(Irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);

	/*
	 * ExAllocatePoolWithTag rather than ExAllocatePool2: the latter exists
	 * only from Windows 10 2004 on (newer WDKs mark the former deprecated,
	 * warning 4996). The context is zeroed just below.
	 */
#if defined(_MSC_VER) && !defined(__clang__)
# pragma warning(push)
# pragma warning(disable: 4996)
#endif
	handle = ExAllocatePoolWithTag(NonPagedPoolNx, sizeof(*handle), SHM_POOL_TAG);
#if defined(_MSC_VER) && !defined(__clang__)
# pragma warning(pop)
#endif
	if (handle == NULL)
		return ShmComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
	RtlZeroMemory(handle, sizeof(*handle));
	ExInitializeFastMutex(&handle->Lock);
	ExInitializeFastMutex(&handle->MappingLock);
	KeInitializeSpinLock(&handle->Stream.Lock);
	KeInitializeTimerEx(&handle->Stream.Timer, NotificationTimer);
	KeInitializeDpc(&handle->Stream.Dpc, ShmStreamTick, &handle->Stream);
	ExAcquireFastMutex(&g_Shm.HandlesLock);
	InsertTailList(&g_Shm.Handles, &handle->Link);
	ExReleaseFastMutex(&g_Shm.HandlesLock);
	fileObject->FsContext = handle;
	ShmTrace("CREATE: handle %p opened by process %p", (PVOID)handle,
		 (PVOID)PsGetCurrentProcess());
	return ShmComplete(Irp, STATUS_SUCCESS, 0);
}

/*
 * CLEANUP: the last handle to the file object was closed.
 * PASSIVE_LEVEL, in the process that closed it (or at its exit), which after
 * DuplicateHandle may not be the process that owns the mapping (ShmFree deals
 * with that); takes Handle->Lock.
 *
 * Requests can still arrive after it: on a handle opened with
 * FILE_FLAG_OVERLAPPED the I/O manager does not serialise them, so an
 * ALLOCATE sent by one thread can reach the driver after another thread's
 * CloseHandle brought CLEANUP. CleanedUp makes that ALLOCATE fail: its
 * mapping would otherwise outlive the handle until CLOSE, which runs in no
 * particular process and could not unmap it.
 */
_Use_decl_annotations_
static NTSTATUS ShmCleanup(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	PSHM_HANDLE handle = ShmHandleOf(Irp);

	UNREFERENCED_PARAMETER(DeviceObject);
	PAGED_CODE();
	if (handle == NULL)
		return ShmComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	ExAcquireFastMutex(&handle->Lock);
	handle->CleanedUp = TRUE;
	if (handle->Mdl != NULL)
		ShmFree(handle, "CLEANUP");
	ExReleaseFastMutex(&handle->Lock);
	ShmTrace("CLEANUP: handle %p", (PVOID)handle);
	return ShmComplete(Irp, STATUS_SUCCESS, 0);
}

/*
 * CLOSE: the file object is going away; no request on it can follow.
 * PASSIVE_LEVEL, any process; takes Handle->Lock, then HandlesLock.
 * CLEANUP has normally freed the allocation already. A host that sends no
 * CLEANUP (Wine does not) must not leak, so whatever is left is freed here.
 * CLOSE cannot fail: without a context there is nothing to free.
 */
_Use_decl_annotations_
static NTSTATUS ShmClose(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	PSHM_HANDLE handle = ShmHandleOf(Irp);

	UNREFERENCED_PARAMETER(DeviceObject);
	PAGED_CODE();
	if (handle != NULL) {
		ExAcquireFastMutex(&handle->Lock);
		if (handle->Mdl != NULL) {
			ShmError("CLOSE: handle %p still held memory (no CLEANUP came)", (PVOID)handle);
			ShmFree(handle, "CLOSE");
		}
		ExReleaseFastMutex(&handle->Lock);
		NT_ASSERT(handle->Mdl == NULL && handle->Owner == NULL && !handle->Stream.Exists);
		/*
		 * A stream's timer was cancelled when it ended, but its DPC may
		 * still be queued, or running on another processor, and it locks
		 * the context about to be freed: wait for it, at PASSIVE_LEVEL as
		 * KeFlushQueuedDpcs requires. (Wine's KeFlushQueuedDpcs is an empty
		 * stub, which is harmless for a timer DPC: there KeCancelTimer
		 * itself waits for a running timer callback.)
		 */
		if (handle->Stream.TimerUsed)
			KeFlushQueuedDpcs();
		ExAcquireFastMutex(&g_Shm.HandlesLock);
		RemoveEntryList(&handle->Link);
		ExReleaseFastMutex(&g_Shm.HandlesLock);
		IoGetCurrentIrpStackLocation(Irp)->FileObject->FsContext = NULL;
		ExFreePoolWithTag(handle, SHM_POOL_TAG);
	}
	ShmTrace("CLOSE: handle %p", (PVOID)handle);
	return ShmComplete(Irp, STATUS_SUCCESS, 0);
}

/*
 * READ: the copy path, for comparison with the shared mapping: the bytes at
 * the file offset, or, while a stream exists, its records (ShmStreamRead).
 * PASSIVE_LEVEL, the reading process; takes Handle->Lock. DO_BUFFERED_IO:
 * the data goes into the system buffer, which the I/O manager copies out.
 */
_Use_decl_annotations_
static NTSTATUS ShmRead(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
	PSHM_HANDLE handle = ShmHandleOf(Irp);
	LONGLONG offset = stack->Parameters.Read.ByteOffset.QuadPart;
	ULONG length = stack->Parameters.Read.Length;
	ULONG_PTR copied = 0;
	NTSTATUS status;

	UNREFERENCED_PARAMETER(DeviceObject);
	PAGED_CODE();
	if (handle == NULL)
		return ShmComplete(Irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	if (offset < 0)
		return ShmComplete(Irp, STATUS_INVALID_PARAMETER, 0);
	ExAcquireFastMutex(&handle->Lock);
	if (handle->Mdl == NULL) {
		status = STATUS_INVALID_DEVICE_STATE;
	} else if (handle->Stream.Exists) {
		/* While a stream exists, reading consumes its records. */
		status = ShmStreamRead(handle, Irp->AssociatedIrp.SystemBuffer, length, &copied);
	} else if ((ULONG64)offset >= handle->Bytes) {
		status = STATUS_END_OF_FILE;
	} else {
		copied = (ULONG_PTR)min((ULONG64)length, handle->Bytes - (ULONG64)offset);
		if (copied != 0)
			RtlCopyMemory(Irp->AssociatedIrp.SystemBuffer,
				      (PUCHAR)handle->KernelAddress + offset, copied);
		/* A synchronous handle reads on from here next time. */
		if (stack->FileObject->Flags & FO_SYNCHRONOUS_IO)
			stack->FileObject->CurrentByteOffset.QuadPart = offset + (LONGLONG)copied;
		status = STATUS_SUCCESS;
	}
	ExReleaseFastMutex(&handle->Lock);
	return ShmComplete(Irp, status, copied);
}

/*
 * The IOCTL routines. All six codes are METHOD_BUFFERED: the input is in
 * Irp->AssociatedIrp.SystemBuffer, and the output is written over it.
 */

/* QUERY: PASSIVE_LEVEL, any process; takes TotalsLock. */
_Use_decl_annotations_
static NTSTATUS ShmIoctlQuery(PSHM_HANDLE Handle, PIRP Irp, PULONG_PTR Information)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
	struct shm_device_info *info = Irp->AssociatedIrp.SystemBuffer;

	UNREFERENCED_PARAMETER(Handle);
	PAGED_CODE();
	*Information = 0;
	if (stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*info))
		return STATUS_BUFFER_TOO_SMALL;
	RtlZeroMemory(info, sizeof(*info));
	info->abi_version = SHM_ABI_VERSION;
	info->driver_version = SHM_DRIVER_VERSION;
	info->page_size = PAGE_SIZE;
	info->max_size = g_Shm.MaxSize;
	info->features = SHM_FEATURE_STREAM;
	ExAcquireFastMutex(&g_Shm.TotalsLock);
	info->total_bytes = g_Shm.TotalBytes;
	info->allocations = g_Shm.Allocations;
	ExReleaseFastMutex(&g_Shm.TotalsLock);
	ShmTrace("QUERY: %llu bytes in %lu allocations", info->total_bytes,
		 (ULONG)info->allocations);
	*Information = sizeof(*info);
	return STATUS_SUCCESS;
}

/*
 * ALLOCATE: PASSIVE_LEVEL, in the requesting process; takes Handle->Lock
 * for the whole allocation (ShmAllocate).
 */
_Use_decl_annotations_
static NTSTATUS ShmIoctlAllocate(PSHM_HANDLE Handle, PIRP Irp, PULONG_PTR Information)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
	struct shm_allocate *request = Irp->AssociatedIrp.SystemBuffer;
	ULONG64 size;
	NTSTATUS status;

	PAGED_CODE();
	*Information = 0;
	/*
	 * Only a user-mode caller has an address space to map into: a
	 * kernel-mode IRP would map the pages into whatever process its thread
	 * is in (the System process, for a worker thread). Refused before any
	 * other check, as the request is not one this device serves.
	 */
	if (Irp->RequestorMode != UserMode)
		return STATUS_INVALID_DEVICE_REQUEST;
	if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(*request) ||
	    stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*request))
		return STATUS_BUFFER_TOO_SMALL;
	size = request->size;
	ShmTrace("ALLOCATE: %llu bytes requested by process %p", size,
		 (PVOID)PsGetCurrentProcess());
	if (size == 0 || size > g_Shm.MaxSize)
		return STATUS_INVALID_PARAMETER;

	ExAcquireFastMutex(&Handle->Lock);
	if (Handle->CleanedUp)
		status = STATUS_INVALID_DEVICE_STATE;
	else if (Handle->Mdl != NULL)
		status = STATUS_DEVICE_BUSY;
	else
		status = ShmAllocate(Handle, size, request);
	ExReleaseFastMutex(&Handle->Lock);
	if (NT_SUCCESS(status))
		*Information = sizeof(*request);
	return status;
}

/* RELEASE: PASSIVE_LEVEL, any process holding the handle; takes Handle->Lock. */
_Use_decl_annotations_
static NTSTATUS ShmIoctlRelease(PSHM_HANDLE Handle, PIRP Irp, PULONG_PTR Information)
{
	NTSTATUS status;

	UNREFERENCED_PARAMETER(Irp);
	PAGED_CODE();
	*Information = 0;
	ExAcquireFastMutex(&Handle->Lock);
	if (Handle->Mdl == NULL) {
		status = STATUS_INVALID_DEVICE_STATE;
	} else {
		ShmFree(Handle, "RELEASE");
		status = STATUS_SUCCESS;
	}
	ExReleaseFastMutex(&Handle->Lock);
	return status;
}

/* INSPECT: PASSIVE_LEVEL, any process holding the handle; takes Handle->Lock. */
_Use_decl_annotations_
static NTSTATUS ShmIoctlInspect(PSHM_HANDLE Handle, PIRP Irp, PULONG_PTR Information)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
	struct shm_inspect *request = Irp->AssociatedIrp.SystemBuffer;
	ULONG64 offset;
	ULONG count;
	NTSTATUS status;

	PAGED_CODE();
	*Information = 0;
	if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(*request) ||
	    stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*request))
		return STATUS_BUFFER_TOO_SMALL;
	offset = request->offset;
	count = request->count;
	/* A reserved field must be zero, so it can carry meaning later. */
	if (count == 0 || count > SHM_INSPECT_MAX || (offset & 1) != 0 || request->reserved != 0)
		return STATUS_INVALID_PARAMETER;

	ExAcquireFastMutex(&Handle->Lock);
	if (Handle->Mdl == NULL) {
		status = STATUS_INVALID_DEVICE_STATE;
	} else if (offset > Handle->Bytes || 2ull * count > Handle->Bytes - offset) {
		status = STATUS_INVALID_PARAMETER;
	} else {
		/* Through the driver's own mapping: shows what user mode wrote. */
		RtlZeroMemory(request->values, sizeof(request->values));
		RtlCopyMemory(request->values, (PUCHAR)Handle->KernelAddress + offset,
			      2ull * count);
		*Information = sizeof(*request);
		status = STATUS_SUCCESS;
	}
	ExReleaseFastMutex(&Handle->Lock);
	return status;
}

/*
 * STREAM_START: PASSIVE_LEVEL, in the requesting process (its handle table
 * holds the event handle); takes Handle->Lock. Checks in section 3's order:
 * sizes, parameters (the event among them), state.
 */
_Use_decl_annotations_
static NTSTATUS ShmIoctlStreamStart(PSHM_HANDLE Handle, PIRP Irp, PULONG_PTR Information)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(Irp);
	struct shm_stream_start *request = Irp->AssociatedIrp.SystemBuffer;
	struct shm_stream_start in;
	PKEVENT event = NULL;
	NTSTATUS status;

	PAGED_CODE();
	*Information = 0;
	if (stack->Parameters.DeviceIoControl.InputBufferLength < sizeof(*request) ||
	    stack->Parameters.DeviceIoControl.OutputBufferLength < sizeof(*request))
		return STATUS_BUFFER_TOO_SMALL;
	in = *request;
	if (in.rate_hz == 0 || in.rate_hz > SHM_STREAM_MAX_RATE || in.batch == 0 ||
	    in.batch > in.rate_hz || in.batch > SHM_STREAM_MAX_BATCH ||
	    in.rate_hz > (ULONG64)in.batch * SHM_STREAM_MAX_TICK_HZ)
		return STATUS_INVALID_PARAMETER;
	/*
	 * The event, checked as the caller's own handle (UserMode): an event
	 * this process opened with EVENT_MODIFY_STATE, or STATUS_INVALID_HANDLE,
	 * STATUS_OBJECT_TYPE_MISMATCH or STATUS_ACCESS_DENIED.
	 */
	if (in.event_handle != 0) {
		status = ObReferenceObjectByHandle((HANDLE)(ULONG_PTR)in.event_handle,
						   EVENT_MODIFY_STATE, g_Shm.EventType, UserMode,
						   (PVOID *)&event, NULL);
		if (!NT_SUCCESS(status)) {
			ShmTrace("STREAM_START: event handle 0x%llx refused: 0x%08X",
				 in.event_handle, (unsigned)status);
			return status;
		}
	}

	ExAcquireFastMutex(&Handle->Lock);
	if (Handle->Mdl == NULL) {
		status = STATUS_INVALID_DEVICE_STATE;
	} else if (Handle->Stream.Exists) {
		status = STATUS_DEVICE_BUSY;
	} else if (Handle->Bytes < 2 * PAGE_SIZE) {
		/* The ring header takes the first page; the records need more. */
		status = STATUS_INVALID_PARAMETER;
	} else {
		ShmStreamBegin(Handle, &in, event, request);
		event = NULL;   /* the stream holds the reference now */
		status = STATUS_SUCCESS;
	}
	ExReleaseFastMutex(&Handle->Lock);
	if (event != NULL)
		ObDereferenceObject(event);
	if (NT_SUCCESS(status))
		*Information = sizeof(*request);
	return status;
}

/* STREAM_STOP: PASSIVE_LEVEL, any process holding the handle; takes Handle->Lock. */
_Use_decl_annotations_
static NTSTATUS ShmIoctlStreamStop(PSHM_HANDLE Handle, PIRP Irp, PULONG_PTR Information)
{
	NTSTATUS status;

	UNREFERENCED_PARAMETER(Irp);
	PAGED_CODE();
	*Information = 0;
	ExAcquireFastMutex(&Handle->Lock);
	if (Handle->Mdl == NULL || !Handle->Stream.Exists) {
		status = STATUS_INVALID_DEVICE_STATE;
	} else {
		ShmStreamHalt(Handle, "STREAM_STOP");
		status = STATUS_SUCCESS;
	}
	ExReleaseFastMutex(&Handle->Lock);
	return status;
}

/*
 * DEVICE_CONTROL: PASSIVE_LEVEL, the requesting thread; holds no lock itself.
 * Picks the routine for the control code and completes the IRP with what it
 * returns: the one place these IRPs complete.
 */
_Use_decl_annotations_
static NTSTATUS ShmDeviceControl(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
	ULONG code = IoGetCurrentIrpStackLocation(Irp)->Parameters.DeviceIoControl.IoControlCode;
	PSHM_HANDLE handle = ShmHandleOf(Irp);
	ULONG_PTR information = 0;
	NTSTATUS status;

	UNREFERENCED_PARAMETER(DeviceObject);
	PAGED_CODE();
	if (handle == NULL) {
		status = STATUS_INVALID_DEVICE_REQUEST;
	} else {
		switch (code) {
		case SHM_IOCTL_QUERY:
			status = ShmIoctlQuery(handle, Irp, &information);
			break;
		case SHM_IOCTL_ALLOCATE:
			status = ShmIoctlAllocate(handle, Irp, &information);
			break;
		case SHM_IOCTL_RELEASE:
			status = ShmIoctlRelease(handle, Irp, &information);
			break;
		case SHM_IOCTL_INSPECT:
			status = ShmIoctlInspect(handle, Irp, &information);
			break;
		case SHM_IOCTL_STREAM_START:
			status = ShmIoctlStreamStart(handle, Irp, &information);
			break;
		case SHM_IOCTL_STREAM_STOP:
			status = ShmIoctlStreamStop(handle, Irp, &information);
			break;
		default:
			ShmError("DEVICE_CONTROL: unknown code 0x%08X", (unsigned)code);
			status = STATUS_INVALID_DEVICE_REQUEST;
			break;
		}
	}
	/*
	 * Step 5 ends here for ALLOCATE: completing the IRP makes the I/O
	 * manager copy `information` bytes of the system buffer (the user
	 * address and size) back to the application's output buffer.
	 */
	return ShmComplete(Irp, status, information);
}

/* ------------------------------------------------------------------------ */
/* Plumbing: loading, unloading, settings, the device's DACL                 */
/* ------------------------------------------------------------------------ */

/* DriverEntry: PASSIVE_LEVEL, the System process; no other routine runs yet. */
_Use_decl_annotations_
NTSTATUS DriverEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
	UNICODE_STRING deviceName = RTL_CONSTANT_STRING(SHM_WIN_DEVICE_NAME);
	UNICODE_STRING linkName = RTL_CONSTANT_STRING(SHM_WIN_LINK_NAME);
	PDEVICE_OBJECT deviceObject = NULL;
	NTSTATUS status;

	ShmTrace("DriverEntry: version %u.%u, ABI %u", SHM_DRIVER_VERSION_MAJOR,
		 SHM_DRIVER_VERSION_MINOR, SHM_ABI_VERSION);

	g_Shm.MaxSize = SHM_DEFAULT_MAX_SIZE;
	g_Shm.TotalCap = SHM_DEFAULT_TOTAL_CAP;
	ExInitializeFastMutex(&g_Shm.TotalsLock);
	ExInitializeFastMutex(&g_Shm.HandlesLock);
	InitializeListHead(&g_Shm.Handles);
	status = ShmReadParameters(RegistryPath);
	if (!NT_SUCCESS(status))
		return status;
	/*
	 * The event type for STREAM_START. The WDK's idiom is *ExEventObjectType,
	 * but mingw-w64's wdm.h declares that variable dllimport, so the same
	 * expression reads one level too deep in the cross-build. The exported
	 * variable's address, from MmGetSystemRoutineAddress, is right with
	 * every toolchain.
	 */
	{
		UNICODE_STRING eventTypeName = RTL_CONSTANT_STRING(L"ExEventObjectType");
		POBJECT_TYPE *eventType = MmGetSystemRoutineAddress(&eventTypeName);

		if (eventType == NULL) {
			ShmError("DriverEntry: ExEventObjectType is not exported");
			return STATUS_PROCEDURE_NOT_FOUND;
		}
		g_Shm.EventType = *eventType;
	}
	ShmTrace("DriverEntry: max size %llu bytes, total cap %llu bytes",
		 g_Shm.MaxSize, g_Shm.TotalCap);

	/*
	 * Unlike the article (IoCreateDevice with default security, which lets
	 * everyone open the device), the device admits only SYSTEM and
	 * Administrators, and FILE_DEVICE_SECURE_OPEN makes that check apply to
	 * every name under \Device\SharedMemory too.
	 */
	status = IoCreateDevice(DriverObject, 0, &deviceName, SHM_WIN_DEVICE_TYPE,
				FILE_DEVICE_SECURE_OPEN, FALSE, &deviceObject);
	if (!NT_SUCCESS(status)) {
		ShmError("IoCreateDevice failed: 0x%08X", (unsigned)status);
		return status;
	}
	status = ShmApplyDeviceSecurity(deviceObject);
	if (!NT_SUCCESS(status)) {
		ShmError("setting the device's security failed: 0x%08X", (unsigned)status);
		IoDeleteDevice(deviceObject);
		return status;
	}
	/* ReadFile (the copy path) gets a system buffer, like METHOD_BUFFERED. */
	deviceObject->Flags |= DO_BUFFERED_IO;

	status = IoCreateSymbolicLink(&linkName, &deviceName);
	if (!NT_SUCCESS(status)) {
		ShmError("IoCreateSymbolicLink failed: 0x%08X", (unsigned)status);
		IoDeleteDevice(deviceObject);
		return status;
	}

	/* "Step 6 at process exit" (ShmProcessNotify). */
	status = PsSetCreateProcessNotifyRoutine(ShmProcessNotify, FALSE);
	if (!NT_SUCCESS(status)) {
		ShmError("PsSetCreateProcessNotifyRoutine failed: 0x%08X", (unsigned)status);
		IoDeleteSymbolicLink(&linkName);
		IoDeleteDevice(deviceObject);
		return status;
	}
	g_Shm.NotifyRegistered = TRUE;

	DriverObject->MajorFunction[IRP_MJ_CREATE] = ShmCreate;
	DriverObject->MajorFunction[IRP_MJ_CLEANUP] = ShmCleanup;
	DriverObject->MajorFunction[IRP_MJ_CLOSE] = ShmClose;
	DriverObject->MajorFunction[IRP_MJ_READ] = ShmRead;
	DriverObject->MajorFunction[IRP_MJ_DEVICE_CONTROL] = ShmDeviceControl;
	DriverObject->DriverUnload = ShmUnload;

	g_Shm.DeviceObject = deviceObject;
	deviceObject->Flags &= ~DO_DEVICE_INITIALIZING;
	ShmTrace("DriverEntry: created %ws and %ws", SHM_WIN_DEVICE_NAME, SHM_WIN_LINK_NAME);
	return STATUS_SUCCESS;
}

/* Unload: PASSIVE_LEVEL, the System process; every handle is closed by now. */
_Use_decl_annotations_
static VOID ShmUnload(PDRIVER_OBJECT DriverObject)
{
	UNICODE_STRING linkName = RTL_CONSTANT_STRING(SHM_WIN_LINK_NAME);

	PAGED_CODE();
	/* The I/O manager unloads only once every handle is closed, so every
	 * CLOSE has run and nothing is left allocated. */
	NT_ASSERT(IsListEmpty(&g_Shm.Handles));
	if (g_Shm.NotifyRegistered)
		PsSetCreateProcessNotifyRoutine(ShmProcessNotify, TRUE);
	IoDeleteSymbolicLink(&linkName);
	IoDeleteDevice(DriverObject->DeviceObject);
	ShmTrace("unloaded: %llu bytes in %lu allocations left (expected 0)",
		 g_Shm.TotalBytes, g_Shm.Allocations);
}

/*
 * Reads one REG_DWORD; leaves *Value alone when it is absent or not a DWORD.
 * PASSIVE_LEVEL (Zw* registry calls).
 */
_IRQL_requires_max_(PASSIVE_LEVEL)
static VOID ShmQueryDword(_In_ HANDLE Key, _In_z_ PCWSTR Name, _Inout_ PULONG Value)
{
	UNICODE_STRING valueName;
	union {
		KEY_VALUE_PARTIAL_INFORMATION Info;
		UCHAR Bytes[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + sizeof(ULONG)];
	} buffer;
	ULONG length = 0;

	RtlInitUnicodeString(&valueName, Name);
	if (NT_SUCCESS(ZwQueryValueKey(Key, &valueName, KeyValuePartialInformation,
				       &buffer, sizeof(buffer), &length)) &&
	    buffer.Info.Type == REG_DWORD && buffer.Info.DataLength == sizeof(ULONG))
		RtlCopyMemory(Value, buffer.Info.Data, sizeof(ULONG));
}

/*
 * Settings under HKLM\SYSTEM\CurrentControlSet\Services\SharedMemory\Parameters:
 * MaxSizeMiB (largest ALLOCATE) and TotalCapMiB (all handles together). Both
 * are optional; out-of-range values fail the load rather than being guessed at.
 * PASSIVE_LEVEL, from DriverEntry.
 */
_Use_decl_annotations_
static NTSTATUS ShmReadParameters(PUNICODE_STRING RegistryPath)
{
	OBJECT_ATTRIBUTES attributes;
	UNICODE_STRING parametersName = RTL_CONSTANT_STRING(L"Parameters");
	HANDLE serviceKey = NULL;
	HANDLE parametersKey = NULL;
	ULONG maxSizeMiB = (ULONG)(SHM_DEFAULT_MAX_SIZE / SHM_MIB);
	ULONG totalCapMiB = (ULONG)(SHM_DEFAULT_TOTAL_CAP / SHM_MIB);

	PAGED_CODE();
	InitializeObjectAttributes(&attributes, RegistryPath,
				   OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, NULL, NULL);
	if (NT_SUCCESS(ZwOpenKey(&serviceKey, KEY_READ, &attributes))) {
		InitializeObjectAttributes(&attributes, &parametersName,
					   OBJ_KERNEL_HANDLE | OBJ_CASE_INSENSITIVE, serviceKey, NULL);
		if (NT_SUCCESS(ZwOpenKey(&parametersKey, KEY_READ, &attributes))) {
			ShmQueryDword(parametersKey, L"MaxSizeMiB", &maxSizeMiB);
			ShmQueryDword(parametersKey, L"TotalCapMiB", &totalCapMiB);
			ZwClose(parametersKey);
		}
		ZwClose(serviceKey);
	}
	if (maxSizeMiB < 1 || maxSizeMiB > SHM_MAX_SIZE_LIMIT_MIB ||
	    totalCapMiB < 1 || totalCapMiB > SHM_TOTAL_CAP_LIMIT_MIB) {
		ShmError("Parameters: MaxSizeMiB %lu (1..%lu) or TotalCapMiB %lu (1..%lu) out of range",
			 maxSizeMiB, SHM_MAX_SIZE_LIMIT_MIB, totalCapMiB, SHM_TOTAL_CAP_LIMIT_MIB);
		return STATUS_INVALID_PARAMETER;
	}
	g_Shm.MaxSize = maxSizeMiB * SHM_MIB;
	g_Shm.TotalCap = totalCapMiB * SHM_MIB;
	return STATUS_SUCCESS;
}

/*
 * Gives the device object the DACL of the SDDL string
 *     D:P(A;;GA;;;SY)(A;;GA;;;BA)
 * (protected; full access for LocalSystem and BUILTIN\Administrators only).
 * PASSIVE_LEVEL, from DriverEntry.
 *
 * IoCreateDeviceSecure would take that string, but it is not an ntoskrnl
 * export: it lives in the static library wdmsec.lib, which the cross-build
 * does not have. So the same descriptor is built here and set through a
 * kernel handle to the device object with ZwSetSecurityObject, both
 * documented ntoskrnl exports. GA (generic all) is written as
 * FILE_ALL_ACCESS, its mapping for file and device objects.
 */
_Use_decl_annotations_
static NTSTATUS ShmApplyDeviceSecurity(PDEVICE_OBJECT DeviceObject)
{
	SID_IDENTIFIER_AUTHORITY ntAuthority = SECURITY_NT_AUTHORITY;
	/* SIDs with one and two sub-authorities: 12 and 16 bytes. */
	union { SID Sid; UCHAR Bytes[16]; } system, administrators;
	union { ACL Acl; UCHAR Bytes[128]; } dacl;
	SECURITY_DESCRIPTOR descriptor;
	HANDLE deviceHandle;
	NTSTATUS status;

	PAGED_CODE();
	status = RtlInitializeSid(&system.Sid, &ntAuthority, 1);
	if (!NT_SUCCESS(status))
		return status;
	*RtlSubAuthoritySid(&system.Sid, 0) = SECURITY_LOCAL_SYSTEM_RID;

	status = RtlInitializeSid(&administrators.Sid, &ntAuthority, 2);
	if (!NT_SUCCESS(status))
		return status;
	*RtlSubAuthoritySid(&administrators.Sid, 0) = SECURITY_BUILTIN_DOMAIN_RID;
	*RtlSubAuthoritySid(&administrators.Sid, 1) = DOMAIN_ALIAS_RID_ADMINS;

	status = RtlCreateAcl(&dacl.Acl, sizeof(dacl), ACL_REVISION);
	if (NT_SUCCESS(status))
		status = RtlAddAccessAllowedAce(&dacl.Acl, ACL_REVISION, FILE_ALL_ACCESS, &system.Sid);
	if (NT_SUCCESS(status))
		status = RtlAddAccessAllowedAce(&dacl.Acl, ACL_REVISION, FILE_ALL_ACCESS,
						&administrators.Sid);
	if (NT_SUCCESS(status))
		status = RtlCreateSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION);
	if (NT_SUCCESS(status))
		status = RtlSetDaclSecurityDescriptor(&descriptor, TRUE, &dacl.Acl, FALSE);
	if (!NT_SUCCESS(status))
		return status;

	/*
	 * A kernel handle to the device object itself (no IRP_MJ_CREATE reaches
	 * us). The pointer is our own device object, so no type check is asked
	 * for (ObjectType NULL).
	 */
	status = ObOpenObjectByPointer(DeviceObject, OBJ_KERNEL_HANDLE, NULL, WRITE_DAC,
				       NULL, KernelMode, &deviceHandle);
	if (!NT_SUCCESS(status))
		return status;
	status = ZwSetSecurityObject(deviceHandle,
				     DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
				     &descriptor);
	ZwClose(deviceHandle);
	return status;
}
