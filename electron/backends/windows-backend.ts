// The Windows backend: the SharedMemory WDM driver through kernel32.dll.
//
// As in the 2010 article, ALLOCATE both allocates and maps: the driver maps
// the pages into this process and returns the address. The app then reads
// and writes that memory directly (by copying through koffi, never through
// an ArrayBuffer view: Electron's memory cage forbids external buffers).
import { SHM_INSPECT_MAX, SHM_WIN_USER_PATH, STRUCT_SIZE, WINDOWS_IOCTL } from '../../api/device.js';
import {
  DeviceError,
  type Allocation,
  type DeviceBackend,
  type DeviceHandle,
  type DeviceInfo,
  type DeviceOperation,
  type StreamChannel,
} from './device-backend.js';
import { decodeStreamGeometry, encodeStreamStart } from '../stream/stream-start-struct.js';
import { nativeRingAccess } from './native-ring-access.js';
import { WIN32_ERROR, win32Error } from './windows-errors.js';
import {
  decodeAllocate,
  decodeDeviceInfo,
  decodeInspectValues,
  encodeAllocate,
  encodeInspect,
} from './windows-ioctl-structs.js';
import { GENERIC_READ, GENERIC_WRITE, loadKernel32, type Kernel32 } from './windows-kernel32.js';

export interface WindowsBackendOptions {
  /** The kernel32 binding; the real one is loaded on the first open(). */
  kernel32?: () => Kernel32;
  /** The device path (\\.\SharedMemory). */
  devicePath?: string;
}

/** A request the app refuses before it reaches the driver (it would touch memory outside the mapping). */
function rejected(operation: DeviceOperation, why: string): DeviceError {
  return new DeviceError({
    operation,
    kind: 'invalid-parameter',
    osName: 'checked by the app',
    osCode: 0,
    hint: why,
  });
}

class WindowsDeviceHandle implements DeviceHandle {
  private handle: bigint | null;
  private allocation: Allocation | null = null;

  constructor(
    private readonly k32: Kernel32,
    handle: bigint,
  ) {
    this.handle = handle;
  }

  private open(operation: DeviceOperation): bigint {
    if (this.handle === null) {
      throw new DeviceError({
        operation,
        kind: 'handle-closed',
        osName: 'ERROR_INVALID_HANDLE',
        osCode: WIN32_ERROR.ERROR_INVALID_HANDLE,
      });
    }
    return this.handle;
  }

  private ioctl(
    operation: DeviceOperation,
    code: number,
    input: Uint8Array | null,
    output: Uint8Array | null,
  ): number {
    const result = this.k32.deviceIoControl(this.open(operation), code, input, output);
    if (!result.ok) throw win32Error(operation, result.error);
    return result.value;
  }

  private mapped(operation: DeviceOperation, byteOffset: number, count: number): Allocation {
    const allocation = this.allocation;
    if (!allocation) {
      throw new DeviceError({
        operation,
        kind: 'nothing-allocated',
        osName: 'no mapping in this process',
        osCode: 0,
        hint: 'Allocate memory first',
      });
    }
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0 || byteOffset % 2 !== 0) {
      throw rejected(operation, `offset ${byteOffset} must be an even, non-negative byte offset`);
    }
    if (!Number.isSafeInteger(count) || count < 1) {
      throw rejected(operation, `count ${count} must be at least 1`);
    }
    if (byteOffset + 2 * count > allocation.mappedSize) {
      throw rejected(
        operation,
        `${count} values at offset ${byteOffset} run past the ${allocation.mappedSize} mapped bytes`,
      );
    }
    return allocation;
  }

  query(): DeviceInfo {
    const out = new Uint8Array(STRUCT_SIZE.deviceInfo);
    this.ioctl('query', WINDOWS_IOCTL.QUERY, null, out);
    return decodeDeviceInfo(out);
  }

  allocate(size: number): Allocation {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw rejected('allocate', `size ${size} must be a whole number of bytes`);
    }
    const buffer = encodeAllocate(size);
    // Input and output share the buffer, as METHOD_BUFFERED does in the kernel.
    this.ioctl('allocate', WINDOWS_IOCTL.ALLOCATE, buffer, buffer);
    const { userAddress, mappedSize } = decodeAllocate(buffer);
    this.allocation = { userAddress, requestedSize: size, mappedSize };
    return this.allocation;
  }

  readValues(byteOffset: number, count: number): Uint16Array {
    this.open('read');
    const { userAddress } = this.mapped('read', byteOffset, count);
    return this.k32.readU16(userAddress, byteOffset, count);
  }

  writeValues(byteOffset: number, values: ArrayLike<number>): void {
    this.open('write');
    const list = Array.from(values);
    const { userAddress } = this.mapped('write', byteOffset, list.length);
    for (const value of list) {
      if (!Number.isInteger(value) || value < 0 || value > 0xffff) {
        throw rejected('write', `${value} is not a u16 value`);
      }
    }
    this.k32.writeU16(userAddress, byteOffset, list);
  }

  inspect(byteOffset: number, count: number): Uint16Array {
    // The driver answers at most SHM_INSPECT_MAX values per call; longer reads
    // are split. Zero and bad offsets go to the driver, which rejects them.
    const values = new Uint16Array(Math.max(count, 0));
    let done = 0;
    do {
      const chunk = Math.min(count - done, SHM_INSPECT_MAX);
      const buffer = encodeInspect(byteOffset + 2 * done, chunk);
      this.ioctl('inspect', WINDOWS_IOCTL.INSPECT, buffer, buffer);
      values.set(decodeInspectValues(buffer, chunk), done);
      done += chunk;
    } while (done < count);
    return values;
  }

  readCopy(byteOffset: number, length: number): Uint8Array {
    if (!Number.isSafeInteger(byteOffset) || byteOffset < 0) {
      throw rejected('read-copy', `offset ${byteOffset} must be a non-negative byte offset`);
    }
    if (!Number.isSafeInteger(length) || length < 0 || length > 0xffff_ffff) {
      throw rejected('read-copy', `length ${length} must fit a DWORD`);
    }
    const into = new Uint8Array(length);
    const result = this.k32.readFile(this.open('read-copy'), into, byteOffset);
    if (!result.ok) {
      // STATUS_END_OF_FILE: at or past the end there is nothing more to copy.
      if (result.error === WIN32_ERROR.ERROR_HANDLE_EOF) return new Uint8Array(0);
      throw win32Error('read-copy', result.error);
    }
    return into.subarray(0, result.value);
  }

  startStream(rateHz: number, batch: number): StreamChannel {
    const handle = this.open('stream-start');
    // The driver sets this auto-reset event after every tick that wrote a record and when the stream stops.
    const event = this.k32.createAutoResetEvent();
    if (!event.ok) throw win32Error('stream-start', event.error);
    const output = new Uint8Array(STRUCT_SIZE.streamStart);
    const result = this.k32.deviceIoControl(handle, WINDOWS_IOCTL.STREAM_START, encodeStreamStart(rateHz, batch, event.value), output);
    if (!result.ok) {
      this.k32.closeHandle(event.value);
      throw win32Error('stream-start', result.error);
    }
    const allocation = this.allocation;
    if (!allocation) {
      this.k32.closeHandle(event.value);
      throw win32Error('stream-start', WIN32_ERROR.ERROR_BAD_COMMAND);
    }
    let closed = false;
    return {
      ring: nativeRingAccess(this.k32, allocation.userAddress, allocation.mappedSize, decodeStreamGeometry(output)),
      wait: (timeoutMs) => this.k32.waitAsync(event.value, timeoutMs),
      close: () => {
        if (closed) return;
        closed = true;
        this.k32.closeHandle(event.value);
      },
    };
  }

  stopStream(): void {
    this.ioctl('stream-stop', WINDOWS_IOCTL.STREAM_STOP, null, null);
  }

  release(): void {
    this.ioctl('release', WINDOWS_IOCTL.RELEASE, null, null);
    this.allocation = null;
  }

  close(): void {
    if (this.handle === null) return;
    const handle = this.handle;
    // The handle is gone whatever CloseHandle says; the driver's CLEANUP frees
    // what this handle still held.
    this.handle = null;
    this.allocation = null;
    const result = this.k32.closeHandle(handle);
    if (!result.ok) throw win32Error('close', result.error);
  }
}

export function createWindowsBackend(options: WindowsBackendOptions = {}): DeviceBackend {
  const devicePath = options.devicePath ?? SHM_WIN_USER_PATH;
  const kernel32 = options.kernel32 ?? loadKernel32;
  return {
    kind: 'windows',
    open(): DeviceHandle {
      const k32 = kernel32();
      const result = k32.createFile(devicePath, GENERIC_READ | GENERIC_WRITE);
      if (!result.ok) throw win32Error('open', result.error);
      return new WindowsDeviceHandle(k32, result.value);
    },
  };
}
