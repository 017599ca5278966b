/* SPDX-License-Identifier: MIT */
/*
 * mingw-ddk-compat.h - the few WDK names mingw-w64's DDK headers lack.
 *
 * Included only by the cross-build (clang + mingw-w64 headers). The Visual
 * Studio + WDK build gets all of these from the WDK itself. Every name here
 * is documented by Microsoft with the value given.
 */
#ifndef SHAREDMEMORY_MINGW_DDK_COMPAT_H
#define SHAREDMEMORY_MINGW_DDK_COMPAT_H

#include <driverspecs.h>

/* SAL annotations the WDK's driverspecs.h has and mingw's lacks: no effect on code. */
#ifndef _Dispatch_type_
# define _Dispatch_type_(x)
#endif
#ifndef _IRQL_requires_same_
# define _IRQL_requires_same_
#endif
#ifndef _Requires_lock_held_
# define _Requires_lock_held_(x)
#endif
#ifndef _Requires_lock_not_held_
# define _Requires_lock_not_held_(x)
#endif
#ifndef _IRQL_requires_max_
# define _IRQL_requires_max_(x)
#endif
#ifndef _In_z_
# define _In_z_
#endif
#ifndef _Acquires_lock_
# define _Acquires_lock_(x)
#endif
#ifndef _Releases_lock_
# define _Releases_lock_(x)
#endif

/*
 * wdm.h: NT_ASSERT as the WDK's free build has it. Recent mingw-w64 headers
 * define it so; older ones do not.
 */
#ifndef NT_ASSERT
# define NT_ASSERT(exp) ((VOID)0)
#endif

/* dpfilter.h: the component ID for third-party drivers' DbgPrintEx output. */
#ifndef DPFLTR_IHVDRIVER_ID
# define DPFLTR_IHVDRIVER_ID 77
#endif

/* wdm.h (Windows 8+): MM_PAGE_PRIORITY flag for a non-executable mapping. */
#ifndef MdlMappingNoExecute
# define MdlMappingNoExecute 0x40000000
#endif

/*
 * wdm.h (WDK 10): the shared-memory accessors, as the WDK defines them for
 * x64, where every load is an acquire and every store a release in the
 * hardware: they only keep the compiler from moving accesses across them.
 */
#if defined(_AMD64_)
static __inline LONG64 ReadAcquire64(_In_ LONG64 const volatile *Source)
{
	LONG64 value = *Source;

	_ReadWriteBarrier();
	return value;
}

static __inline VOID WriteULongNoFence(_Out_ ULONG volatile *Destination, _In_ ULONG Value)
{
	*Destination = Value;
}

static __inline VOID WriteULong64NoFence(_Out_ ULONG64 volatile *Destination, _In_ ULONG64 Value)
{
	*Destination = Value;
}
#endif

#endif /* SHAREDMEMORY_MINGW_DDK_COMPAT_H */
