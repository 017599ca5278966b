// The seam between the app and a driver. One DeviceBackend per kind of driver
// (simulated, linux, windows); each open() is one handle on the device, which
// in both kernels owns at most one allocation (CONTRACT.md section 3).
//
// Windows gets the user address back from ALLOCATE; Linux allocates with the
// ioctl and then maps the fd with mmap. Both end in the same Allocation.

export type BackendKind = 'simulated' | 'linux' | 'windows';

export interface DeviceInfo {
  abiVersion: number;
  driverVersion: number;
  pageSize: number;
  maxSize: number;
  totalBytes: number;
  allocations: number;
}

export interface Allocation {
  /** Where the pages are mapped in this process. */
  userAddress: bigint;
  /** Bytes the caller asked for. */
  requestedSize: number;
  /** Bytes backed and mapped (the request rounded up to whole pages). */
  mappedSize: number;
}

/** One open handle on the device (a FILE_OBJECT on Windows, a struct file on Linux). */
export interface DeviceHandle {
  query(): DeviceInfo;
  /** Asks the driver for pages and maps them into this process. */
  allocate(size: number): Allocation;
  /** Reads u16 values through this process's mapping (by copying, as Electron requires). */
  readValues(byteOffset: number, count: number): Uint16Array;
  /** Writes u16 values through this process's mapping. */
  writeValues(byteOffset: number, values: ArrayLike<number>): void;
  /** Reads u16 values through the driver's own kernel mapping (SHM_IOCTL_INSPECT). */
  inspect(byteOffset: number, count: number): Uint16Array;
  /** The copy path: ReadFile / pread at a byte offset. Returns fewer bytes at the end. */
  readCopy(byteOffset: number, length: number): Uint8Array;
  /** Unmaps and frees the allocation. */
  release(): void;
  /** Closes the handle; the driver frees whatever it still holds. Idempotent. */
  close(): void;
}

export interface DeviceBackend {
  readonly kind: BackendKind;
  /** Opens the device. Throws a DeviceError ('not-installed', 'access-denied', ...). */
  open(): DeviceHandle;
}

export type DeviceOperation =
  | 'open'
  | 'query'
  | 'allocate'
  | 'map'
  | 'read'
  | 'write'
  | 'inspect'
  | 'read-copy'
  | 'release'
  | 'close';

/** What went wrong, independent of the OS that said it (the rows of CONTRACT.md's error table). */
export type DeviceErrorKind =
  | 'invalid-parameter'
  | 'buffer-too-small'
  | 'busy'
  | 'nothing-allocated'
  | 'no-resources'
  | 'unknown-request'
  | 'not-installed'
  | 'access-denied'
  | 'handle-closed'
  | 'os-error';

const MEANING: Record<DeviceErrorKind, string> = {
  'invalid-parameter': 'the driver rejected a parameter',
  'buffer-too-small': 'a buffer was smaller than the driver requires',
  busy: 'this handle already holds an allocation',
  'nothing-allocated': 'nothing is allocated',
  'no-resources': 'the driver could not get the memory (its cap is reached or the system is low)',
  'unknown-request': 'the driver does not know this request',
  'not-installed': 'the SharedMemory driver is not installed or not running',
  'access-denied': 'access to the device was denied',
  'handle-closed': 'the device handle is closed',
  'os-error': 'the operating system reported an error',
};

/**
 * A failed device call: which operation, the OS's own name and number for the
 * error (errno on Linux, Win32 error on Windows), and what the user can do.
 */
export class DeviceError extends Error {
  readonly operation: DeviceOperation;
  readonly kind: DeviceErrorKind;
  readonly osName: string;
  readonly osCode: number;
  readonly hint: string;

  constructor(options: {
    operation: DeviceOperation;
    kind: DeviceErrorKind;
    osName: string;
    osCode: number;
    hint?: string;
  }) {
    const hint = options.hint ?? '';
    super(
      `${options.operation} failed: ${MEANING[options.kind]} (${options.osName}, ${options.osCode})` +
        (hint ? `. ${hint}` : ''),
    );
    this.name = 'DeviceError';
    this.operation = options.operation;
    this.kind = options.kind;
    this.osName = options.osName;
    this.osCode = options.osCode;
    this.hint = hint;
  }
}
