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
  /** QUERY's feature bits (SHM_FEATURE_STREAM); 0 from a 1.0 driver. */
  features: number;
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
  /**
   * SHM_IOCTL_STREAM_START on this handle's allocation (CONTRACT.md 5): the
   * driver writes the ring header over the first page and starts producing.
   * Returns the ring, read in place, and the way to wait for records.
   */
  startStream(rateHz: number, batch: number): StreamChannel;
  /** SHM_IOCTL_STREAM_STOP: synchronous; unread records stay readable. */
  stopStream(): void;
  /** Closes the handle; the driver frees whatever it still holds. Idempotent. */
  close(): void;
}

/** The ring of a running stream, as the consumer sees it in the mapping. */
export interface RingAccess {
  /** Records the ring holds (a power of two). */
  readonly capacity: number;
  /** Byte offset of record 0 (the page size). */
  readonly dataOffset: number;
  /** The most records one records() call returns (a copy buffer may be smaller than the ring). */
  readonly maxRecordsPerRead: number;
  /** `head`, read with load-acquire semantics: records below it are complete. */
  loadHead(): number;
  /** The driver's `dropped`. */
  loadDropped(): number;
  /** The driver's `state` (SHM_RING_RUNNING, _STOPPED, _FAULTED). */
  loadState(): number;
  /** Publishes `tail` with store-release semantics, after the records were read. */
  storeTail(tail: number): void;
  /** `count` records from ring slot `slot` (no wrap), as little-endian bytes. */
  records(slot: number, count: number): DataView;
}

/** What STREAM_START hands the consumer. */
export interface StreamChannel {
  readonly ring: RingAccess;
  /**
   * Resolves when the driver may have written records or stopped (poll's
   * POLLIN/POLLHUP on Linux, the auto-reset event on Windows), or after
   * `timeoutMs`. Never blocks the event loop.
   */
  wait(timeoutMs: number): Promise<void>;
  /** Lets go of what the channel holds (the Windows event). Call after the stream ended. */
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
  | 'stream-start'
  | 'stream-stop'
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
  | 'would-block'
  | 'stream-faulted'
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
  'would-block': 'no record is waiting yet',
  'stream-faulted': 'the stream is faulted: its ring held an impossible tail',
  'os-error': 'the operating system reported an error',
};

/** Where a stream call's failure means something more precise than the general table. */
const STREAM_MEANING: Partial<Record<DeviceOperation, Partial<Record<DeviceErrorKind, string>>>> = {
  'stream-start': {
    'invalid-parameter':
      'the driver refused the rate or batch, or the allocation is a single page (streaming needs two)',
    busy: 'a stream already exists on this allocation',
    'nothing-allocated': 'nothing is allocated',
    'handle-closed': 'the wake-up event was not an event this process may signal, or the handle is closed',
    'access-denied': 'the handle may not stream, or the wake-up event may not be signalled',
    'unknown-request': 'the driver does not know STREAM_START (it is older than 1.1)',
  },
  'stream-stop': {
    'nothing-allocated': 'no stream was started on this allocation',
    'unknown-request': 'the driver does not stream (it is older than 1.1)',
  },
};

/** What to do after a refused stream call; it replaces the general hint, which speaks of allocations. */
const STREAM_HINT: Partial<Record<DeviceOperation, Partial<Record<DeviceErrorKind, string>>>> = {
  'stream-start': {
    'invalid-parameter': `Choose a rate of 1 to 100000000 records/s, and allocate at least two pages`,
    busy: 'Stop the running stream first (Stop stream), or release the memory',
    'nothing-allocated': 'Allocate memory (at least two pages) first',
    'handle-closed': 'Restart the app to get a new device handle and event',
    'access-denied': 'Open the device for reading and writing (run the app as a member of the device\'s group or as administrator)',
    'unknown-request': 'Install the driver that ships with this app (1.1 or later)',
  },
  'stream-stop': {
    'nothing-allocated': 'Start stream first; nothing was changed',
    'unknown-request': 'Install the driver that ships with this app (1.1 or later)',
  },
};

const meaningOf = (operation: DeviceOperation, kind: DeviceErrorKind): string =>
  STREAM_MEANING[operation]?.[kind] ?? MEANING[kind];

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
    const hint = STREAM_HINT[options.operation]?.[options.kind] ?? options.hint ?? '';
    super(
      `${options.operation} failed: ${meaningOf(options.operation, options.kind)} (${options.osName}, ${options.osCode})` +
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
