// The few libc calls the Linux backend needs, bound with koffi. Main-process
// only: koffi is a native module and the renderer never loads it.
//
// Pointers are BigInt in koffi 3. Every call is followed by errno() so the
// caller can turn a failure into a DeviceError before anything else runs.
import koffi from 'koffi';

export const O_RDWR = 0o2;
export const O_CLOEXEC = 0o2000000;
export const PROT_READ = 0x1;
export const PROT_WRITE = 0x2;
export const MAP_SHARED = 0x1;
/** mmap's failure value, (void *)-1, as koffi returns it. */
export const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

export interface Libc {
  open(path: string, flags: number): number;
  close(fd: number): number;
  /**
   * ioctl with a struct argument (in/out through the buffer), bound with a
   * fixed prototype: the control path's hot call.
   */
  ioctlBuffer(fd: number, request: number, arg: Uint8Array): number;
  /** ioctl without an argument (SHM_IOCTL_RELEASE). */
  ioctlNone(fd: number, request: number): number;
  mmap(length: number, prot: number, flags: number, fd: number, offset: number): bigint;
  munmap(address: bigint, length: number): number;
  pread(fd: number, into: Uint8Array, offset: number): number;
  /** Copies u16 values out of native memory (never a view: Electron's memory cage). */
  readU16(address: bigint, byteOffset: number, count: number): Uint16Array;
  writeU16(address: bigint, byteOffset: number, values: readonly number[]): void;
  errno(): number;
  /**
   * poll(fd, POLLIN) on one of koffi's worker threads: resolves when the fd is
   * readable or hung up, or after `timeoutMs`; the event loop never waits.
   */
  pollAsync(fd: number, timeoutMs: number): Promise<void>;
  /** A u64 load with C11 acquire ordering (libatomic's __atomic_load_8). */
  loadAcquireU64(address: bigint): number;
  /** A u32 load with C11 acquire ordering (__atomic_load_4). */
  loadAcquireU32(address: bigint): number;
  /** A u64 store with C11 release ordering (__atomic_store_8). */
  storeReleaseU64(address: bigint, value: number): void;
  /** Copies `into.byteLength` bytes from native memory (memcpy): the Electron path. */
  copyOut(into: Uint8Array, address: bigint): void;
}

const POLLIN = 0x1;
const ATOMIC_ACQUIRE = 2; // __ATOMIC_ACQUIRE
const ATOMIC_RELEASE = 3; // __ATOMIC_RELEASE

type NativeFunction = (...args: unknown[]) => unknown;

let bound: Libc | null = null;

/** Loads libc once; throws if this is not a glibc Linux system. */
export function loadLibc(): Libc {
  if (bound) return bound;
  const lib = koffi.load('libc.so.6');
  const fn = (definition: string): NativeFunction => lib.func(definition) as NativeFunction;
  // open and ioctl are variadic in C. A variadic koffi function is given the
  // extra arguments' types at every call, which it parses each time; open
  // (rare) stays so, and ioctl without an argument (RELEASE) too.
  const open = fn('int open(const char *path, int flags, ...)');
  const close = fn('int close(int fd)');
  const ioctl = fn('int ioctl(int fd, unsigned long request, ...)');
  // ioctl with its pointer argument bound as a fixed third parameter, so koffi
  // parses no types per call. Safe on Linux: the x86-64 System V and AAPCS64
  // calling conventions pass an integer or pointer variadic argument exactly
  // where a named one goes, and glibc's ioctl reads it from there.
  const ioctlPointer = fn('int ioctl(int fd, unsigned long request, void *arg)');
  const mmap = fn(
    'void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)',
  );
  const munmap = fn('int munmap(void *addr, size_t length)');
  const pread = fn('intptr_t pread(int fd, _Out_ void *buf, size_t count, int64_t offset)');
  const PollFd = koffi.struct('shm_pollfd', { fd: 'int', events: 'short', revents: 'short' });
  const poll = lib.func('int poll(void *fds, unsigned long nfds, int timeout)');
  const memcpy = fn('void *memcpy(_Out_ void *dest, const void *src, size_t n)');
  // GCC's libatomic carries C11 atomics as plain functions, so JavaScript can
  // reach a real acquire load and release store through koffi.
  const atomic = koffi.load('libatomic.so.1');
  const atomicLoad8 = atomic.func('uint64_t __atomic_load_8(const void *ptr, int order)') as NativeFunction;
  const atomicLoad4 = atomic.func('uint32_t __atomic_load_4(const void *ptr, int order)') as NativeFunction;
  const atomicStore8 = atomic.func('void __atomic_store_8(void *ptr, uint64_t value, int order)') as NativeFunction;

  bound = {
    open: (path, flags) => open(path, flags) as number,
    close: (fd) => close(fd) as number,
    ioctlBuffer: (fd, request, arg) => ioctlPointer(fd, request, arg) as number,
    ioctlNone: (fd, request) => ioctl(fd, request) as number,
    mmap: (length, prot, flags, fd, offset) => {
      const address = mmap(null, length, prot, flags, fd, offset) as bigint | null;
      return address ?? MAP_FAILED;
    },
    munmap: (address, length) => munmap(address, length) as number,
    pread: (fd, into, offset) => Number(pread(fd, into, into.byteLength, offset)),
    readU16: (address, byteOffset, count) =>
      Uint16Array.from(koffi.decode(address, byteOffset, 'uint16_t', count) as ArrayLike<number>),
    writeU16: (address, byteOffset, values) =>
      koffi.encode(address, byteOffset, 'uint16_t', values, values.length),
    errno: () => koffi.errno(),
    pollAsync: (fd, timeoutMs) =>
      new Promise((resolve, reject) => {
        // The pollfd lives in native memory until poll returns on koffi's
        // worker thread: no JavaScript buffer the collector could move or free
        // while the kernel writes revents into it.
        const fds: unknown = koffi.alloc(PollFd, 1);
        koffi.encode(fds, PollFd, { fd, events: POLLIN, revents: 0 });
        poll.async(fds, 1, Math.max(0, Math.round(timeoutMs)), (error: unknown) => {
          koffi.free(fds);
          if (error) reject(error instanceof Error ? error : new Error('the native wait failed'));
          else resolve();
        });
      }),
    loadAcquireU64: (address) => Number(atomicLoad8(address, ATOMIC_ACQUIRE)),
    loadAcquireU32: (address) => atomicLoad4(address, ATOMIC_ACQUIRE) as number,
    storeReleaseU64: (address, value) => {
      atomicStore8(address, value, ATOMIC_RELEASE);
    },
    copyOut: (into, address) => {
      memcpy(into, address, into.byteLength);
    },
  };
  return bound;
}
