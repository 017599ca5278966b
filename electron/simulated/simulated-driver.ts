// A model of the SharedMemory kernel driver (CONTRACT.md section 3), so the
// app runs and its tests run on machines without the kernel driver.
//
// It models the driver at the same level the real backends talk to it: raw
// control codes with byte buffers laid out like the header's structs, mmap
// on Linux, the copy path (read / ReadFile). One SimulatedDriver is the
// driver (global totals and caps); each open() is one handle with at most one
// allocation. Failures are DeviceErrors carrying the OS error a real driver
// would produce, in the flavour chosen: Linux errno or Win32 error.
import {
  LINUX_IOCTL,
  SEED_VALUES,
  SHM_ABI_VERSION,
  SHM_DEFAULT_MAX_SIZE,
  SHM_DEFAULT_TOTAL_CAP,
  SHM_DRIVER_VERSION,
  SHM_FEATURE_STREAM,
  SHM_INSPECT_MAX,
  STREAM_START_OFFSET,
  STRUCT_SIZE,
  WINDOWS_IOCTL,
  type IoctlName,
} from '../../api/device.js';
import { streamParameterProblem } from '../../api/stream-signal.js';
import { DeviceError, type DeviceErrorKind, type DeviceOperation } from '../backends/device-backend.js';
import { errnoError } from '../backends/linux-errors.js';
import { WIN32_ERROR, win32Error } from '../backends/windows-errors.js';
import {
  intervalScheduler,
  monotonicNs,
  SimulatedStream,
  type NanosecondClock,
  type TickScheduler,
} from './simulated-stream.js';

export type OsFlavour = 'linux' | 'windows';

/** What a handle was opened for (O_RDWR / O_RDONLY / O_WRONLY, GENERIC_READ | GENERIC_WRITE ...). */
export type HandleAccess = 'read-write' | 'read-only' | 'write-only';

/**
 * The control codes a handle must be open for both reading and writing to
 * use; on any other handle they fail before any other check (CONTRACT.md
 * section 3, 2026-11-29): EBADF on Linux, ERROR_ACCESS_DENIED on Windows.
 */
export const NEEDS_READ_WRITE: ReadonlySet<IoctlName> = new Set(['ALLOCATE', 'RELEASE', 'STREAM_START', 'STREAM_STOP']);

export const SIMULATED_PAGE_SIZE = 4096;

/** The OS error each row of the contract's error table produces, per flavour. */
type ErrorRow =
  | 'invalid-parameter'
  | 'buffer-too-small'
  | 'busy'
  | 'nothing-allocated'
  | 'no-resources'
  | 'unknown-request'
  | 'end-of-file'
  | 'handle-closed'
  | 'would-block'
  | 'stream-faulted'
  | 'access-denied';

/** A Win32 error by name, its number from the Windows backend's table. */
const win32 = (name: keyof typeof WIN32_ERROR): { name: string; code: number } => ({ name, code: WIN32_ERROR[name] });

const OS_ERRORS: Record<OsFlavour, Record<ErrorRow, { name: string; code: number }>> = {
  linux: {
    'invalid-parameter': { name: 'EINVAL', code: 22 },
    'buffer-too-small': { name: 'EFAULT', code: 14 },
    busy: { name: 'EBUSY', code: 16 },
    'nothing-allocated': { name: 'ENODATA', code: 61 },
    'no-resources': { name: 'ENOMEM', code: 12 },
    'unknown-request': { name: 'ENOTTY', code: 25 },
    // Linux reports end of file as a short read, never as an error.
    'end-of-file': { name: 'EINVAL', code: 22 },
    'handle-closed': { name: 'EBADF', code: 9 },
    'would-block': { name: 'EAGAIN', code: 11 },
    'stream-faulted': { name: 'EIO', code: 5 },
    // As write() on a read-only fd.
    'access-denied': { name: 'EBADF', code: 9 },
  },
  windows: {
    'invalid-parameter': win32('ERROR_INVALID_PARAMETER'),
    'buffer-too-small': win32('ERROR_INSUFFICIENT_BUFFER'),
    busy: win32('ERROR_BUSY'),
    'nothing-allocated': win32('ERROR_BAD_COMMAND'),
    'no-resources': win32('ERROR_NO_SYSTEM_RESOURCES'),
    'unknown-request': win32('ERROR_INVALID_FUNCTION'),
    'end-of-file': win32('ERROR_HANDLE_EOF'),
    'handle-closed': win32('ERROR_INVALID_HANDLE'),
    // ReadFile with nothing unread returns 0 bytes on Windows; never an error.
    'would-block': win32('ERROR_HANDLE_EOF'),
    'stream-faulted': win32('ERROR_IO_DEVICE'),
    // The I/O manager checks the control code's access bits against the handle.
    'access-denied': win32('ERROR_ACCESS_DENIED'),
  },
};

const ROW_KIND: Record<ErrorRow, DeviceErrorKind> = {
  'invalid-parameter': 'invalid-parameter',
  'buffer-too-small': 'buffer-too-small',
  busy: 'busy',
  'nothing-allocated': 'nothing-allocated',
  'no-resources': 'no-resources',
  'unknown-request': 'unknown-request',
  'end-of-file': 'os-error',
  'handle-closed': 'handle-closed',
  'would-block': 'would-block',
  'stream-faulted': 'stream-faulted',
  'access-denied': 'access-denied',
};

/** The error a real driver of this flavour gives, with the real backends' hints. */
export function simulatedError(
  flavour: OsFlavour,
  operation: DeviceOperation,
  row: ErrorRow,
): DeviceError {
  const { name, code } = OS_ERRORS[flavour][row];
  const kind = ROW_KIND[row];
  // Same number through the real backend's mapping, so hints are identical.
  const real = flavour === 'linux' ? errnoError(operation, code) : win32Error(operation, code);
  return new DeviceError({
    operation,
    kind,
    osName: name,
    osCode: code,
    hint: real.kind === kind && real.hint ? real.hint : undefined,
  });
}

/** Pages of one allocation; they outlive their handle while a Linux mapping holds them. */
interface Pages {
  readonly memory: Uint8Array;
  readonly requestedSize: number;
  /** Live user mappings (Linux mmap) of these pages. */
  mappings: number;
  /** The handle still owns them (not yet RELEASEd or closed). */
  owned: boolean;
}

export interface SimulatedDriverOptions {
  flavour: OsFlavour;
  /** Largest ALLOCATE accepted (default 64 MiB, as the drivers). */
  maxSize?: number;
  /** Cap on all allocations together (default 256 MiB). */
  totalCap?: number;
  /** The stream producer's clock (default: process.hrtime, the app's clock). */
  clock?: NanosecondClock;
  /** Runs the stream producer's ticks (default: setInterval). */
  scheduler?: TickScheduler;
}

export class SimulatedDriver {
  readonly flavour: OsFlavour;
  readonly maxSize: number;
  readonly totalCap: number;
  readonly clock: NanosecondClock;
  readonly scheduler: TickScheduler;
  private totalBytes = 0;
  /** Windows: the event handles this simulated process created (CreateEventW). */
  private readonly events = new Map<bigint, { signalled: number }>();
  private nextEvent = 0x1f4n;
  private liveAllocations = 0;
  private nextHandleId = 1;
  /** The simulated process's address space: user address -> mapped pages. */
  private readonly addressSpace = new Map<bigint, Pages>();

  constructor(options: SimulatedDriverOptions) {
    this.flavour = options.flavour;
    this.maxSize = options.maxSize ?? SHM_DEFAULT_MAX_SIZE;
    this.totalCap = options.totalCap ?? SHM_DEFAULT_TOTAL_CAP;
    this.clock = options.clock ?? monotonicNs;
    this.scheduler = options.scheduler ?? intervalScheduler;
  }

  /** Windows: an auto-reset event of this process, for STREAM_START's event_handle. */
  createEvent(): bigint {
    const handle = this.nextEvent;
    this.nextEvent += 4n;
    this.events.set(handle, { signalled: 0 });
    return handle;
  }

  /** Windows CloseHandle on an event. */
  closeEvent(handle: bigint): void {
    this.events.delete(handle);
  }

  /** How often the driver set this event (tests). */
  eventSignals(handle: bigint): number {
    return this.events.get(handle)?.signalled ?? 0;
  }

  /** @internal The event object a handle names, if it is one. */
  event(handle: bigint): { signalled: number } | null {
    return this.events.get(handle) ?? null;
  }

  /** Opens a handle (CreateFile / open), for reading and writing unless told otherwise. */
  open(access: HandleAccess = 'read-write'): SimulatedFile {
    return new SimulatedFile(this, this.nextHandleId++, access);
  }

  get totals(): { totalBytes: number; allocations: number } {
    return { totalBytes: this.totalBytes, allocations: this.liveAllocations };
  }

  /** The bytes mapped at a user address, as the process would see them; null if unmapped. */
  mappedMemory(address: bigint): Uint8Array | null {
    return this.addressSpace.get(address)?.memory ?? null;
  }

  /** @internal Reserves and builds an allocation, or returns the row that refuses it. */
  createPages(size: number): Pages | 'no-resources' {
    const rounded = Math.ceil(size / SIMULATED_PAGE_SIZE) * SIMULATED_PAGE_SIZE;
    if (this.totalBytes + rounded > this.totalCap) return 'no-resources';
    let memory: Uint8Array;
    try {
      memory = new Uint8Array(rounded); // zero-filled, as the kernels' pages
    } catch {
      return 'no-resources'; // the host could not find the memory
    }
    const view = new DataView(memory.buffer);
    SEED_VALUES.forEach((value, i) => view.setUint16(2 * i, value, true));
    this.totalBytes += rounded;
    this.liveAllocations += 1;
    return { memory, requestedSize: size, mappings: 0, owned: true };
  }

  /** @internal Frees pages once neither a handle nor a mapping refers to them. */
  dropIfUnused(pages: Pages): void {
    if (pages.owned || pages.mappings > 0) return;
    this.totalBytes -= pages.memory.byteLength;
    this.liveAllocations -= 1;
  }

  /** @internal */
  mapPages(address: bigint, pages: Pages): void {
    this.addressSpace.set(address, pages);
    pages.mappings += 1;
  }

  /** @internal */
  unmapPages(address: bigint): Pages | null {
    const pages = this.addressSpace.get(address);
    if (!pages) return null;
    this.addressSpace.delete(address);
    pages.mappings -= 1;
    return pages;
  }

  /** @internal The QUERY answer. */
  deviceInfoBytes(): Uint8Array {
    const bytes = new Uint8Array(STRUCT_SIZE.deviceInfo);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, SHM_ABI_VERSION, true);
    view.setUint32(4, SHM_DRIVER_VERSION, true);
    view.setBigUint64(8, BigInt(SIMULATED_PAGE_SIZE), true);
    view.setBigUint64(16, BigInt(this.maxSize), true);
    view.setBigUint64(24, BigInt(this.totalBytes), true);
    view.setUint32(32, this.liveAllocations, true);
    view.setUint32(36, SHM_FEATURE_STREAM, true);
    return bytes;
  }
}

// Stable, plausible user addresses: Windows user space low in the 47-bit
// range, the Linux mmap area high in it. Each handle gets a 64 GiB window and
// each of its mappings a 256 MiB slot in it, so live mappings never collide.
const ADDRESS_BASE: Record<OsFlavour, bigint> = {
  windows: 0x0000_01f0_0000_0000n,
  linux: 0x0000_7a00_0000_0000n,
};
const HANDLE_STRIDE = 0x10_0000_0000n;
const MAPPING_STRIDE = 0x1000_0000n;

/** One open handle on the simulated device. */
export class SimulatedFile {
  private pages: Pages | null = null;
  /** Windows: where ALLOCATE mapped this handle's pages. */
  private mappedAt: bigint | null = null;
  /** Linux: live mmap()s of this handle; they may outlive RELEASE and close. */
  private readonly mmaps = new Set<bigint>();
  private closed = false;
  /** The stream of this allocation, from STREAM_START until RELEASE. */
  private streamState: SimulatedStream | null = null;
  private readonly codes: Readonly<Record<IoctlName, number>>;
  readonly userAddress: bigint;

  constructor(
    private readonly driver: SimulatedDriver,
    readonly id: number,
    readonly access: HandleAccess,
  ) {
    this.codes = driver.flavour === 'linux' ? LINUX_IOCTL : WINDOWS_IOCTL;
    this.userAddress = ADDRESS_BASE[driver.flavour] + BigInt(id) * HANDLE_STRIDE;
  }

  private fail(operation: DeviceOperation, row: ErrorRow): never {
    throw simulatedError(this.driver.flavour, operation, row);
  }

  /**
   * DeviceIoControl / ioctl. `input` is what the caller passes in, `output`
   * the buffer the driver fills (on Linux pass the same buffer twice: the
   * ioctl argument is read and written in place). Returns the bytes written.
   * Checks run in the contract's order: the handle's access, buffer sizes,
   * parameters, state.
   */
  ioctl(code: number, input: Uint8Array | null, output: Uint8Array | null): number {
    const name = (Object.keys(this.codes) as IoctlName[]).find((n) => this.codes[n] === code >>> 0);
    const operation: DeviceOperation = name ? (name.toLowerCase().replace('_', '-') as DeviceOperation) : 'query';
    if (this.closed) this.fail(operation, 'handle-closed');
    if (!name) this.fail(operation, 'unknown-request');
    if (NEEDS_READ_WRITE.has(name) && this.access !== 'read-write') this.fail(operation, 'access-denied');
    const inLength = input?.byteLength ?? 0;
    const outLength = output?.byteLength ?? 0;
    switch (name) {
      case 'QUERY': {
        if (!output || outLength < STRUCT_SIZE.deviceInfo) this.fail('query', 'buffer-too-small');
        output.set(this.driver.deviceInfoBytes());
        return STRUCT_SIZE.deviceInfo;
      }
      case 'ALLOCATE': {
        if (!input || !output || inLength < STRUCT_SIZE.allocate || outLength < STRUCT_SIZE.allocate) {
          this.fail('allocate', 'buffer-too-small');
        }
        const size = new DataView(input.buffer, input.byteOffset, inLength).getBigUint64(0, true);
        if (size === 0n || size > BigInt(this.driver.maxSize)) this.fail('allocate', 'invalid-parameter');
        if (this.pages) this.fail('allocate', 'busy');
        const pages = this.driver.createPages(Number(size));
        if (pages === 'no-resources') this.fail('allocate', 'no-resources');
        this.pages = pages;
        let userAddress = 0n;
        if (this.driver.flavour === 'windows') {
          // The Windows driver maps the pages into the caller during ALLOCATE.
          this.driver.mapPages(this.userAddress, pages);
          this.mappedAt = this.userAddress;
          userAddress = this.userAddress;
        }
        const view = new DataView(output.buffer, output.byteOffset, outLength);
        view.setBigUint64(0, size, true);
        view.setBigUint64(8, userAddress, true);
        view.setBigUint64(16, BigInt(pages.memory.byteLength), true);
        return STRUCT_SIZE.allocate;
      }
      case 'RELEASE': {
        if (!this.pages) this.fail('release', 'nothing-allocated');
        this.releasePages();
        return 0;
      }
      case 'INSPECT': {
        if (!input || !output || inLength < STRUCT_SIZE.inspect || outLength < STRUCT_SIZE.inspect) {
          this.fail('inspect', 'buffer-too-small');
        }
        const request = new DataView(input.buffer, input.byteOffset, inLength);
        const offset = request.getBigUint64(0, true);
        const count = request.getUint32(8, true);
        // reserved must be zero, so it can carry meaning later without a new ABI.
        const reserved = request.getUint32(12, true);
        if (count === 0 || count > SHM_INSPECT_MAX || offset % 2n !== 0n || reserved !== 0) {
          this.fail('inspect', 'invalid-parameter');
        }
        if (!this.pages) this.fail('inspect', 'nothing-allocated');
        const memory = this.pages.memory;
        if (offset + BigInt(2 * count) > BigInt(memory.byteLength)) this.fail('inspect', 'invalid-parameter');
        // Read through the driver's own view of the pages (its kernel mapping).
        const source = new DataView(memory.buffer, Number(offset), 2 * count);
        const reply = new DataView(output.buffer, output.byteOffset, outLength);
        reply.setBigUint64(0, offset, true);
        reply.setUint32(8, count, true);
        reply.setUint32(12, 0, true);
        for (let i = 0; i < count; i++) reply.setUint16(16 + 2 * i, source.getUint16(2 * i, true), true);
        return STRUCT_SIZE.inspect;
      }
      case 'STREAM_START':
        return this.streamStart(input, output);
      case 'STREAM_STOP': {
        if (!this.pages || !this.streamState) this.fail('stream-stop', 'nothing-allocated');
        this.streamState.stop();
        return 0;
      }
    }
  }

  /** The stream of this handle's allocation, if one was started (tests and the backend's consumer). */
  get stream(): SimulatedStream | null {
    return this.streamState;
  }

  private streamStart(input: Uint8Array | null, output: Uint8Array | null): number {
    const size = STRUCT_SIZE.streamStart;
    if (!input || !output || input.byteLength < size || output.byteLength < size) {
      this.fail('stream-start', 'buffer-too-small');
    }
    const request = new DataView(input.buffer, input.byteOffset, input.byteLength);
    const rateHz = request.getUint32(STREAM_START_OFFSET.rateHz, true);
    const batch = request.getUint32(STREAM_START_OFFSET.batch, true);
    const eventHandle = request.getBigUint64(STREAM_START_OFFSET.eventHandle, true);
    if (streamParameterProblem(rateHz, batch)) this.fail('stream-start', 'invalid-parameter');
    let event: { signalled: number } | null = null;
    if (this.driver.flavour === 'linux') {
      if (eventHandle !== 0n) this.fail('stream-start', 'invalid-parameter');
    } else if (eventHandle !== 0n) {
      // ObReferenceObjectByHandle(..., UserMode, ...) fails for anything but this process's event.
      event = this.driver.event(eventHandle);
      if (!event) this.fail('stream-start', 'handle-closed');
    }
    if (!this.pages) this.fail('stream-start', 'nothing-allocated');
    if (this.streamState) this.fail('stream-start', 'busy');
    if (this.pages.memory.byteLength < 2 * SIMULATED_PAGE_SIZE) this.fail('stream-start', 'invalid-parameter');
    const stream = new SimulatedStream(
      this.pages.memory,
      { rateHz, batch, pageSize: SIMULATED_PAGE_SIZE },
      this.driver.clock,
      this.driver.scheduler,
      () => {
        if (event) event.signalled += 1;
      },
    );
    this.streamState = stream;
    const reply = new DataView(output.buffer, output.byteOffset, output.byteLength);
    if (output !== input) reply.setUint32(STREAM_START_OFFSET.rateHz, rateHz, true);
    reply.setUint32(STREAM_START_OFFSET.capacity, stream.capacity, true);
    reply.setUint32(STREAM_START_OFFSET.recordSize, STRUCT_SIZE.record, true);
    reply.setBigUint64(STREAM_START_OFFSET.dataOffset, BigInt(stream.dataOffset), true);
    return size;
  }

  /** Stops and forgets the stream before its pages go (RELEASE, close). */
  private endStream(): void {
    this.streamState?.stop();
    this.streamState = null;
  }

  /**
   * Linux mmap(NULL, length, PROT_READ|PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, offset).
   * Windows has no mmap on this device; calling it there is a programming error.
   */
  mmap(length: number, offset: number, shared: boolean): bigint {
    if (this.driver.flavour !== 'linux') throw new Error('mmap is the Linux flavour only');
    if (this.closed) this.fail('map', 'handle-closed');
    const pages = this.pages;
    if (!pages || !shared || offset !== 0 || length <= 0 || length > pages.memory.byteLength) {
      this.fail('map', 'invalid-parameter');
    }
    // The lowest free slot, so a process that unmaps and maps again gets the same address.
    let address = this.userAddress;
    while (this.mmaps.has(address)) address += MAPPING_STRIDE;
    this.driver.mapPages(address, pages);
    this.mmaps.add(address);
    return address;
  }

  /** Linux munmap; pages no handle owns any more are freed with their last mapping. */
  munmap(address: bigint): void {
    if (!this.mmaps.delete(address)) return;
    const pages = this.driver.unmapPages(address);
    if (pages) this.driver.dropIfUnused(pages);
  }

  /** The copy path: pread on Linux, ReadFile with a byte offset on Windows. */
  read(byteOffset: number, length: number): Uint8Array {
    if (this.closed) this.fail('read-copy', 'handle-closed');
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || !Number.isSafeInteger(length) || length < 0) {
      this.fail('read-copy', 'invalid-parameter');
    }
    if (!this.pages) this.fail('read-copy', 'nothing-allocated');
    if (this.streamState) return this.readRecords(length);
    const memory = this.pages.memory;
    if (byteOffset >= memory.byteLength) {
      if (this.driver.flavour === 'windows') this.fail('read-copy', 'end-of-file');
      return new Uint8Array(0);
    }
    return memory.slice(byteOffset, Math.min(memory.byteLength, byteOffset + length));
  }

  /**
   * The copy path while a stream exists: whole records from tail, the offset
   * ignored. This model never blocks: with nothing unread while the stream
   * runs, Linux answers as O_NONBLOCK does (EAGAIN) and Windows with 0 bytes.
   */
  private readRecords(length: number): Uint8Array {
    const stream = this.streamState;
    if (!stream) return new Uint8Array(0);
    if (length < STRUCT_SIZE.record) this.fail('read-copy', 'invalid-parameter');
    if (stream.faulted) this.fail('read-copy', 'stream-faulted');
    const records = stream.consume(Math.floor(length / STRUCT_SIZE.record));
    if (records) return records;
    if (stream.running && this.driver.flavour === 'linux') this.fail('read-copy', 'would-block');
    return new Uint8Array(0);
  }

  /** CloseHandle / close: frees what the handle holds (a Linux mapping keeps its pages). */
  close(): void {
    if (this.closed) return;
    if (this.pages) this.releasePages();
    this.closed = true;
  }

  private releasePages(): void {
    const pages = this.pages;
    if (!pages) return;
    // The producer stops before any page goes: no tick touches freed pages.
    this.endStream();
    // Windows unmaps the caller's view in RELEASE; a Linux mapping stays
    // until munmap and keeps the pages (and QUERY's counts) alive.
    if (this.driver.flavour === 'windows' && this.mappedAt !== null) {
      this.driver.unmapPages(this.mappedAt);
      this.mappedAt = null;
    }
    pages.owned = false;
    this.pages = null;
    this.driver.dropIfUnused(pages);
  }
}
