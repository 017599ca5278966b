/* SPDX-License-Identifier: MIT */
/*
 * mm-misuse.c - a deliberately wrong WDM driver that proves the Wine memory
 * manager's bug-check detectors fire (e2e/wine/mm-self-test.mjs).
 *
 * Each IOCTL_MISUSE_* commits one error that Windows answers with a bug check
 * or Driver Verifier stop, once, and then cleans up correctly, so that every
 * detector's line can be told apart. IOCTL_MISUSE_CORRECT does everything
 * right and must print nothing; IOCTL_MISUSE_RAISE and IOCTL_MISUSE_HANDLE
 * return what the memory manager did, for the client to check.
 *
 * Never install this on Windows: it would stop the machine.
 */
#include <ntddk.h>

#define MISUSE_TYPE 0x8001u
#define MISUSE(n) ((ULONG)CTL_CODE(MISUSE_TYPE, 0x900 + (n), METHOD_BUFFERED, FILE_ANY_ACCESS))
#define IOCTL_MISUSE_CORRECT        MISUSE(0)
#define IOCTL_MISUSE_FOREIGN_UNMAP  MISUSE(1)
#define IOCTL_MISUSE_DOUBLE_UNMAP   MISUSE(2)
#define IOCTL_MISUSE_FREE_KERNEL    MISUSE(3)
#define IOCTL_MISUSE_FREE_USER      MISUSE(4)
#define IOCTL_MISUSE_SYSTEM_MAP     MISUSE(5)
#define IOCTL_MISUSE_IOFREEMDL      MISUSE(6)
#define IOCTL_MISUSE_EXFREEPOOL     MISUSE(7)
#define IOCTL_MISUSE_DOUBLE_FREE    MISUSE(8)
#define IOCTL_MISUSE_RAISE          MISUSE(9)
#define IOCTL_MISUSE_HANDLE         MISUSE(10)

#ifndef MdlMappingNoExecute
# define MdlMappingNoExecute 0x40000000
#endif
#ifndef MM_ALLOCATE_FULLY_REQUIRED
# define MM_ALLOCATE_FULLY_REQUIRED 0x4
#endif
#ifndef MM_DONT_ZERO_ALLOCATION
# define MM_DONT_ZERO_ALLOCATION 0x1
#endif

/* What IOCTL_MISUSE_CORRECT and _RAISE report. */
struct misuse_report {
	UINT64 zeroed_first;      /* first u64 of a zeroed allocation */
	UINT64 unzeroed_first;    /* first u64 with MM_DONT_ZERO_ALLOCATION */
	UINT64 partial_bytes;     /* ByteCount of a 5 GiB request without FULLY_REQUIRED */
	UINT64 fully_required;    /* the MDL pointer of the same with FULLY_REQUIRED: 0 */
	UINT64 user_value;        /* read back through the user mapping by the driver */
	INT32 status;             /* RAISE: the exception code; HANDLE: per-case statuses */
	INT32 statuses[4];
};

/* IOCTL_MISUSE_HANDLE input: handles of the calling process. */
struct misuse_handles {
	UINT64 event;             /* an event opened with EVENT_MODIFY_STATE */
	UINT64 weak_event;        /* the same event, SYNCHRONIZE only */
	UINT64 file;              /* not an event */
	UINT64 garbage;           /* not a handle */
};

/* ntoskrnl exports it; mingw's DDK headers do not declare it */
NTSYSAPI NTSTATUS NTAPI ZwWaitForSingleObject(HANDLE, BOOLEAN, PLARGE_INTEGER);

DRIVER_INITIALIZE DriverEntry;

static PMDL allocate_page(ULONG flags)
{
	PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high = { .QuadPart = -1 }, skip = { .QuadPart = 0 };

	return MmAllocatePagesForMdlEx(low, high, skip, PAGE_SIZE, MmCached, flags);
}

static void free_page(PMDL mdl)
{
	MmFreePagesFromMdl(mdl);
	ExFreePool(mdl);
}

static PVOID map_user(PMDL mdl)
{
	PVOID address = NULL;

	__try {
		address = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached, NULL, FALSE,
						       NormalPagePriority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		address = NULL;
	}
	return address;
}

/* Runs `routine(context)` on a system thread of its own and waits for it. */
static NTSTATUS on_system_thread(PKSTART_ROUTINE routine, PVOID context)
{
	HANDLE thread;
	NTSTATUS status;

	status = PsCreateSystemThread(&thread, THREAD_ALL_ACCESS, NULL, NULL, NULL, routine, context);
	if (!NT_SUCCESS(status))
		return status;
	ZwWaitForSingleObject(thread, FALSE, NULL);
	ZwClose(thread);
	return STATUS_SUCCESS;
}

struct thread_job {
	PMDL mdl;
	PVOID address;
	NTSTATUS status;
};

static VOID unmap_from_system_thread(PVOID context)
{
	struct thread_job *job = context;

	MmUnmapLockedPages(job->address, job->mdl);   /* wrong: not the owner's process */
	PsTerminateSystemThread(STATUS_SUCCESS);
}

static VOID map_user_from_system_thread(PVOID context)
{
	struct thread_job *job = context;

	job->status = STATUS_SUCCESS;
	__try {
		job->address = MmMapLockedPagesSpecifyCache(job->mdl, UserMode, MmCached, NULL, FALSE,
							    NormalPagePriority);
	} __except (EXCEPTION_EXECUTE_HANDLER) {
		job->status = GetExceptionCode();
		job->address = NULL;
	}
	PsTerminateSystemThread(STATUS_SUCCESS);
}

static NTSTATUS misuse_correct(struct misuse_report *report)
{
	PHYSICAL_ADDRESS low = { .QuadPart = 0 }, high = { .QuadPart = -1 }, skip = { .QuadPart = 0 };
	PMDL mdl = allocate_page(MM_ALLOCATE_FULLY_REQUIRED), big;
	UINT64 *kernel, *user;

	if (!mdl)
		return STATUS_INSUFFICIENT_RESOURCES;
	kernel = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority | MdlMappingNoExecute);
	user = map_user(mdl);
	if (!kernel || !user) {
		if (user)
			MmUnmapLockedPages(user, mdl);
		if (kernel)
			MmUnmapLockedPages(kernel, mdl);
		free_page(mdl);
		return STATUS_UNSUCCESSFUL;
	}
	/* the user address is only valid in the caller, which Wine runs apart from this host */
	report->zeroed_first = kernel[0];
	report->user_value = (UINT64)(ULONG_PTR)user;
	MmUnmapLockedPages(user, mdl);
	MmUnmapLockedPages(kernel, mdl);
	free_page(mdl);

	mdl = allocate_page(MM_DONT_ZERO_ALLOCATION);
	if (mdl) {
		kernel = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority);
		report->unzeroed_first = kernel ? kernel[0] : 0;
		if (kernel)
			MmUnmapLockedPages(kernel, mdl);
		free_page(mdl);
	}

	/* An MDL's ByteCount is a ULONG: 5 GiB cannot be had in one. */
	big = MmAllocatePagesForMdlEx(low, high, skip, 5ull << 30, MmCached, 0);
	report->partial_bytes = big ? MmGetMdlByteCount(big) : 0;
	if (big)
		free_page(big);
	big = MmAllocatePagesForMdlEx(low, high, skip, 5ull << 30, MmCached, MM_ALLOCATE_FULLY_REQUIRED);
	report->fully_required = (UINT64)(ULONG_PTR)big;
	if (big)
		free_page(big);
	return STATUS_SUCCESS;
}

static NTSTATUS misuse_raise(struct misuse_report *report)
{
	PMDL mdl = allocate_page(0);

	if (!mdl)
		return STATUS_INSUFFICIENT_RESOURCES;
	report->status = STATUS_SUCCESS;
	__try {
		/* a user address in the middle of the kernel's half cannot be had */
		PVOID address = MmMapLockedPagesSpecifyCache(mdl, UserMode, MmCached,
							     (PVOID)0xFFFF800000000000ull, FALSE,
							     NormalPagePriority);
		report->user_value = (UINT64)(ULONG_PTR)address;
		if (address)
			MmUnmapLockedPages(address, mdl);
	} __except (report->status = GetExceptionCode(), EXCEPTION_EXECUTE_HANDLER) {
		report->user_value = 0;
	}
	free_page(mdl);
	return STATUS_SUCCESS;
}

/*
 * The exported variable itself: mingw's wdm.h declares ExEventObjectType
 * dllimport, so the WDK's idiom *ExEventObjectType reads one level too deep
 * in this cross-build; the routine address is right with every toolchain.
 */
static POBJECT_TYPE event_object_type(void)
{
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"ExEventObjectType");
	POBJECT_TYPE *type = MmGetSystemRoutineAddress(&name);

	return type ? *type : NULL;
}

static NTSTATUS misuse_handle(const struct misuse_handles *in, struct misuse_report *report)
{
	const UINT64 handles[4] = { in->event, in->weak_event, in->file, in->garbage };
	POBJECT_TYPE type = event_object_type();
	int i;

	if (!type)
		return STATUS_NOT_FOUND;

	for (i = 0; i < 4; i++) {
		PKEVENT event = NULL;
		NTSTATUS status = ObReferenceObjectByHandle((HANDLE)(ULONG_PTR)handles[i],
							    EVENT_MODIFY_STATE, type,
							    UserMode, (PVOID *)&event, NULL);
		report->statuses[i] = status;
		if (NT_SUCCESS(status)) {
			KeSetEvent(event, IO_NO_INCREMENT, FALSE);
			ObDereferenceObject(event);
		}
	}
	return STATUS_SUCCESS;
}

static NTSTATUS misuse(ULONG code)
{
	struct thread_job job = { 0 };
	PMDL mdl = allocate_page(0);
	PVOID address;

	if (!mdl)
		return STATUS_INSUFFICIENT_RESOURCES;
	switch (code) {
	case IOCTL_MISUSE_FOREIGN_UNMAP:
		job.mdl = mdl;
		job.address = map_user(mdl);
		if (job.address)
			on_system_thread(unmap_from_system_thread, &job);
		if (job.address)
			MmUnmapLockedPages(job.address, mdl);
		break;
	case IOCTL_MISUSE_DOUBLE_UNMAP:
		address = map_user(mdl);
		if (address) {
			MmUnmapLockedPages(address, mdl);
			MmUnmapLockedPages(address, mdl);
		}
		break;
	case IOCTL_MISUSE_FREE_KERNEL:
		if (MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)) {
			MmFreePagesFromMdl(mdl);
			ExFreePool(mdl);
			return STATUS_SUCCESS;
		}
		break;
	case IOCTL_MISUSE_FREE_USER:
		if (map_user(mdl)) {
			MmFreePagesFromMdl(mdl);
			ExFreePool(mdl);
			return STATUS_SUCCESS;
		}
		break;
	case IOCTL_MISUSE_SYSTEM_MAP:
		job.mdl = mdl;
		on_system_thread(map_user_from_system_thread, &job);
		if (job.address)
			MmUnmapLockedPages(job.address, mdl);
		break;
	case IOCTL_MISUSE_IOFREEMDL:
		IoFreeMdl(mdl);          /* the 2010 article's mistake */
		break;
	case IOCTL_MISUSE_EXFREEPOOL:
		ExFreePool(mdl);         /* the pages are still in it */
		break;
	case IOCTL_MISUSE_DOUBLE_FREE:
		MmFreePagesFromMdl(mdl);
		break;
	}
	free_page(mdl);
	return STATUS_SUCCESS;
}

static NTSTATUS dispatch_create_close(PDEVICE_OBJECT device, PIRP irp)
{
	UNREFERENCED_PARAMETER(device);
	irp->IoStatus.Status = STATUS_SUCCESS;
	irp->IoStatus.Information = 0;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return STATUS_SUCCESS;
}

static NTSTATUS dispatch_control(PDEVICE_OBJECT device, PIRP irp)
{
	PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
	ULONG code = stack->Parameters.DeviceIoControl.IoControlCode;
	ULONG in = stack->Parameters.DeviceIoControl.InputBufferLength;
	ULONG out = stack->Parameters.DeviceIoControl.OutputBufferLength;
	struct misuse_report report = { 0 };
	ULONG_PTR information = 0;
	NTSTATUS status;

	UNREFERENCED_PARAMETER(device);
	if (code == IOCTL_MISUSE_CORRECT || code == IOCTL_MISUSE_RAISE || code == IOCTL_MISUSE_HANDLE) {
		if (out < sizeof(report) || (code == IOCTL_MISUSE_HANDLE && in < sizeof(struct misuse_handles))) {
			status = STATUS_BUFFER_TOO_SMALL;
		} else {
			if (code == IOCTL_MISUSE_CORRECT)
				status = misuse_correct(&report);
			else if (code == IOCTL_MISUSE_RAISE)
				status = misuse_raise(&report);
			else
				status = misuse_handle(irp->AssociatedIrp.SystemBuffer, &report);
			RtlCopyMemory(irp->AssociatedIrp.SystemBuffer, &report, sizeof(report));
			information = sizeof(report);
		}
	} else if (code >= IOCTL_MISUSE_FOREIGN_UNMAP && code <= IOCTL_MISUSE_DOUBLE_FREE) {
		status = misuse(code);
	} else {
		status = STATUS_INVALID_DEVICE_REQUEST;
	}
	irp->IoStatus.Status = status;
	irp->IoStatus.Information = NT_SUCCESS(status) ? information : 0;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return status;
}

static VOID unload(PDRIVER_OBJECT driver)
{
	UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\ShmMmMisuse");

	IoDeleteSymbolicLink(&link);
	IoDeleteDevice(driver->DeviceObject);
}

NTSTATUS DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry)
{
	UNICODE_STRING name = RTL_CONSTANT_STRING(L"\\Device\\ShmMmMisuse");
	UNICODE_STRING link = RTL_CONSTANT_STRING(L"\\DosDevices\\ShmMmMisuse");
	PDEVICE_OBJECT device;
	NTSTATUS status;

	UNREFERENCED_PARAMETER(registry);
	status = IoCreateDevice(driver, 0, &name, FILE_DEVICE_UNKNOWN, FILE_DEVICE_SECURE_OPEN, FALSE, &device);
	if (!NT_SUCCESS(status))
		return status;
	status = IoCreateSymbolicLink(&link, &name);
	if (!NT_SUCCESS(status)) {
		IoDeleteDevice(device);
		return status;
	}
	driver->MajorFunction[IRP_MJ_CREATE] = dispatch_create_close;
	driver->MajorFunction[IRP_MJ_CLOSE] = dispatch_create_close;
	driver->MajorFunction[IRP_MJ_DEVICE_CONTROL] = dispatch_control;
	driver->DriverUnload = unload;
	return STATUS_SUCCESS;
}
