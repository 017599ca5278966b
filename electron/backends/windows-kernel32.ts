// The few kernel32.dll calls the Windows backend needs, bound with koffi.
// Main-process only: koffi is a native module and the renderer never loads it.
//
// kernel32.dll is loaded on first use, so this module can be imported (and
// type-checked and unit-tested) on any system. Pointers and HANDLEs are
// BigInt in koffi 3. Every failing call is followed at once by GetLastError,
// before any other Win32 call can overwrite the thread's last error.
import koffi from 'koffi';

export const GENERIC_READ = 0x8000_0000;
export const GENERIC_WRITE = 0x4000_0000;
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const OPEN_EXISTING = 3;
export const FILE_ATTRIBUTE_NORMAL = 0x80;
/** CreateFileW's failure value, (HANDLE)-1, as koffi returns it. */
export const INVALID_HANDLE_VALUE = 0xffff_ffff_ffff_ffffn;

/** The outcome of one Win32 call: its result, and GetLastError when it failed. */
export type Win32Result<T> = { ok: true; value: T } | { ok: false; error: number };

export interface Kernel32 {
  createFile(path: string, desiredAccess: number): Win32Result<bigint>;
  /** METHOD_BUFFERED: the driver reads `input` and writes up to `output.length` bytes into `output`. */
  deviceIoControl(
    handle: bigint,
    code: number,
    input: Uint8Array | null,
    output: Uint8Array | null,
  ): Win32Result<number>;
  /** Synchronous ReadFile at a byte offset (through an OVERLAPPED, as Windows allows). */
  readFile(handle: bigint, into: Uint8Array, offset: number): Win32Result<number>;
  closeHandle(handle: bigint): Win32Result<void>;
  /** Copies u16 values out of this process's memory (never a view: Electron's memory cage). */
  readU16(address: bigint, byteOffset: number, count: number): Uint16Array;
  writeU16(address: bigint, byteOffset: number, values: readonly number[]): void;
  /** CreateEventW(NULL, FALSE, FALSE, NULL): an auto-reset event, not signalled. */
  createAutoResetEvent(): Win32Result<bigint>;
  /**
   * WaitForSingleObject on one of koffi's worker threads: resolves when the
   * event is set or after `timeoutMs`; the event loop never waits.
   */
  waitAsync(handle: bigint, timeoutMs: number): Promise<void>;
  /** The ring's native memory operations (see native-ring-access.ts for the ordering). */
  loadAcquireU64(address: bigint): number;
  loadAcquireU32(address: bigint): number;
  storeReleaseU64(address: bigint, value: number): void;
  copyOut(into: Uint8Array, address: bigint): void;
}

type NativeFunction = (...args: unknown[]) => unknown;

/** OVERLAPPED on x64: Internal, InternalHigh (ULONG_PTR), Offset, OffsetHigh (DWORD), hEvent. */
const OVERLAPPED_SIZE = 32;
const OVERLAPPED_OFFSET = 16;

let bound: Kernel32 | null = null;

/** Loads kernel32.dll once; throws if this is not Windows. */
export function loadKernel32(): Kernel32 {
  if (bound) return bound;
  const lib = koffi.load('kernel32.dll');
  const fn = (definition: string): NativeFunction => lib.func(definition) as NativeFunction;
  // HANDLE is a pointer; BOOL an int. The x64 calling convention is the same
  // for __stdcall and __cdecl, so no convention is spelled out.
  const CreateFileW = fn(
    'void *CreateFileW(const char16_t *name, uint32_t access, uint32_t share, ' +
      'void *security, uint32_t disposition, uint32_t flags, void *template)',
  );
  const DeviceIoControl = fn(
    'int DeviceIoControl(void *device, uint32_t code, void *input, uint32_t inputSize, ' +
      'void *output, uint32_t outputSize, _Out_ uint32_t *returned, void *overlapped)',
  );
  const ReadFile = fn(
    'int ReadFile(void *file, void *buffer, uint32_t size, _Out_ uint32_t *read, void *overlapped)',
  );
  const CloseHandle = fn('int CloseHandle(void *handle)');
  const GetLastError = fn('uint32_t GetLastError()');
  const CreateEventW = fn('void *CreateEventW(void *attributes, int manualReset, int initialState, const char16_t *name)');
  const WaitForSingleObject = lib.func('uint32_t WaitForSingleObject(void *handle, uint32_t milliseconds)');
  const RtlMoveMemory = fn('void RtlMoveMemory(_Out_ void *destination, const void *source, size_t length)');
  const lastError = (): number => GetLastError() as number;

  bound = {
    createFile(path, desiredAccess) {
      const handle = CreateFileW(
        path,
        desiredAccess,
        FILE_SHARE_READ | FILE_SHARE_WRITE,
        null,
        OPEN_EXISTING,
        FILE_ATTRIBUTE_NORMAL,
        null,
      ) as bigint | null;
      if (handle === null || handle === INVALID_HANDLE_VALUE) return { ok: false, error: lastError() };
      return { ok: true, value: handle };
    },
    deviceIoControl(handle, code, input, output) {
      const returned = [0];
      const ok = DeviceIoControl(
        handle,
        code,
        input,
        input?.byteLength ?? 0,
        output,
        output?.byteLength ?? 0,
        returned,
        null,
      ) as number;
      if (!ok) return { ok: false, error: lastError() };
      return { ok: true, value: returned[0] ?? 0 };
    },
    readFile(handle, into, offset) {
      const overlapped = new Uint8Array(OVERLAPPED_SIZE);
      new DataView(overlapped.buffer).setBigUint64(OVERLAPPED_OFFSET, BigInt(offset), true);
      const read = [0];
      const ok = ReadFile(handle, into, into.byteLength, read, overlapped) as number;
      if (!ok) return { ok: false, error: lastError() };
      return { ok: true, value: read[0] ?? 0 };
    },
    closeHandle(handle) {
      const ok = CloseHandle(handle) as number;
      if (!ok) return { ok: false, error: lastError() };
      return { ok: true, value: undefined };
    },
    readU16(address, byteOffset, count) {
      // decode copies into a new typed array; copy again so nothing can alias native memory.
      const copied = koffi.decode(address + BigInt(byteOffset), 'uint16_t', count) as Uint16Array;
      return new Uint16Array(copied);
    },
    writeU16(address, byteOffset, values) {
      koffi.encode(address + BigInt(byteOffset), 'uint16_t', values, values.length);
    },
    createAutoResetEvent() {
      const handle = CreateEventW(null, 0, 0, null) as bigint | null;
      if (handle === null) return { ok: false, error: lastError() };
      return { ok: true, value: handle };
    },
    waitAsync: (handle, timeoutMs) =>
      new Promise((resolve, reject) => {
        WaitForSingleObject.async(handle, Math.max(0, Math.round(timeoutMs)), (error: unknown) => {
          if (error) reject(error instanceof Error ? error : new Error('the native wait failed'));
          else resolve();
        });
      }),
    // x64: aligned 8-byte loads and stores are atomic, and TSO gives them
    // acquire and release ordering against the other accesses.
    loadAcquireU64: (address) => Number(koffi.decode(address, 'uint64_t') as number | bigint),
    loadAcquireU32: (address) => koffi.decode(address, 'uint32_t') as number,
    storeReleaseU64: (address, value) => koffi.encode(address, 'uint64_t', value),
    copyOut: (into, address) => {
      RtlMoveMemory(into, address, into.byteLength);
    },
  };
  return bound;
}
