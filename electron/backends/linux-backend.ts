// The real Linux device: /dev/sharedmemory, a misc device from driver/linux/.
// ALLOCATE asks the module for pages, then this process maps them with mmap
// on the same fd (CONTRACT.md section 1). Reads copy out of the mapping and
// writes go through it; the copy path is pread.
import {
  LINUX_IOCTL,
  SHM_INSPECT_MAX,
  SHM_LINUX_DEVICE_PATH,
  STRUCT_SIZE,
} from '../../api/device.js';
import { decodeStreamGeometry, encodeStreamStart } from '../stream/stream-start-struct.js';
import { getU64 } from '../stream/u64-field.js';
import {
  DeviceError,
  type Allocation,
  type DeviceBackend,
  type DeviceHandle,
  type DeviceInfo,
  type DeviceOperation,
  type StreamChannel,
} from './device-backend.js';
import { errnoError } from './linux-errors.js';
import { nativeRingAccess } from './native-ring-access.js';
import {
  loadLibc,
  MAP_FAILED,
  MAP_SHARED,
  O_CLOEXEC,
  O_RDWR,
  PROT_READ,
  PROT_WRITE,
  type Libc,
} from './linux-libc.js';

const EINVAL = 22;

/** A check the app makes before touching native memory (a bad offset there would crash it). */
function invalid(operation: DeviceOperation, why: string): DeviceError {
  return new DeviceError({
    operation,
    kind: 'invalid-parameter',
    osName: 'EINVAL',
    osCode: EINVAL,
    hint: why,
  });
}

function handleClosed(operation: DeviceOperation): DeviceError {
  return new DeviceError({ operation, kind: 'handle-closed', osName: 'EBADF', osCode: 9 });
}

function checkU16Range(
  operation: DeviceOperation,
  byteOffset: number,
  count: number,
  limit: number,
): void {
  if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset % 2 !== 0)
    throw invalid(operation, `offset ${byteOffset} must be an even, non-negative integer`);
  if (!Number.isSafeInteger(count) || count < 1)
    throw invalid(operation, `count ${count} must be a positive integer`);
  if (byteOffset + 2 * count > limit)
    throw invalid(operation, `bytes ${byteOffset}..${byteOffset + 2 * count} pass the end (${limit})`);
}

function decodeInfo(view: DataView): DeviceInfo {
  return {
    abiVersion: view.getUint32(0, true),
    driverVersion: view.getUint32(4, true),
    // u64 fields without BigInt: QUERY runs often and sizes stay below 2^53.
    pageSize: getU64(view, 8),
    maxSize: getU64(view, 16),
    totalBytes: getU64(view, 24),
    allocations: view.getUint32(32, true),
    features: view.getUint32(36, true),
  };
}

interface Mapping {
  address: bigint;
  requestedSize: number;
  mappedSize: number;
}

class LinuxDeviceHandle implements DeviceHandle {
  private fd: number;
  private mapping: Mapping | null = null;
  // QUERY's struct, reused: the control path is the app's hottest call.
  private readonly queryBuffer = new Uint8Array(STRUCT_SIZE.deviceInfo);
  private readonly queryView = new DataView(this.queryBuffer.buffer);

  constructor(
    private readonly libc: Libc,
    fd: number,
  ) {
    this.fd = fd;
  }

  private liveFd(operation: DeviceOperation): number {
    if (this.fd < 0) throw handleClosed(operation);
    return this.fd;
  }

  private ioctl(operation: DeviceOperation, request: number, arg?: Uint8Array): void {
    const fd = this.liveFd(operation);
    const rc = arg ? this.libc.ioctlBuffer(fd, request, arg) : this.libc.ioctlNone(fd, request);
    if (rc < 0) throw errnoError(operation, this.libc.errno());
  }

  private liveMapping(operation: DeviceOperation): Mapping {
    this.liveFd(operation);
    if (!this.mapping)
      throw new DeviceError({
        operation,
        kind: 'nothing-allocated',
        osName: 'ENODATA',
        osCode: 61,
        hint: 'Allocate memory first',
      });
    return this.mapping;
  }

  // The hot path is the ioctl and the decode; a closed handle (fd -1, which
  // the kernel refuses with EBADF) is told apart only once the call failed.
  query(): DeviceInfo {
    if (this.libc.ioctlBuffer(this.fd, LINUX_IOCTL.QUERY, this.queryBuffer) < 0)
      throw this.queryFailure(this.libc.errno());
    return decodeInfo(this.queryView);
  }

  private queryFailure(errno: number): DeviceError {
    return this.fd < 0 ? handleClosed('query') : errnoError('query', errno);
  }

  allocate(size: number): Allocation {
    if (!Number.isSafeInteger(size) || size < 1)
      throw invalid('allocate', `size ${size} must be a positive integer`);
    const arg = new Uint8Array(STRUCT_SIZE.allocate);
    const view = new DataView(arg.buffer);
    view.setBigUint64(0, BigInt(size), true);
    this.ioctl('allocate', LINUX_IOCTL.ALLOCATE, arg);
    const mappedSize = Number(view.getBigUint64(16, true));

    const fd = this.liveFd('map');
    const address = this.libc.mmap(mappedSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (address === MAP_FAILED) {
      const error = errnoError('map', this.libc.errno());
      // Give the pages back: an allocation this process cannot see is no use.
      this.libc.ioctlNone(fd, LINUX_IOCTL.RELEASE);
      throw error;
    }
    this.mapping = { address, requestedSize: size, mappedSize };
    return { userAddress: address, requestedSize: size, mappedSize };
  }

  readValues(byteOffset: number, count: number): Uint16Array {
    const mapping = this.liveMapping('read');
    checkU16Range('read', byteOffset, count, mapping.mappedSize);
    return this.libc.readU16(mapping.address, byteOffset, count);
  }

  writeValues(byteOffset: number, values: ArrayLike<number>): void {
    const mapping = this.liveMapping('write');
    const list = Array.from(values);
    checkU16Range('write', byteOffset, list.length, mapping.mappedSize);
    for (const v of list)
      if (!Number.isInteger(v) || v < 0 || v > 0xffff)
        throw invalid('write', `value ${v} is not a u16`);
    this.libc.writeU16(mapping.address, byteOffset, list);
  }

  inspect(byteOffset: number, count: number): Uint16Array {
    // The driver validates these itself; only keep count inside the struct.
    if (!Number.isSafeInteger(count) || count < 0 || count > SHM_INSPECT_MAX)
      throw invalid('inspect', `count ${count} must be 1..${SHM_INSPECT_MAX}`);
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0)
      throw invalid('inspect', `offset ${byteOffset} must be a non-negative integer`);
    const arg = new Uint8Array(STRUCT_SIZE.inspect);
    const view = new DataView(arg.buffer);
    view.setBigUint64(0, BigInt(byteOffset), true);
    view.setUint32(8, count, true);
    this.ioctl('inspect', LINUX_IOCTL.INSPECT, arg);
    const values = new Uint16Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getUint16(16 + 2 * i, true);
    return values;
  }

  readCopy(byteOffset: number, length: number): Uint8Array {
    const fd = this.liveFd('read-copy');
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0)
      throw invalid('read-copy', `offset ${byteOffset} must be a non-negative integer`);
    if (!Number.isSafeInteger(length) || length < 0)
      throw invalid('read-copy', `length ${length} must be a non-negative integer`);
    const into = new Uint8Array(length);
    const n = this.libc.pread(fd, into, byteOffset);
    if (n < 0) throw errnoError('read-copy', this.libc.errno());
    return into.subarray(0, n);
  }

  startStream(rateHz: number, batch: number): StreamChannel {
    // The module decides (parameters before state), so ask it first.
    // Linux wakes the consumer through poll on the fd: event_handle stays 0.
    const arg = encodeStreamStart(rateHz, batch);
    this.ioctl('stream-start', LINUX_IOCTL.STREAM_START, arg);
    const mapping = this.liveMapping('stream-start');
    const geometry = decodeStreamGeometry(arg);
    const fd = this.fd;
    return {
      ring: nativeRingAccess(this.libc, mapping.address, mapping.mappedSize, geometry),
      // POLLIN while head != tail, POLLHUP once no stream runs: either way the consumer looks.
      wait: (timeoutMs) => this.libc.pollAsync(fd, timeoutMs),
      close: () => undefined,
    };
  }

  stopStream(): void {
    this.ioctl('stream-stop', LINUX_IOCTL.STREAM_STOP);
  }

  private unmap(operation: DeviceOperation): void {
    if (!this.mapping) return;
    const { address, mappedSize } = this.mapping;
    this.mapping = null;
    if (this.libc.munmap(address, mappedSize) < 0) throw errnoError(operation, this.libc.errno());
  }

  release(): void {
    this.liveFd('release');
    // Unmap first: the module keeps mapped pages alive until the last munmap.
    this.unmap('release');
    this.ioctl('release', LINUX_IOCTL.RELEASE);
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    let unmapError: DeviceError | null = null;
    try {
      this.unmap('close');
    } catch (error) {
      // Still close the fd: the module frees the pages with the last reference.
      unmapError = error instanceof DeviceError ? error : errnoError('close', EINVAL);
    }
    this.fd = -1;
    if (this.libc.close(fd) < 0) throw errnoError('close', this.libc.errno());
    if (unmapError) throw unmapError;
  }
}

export interface LinuxBackendOptions {
  /** The device node; tests may point elsewhere. */
  devicePath?: string;
}

export function createLinuxBackend(options: LinuxBackendOptions = {}): DeviceBackend {
  const devicePath = options.devicePath ?? SHM_LINUX_DEVICE_PATH;
  return {
    kind: 'linux',
    open(): DeviceHandle {
      let libc: Libc;
      try {
        libc = loadLibc();
      } catch (cause) {
        throw new DeviceError({
          operation: 'open',
          kind: 'not-installed',
          osName: 'ENOSYS',
          osCode: 38,
          hint: `libc could not be loaded: ${cause instanceof Error ? cause.message : String(cause)}`,
        });
      }
      const fd = libc.open(devicePath, O_RDWR | O_CLOEXEC);
      if (fd < 0) throw errnoError('open', libc.errno());
      return new LinuxDeviceHandle(libc, fd);
    },
  };
}
