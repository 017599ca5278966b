// The `simulated` DeviceBackend: the app's side of the simulated driver,
// doing what the real backends do (encode the header's structs, call the
// control codes, map with mmap on Linux, read and write through the mapping)
// against SimulatedDriver instead of a kernel.
import { LINUX_IOCTL, SHM_INSPECT_MAX, STRUCT_SIZE, WINDOWS_IOCTL } from '../../api/device.js';
import type {
  Allocation,
  DeviceBackend,
  DeviceHandle,
  DeviceInfo,
  DeviceOperation,
  StreamChannel,
} from '../backends/device-backend.js';
import { decodeStreamGeometry, encodeStreamStart } from '../stream/stream-start-struct.js';
import { viewRingAccess } from '../stream/view-ring-access.js';
import {
  SimulatedDriver,
  simulatedError,
  type OsFlavour,
  type SimulatedDriverOptions,
  type SimulatedFile,
} from './simulated-driver.js';

export interface SimulatedBackendOptions {
  /** Whose OS errors to speak (default: this machine's). */
  flavour?: OsFlavour;
  /** Share one driver between backends (tests); default: a new one. */
  driver?: SimulatedDriver;
  maxSize?: number;
  totalCap?: number;
  /** The stream producer's clock and timer (tests drive them by hand). */
  clock?: SimulatedDriverOptions['clock'];
  scheduler?: SimulatedDriverOptions['scheduler'];
}

export const hostFlavour = (): OsFlavour => (process.platform === 'win32' ? 'windows' : 'linux');

class SimulatedHandle implements DeviceHandle {
  private allocation: Allocation | null = null;
  private closed = false;
  private readonly codes: typeof LINUX_IOCTL | typeof WINDOWS_IOCTL;

  constructor(
    private readonly driver: SimulatedDriver,
    private readonly file: SimulatedFile,
  ) {
    this.codes = driver.flavour === 'linux' ? LINUX_IOCTL : WINDOWS_IOCTL;
  }

  /** Linux passes one buffer that the driver reads and overwrites; Windows has two. */
  private call(code: number, input: Uint8Array | null, outputSize: number): Uint8Array {
    if (this.driver.flavour === 'linux') {
      const buffer = new Uint8Array(Math.max(outputSize, input?.byteLength ?? 0));
      if (input) buffer.set(input);
      this.file.ioctl(code, outputSize || input ? buffer : null, outputSize || input ? buffer : null);
      return buffer;
    }
    const output = outputSize ? new Uint8Array(outputSize) : null;
    this.file.ioctl(code, input, output);
    return output ?? new Uint8Array(0);
  }

  query(): DeviceInfo {
    const view = dataView(this.call(this.codes.QUERY, null, STRUCT_SIZE.deviceInfo));
    return {
      abiVersion: view.getUint32(0, true),
      driverVersion: view.getUint32(4, true),
      pageSize: Number(view.getBigUint64(8, true)),
      maxSize: Number(view.getBigUint64(16, true)),
      totalBytes: Number(view.getBigUint64(24, true)),
      allocations: view.getUint32(32, true),
      features: view.getUint32(36, true),
    };
  }

  allocate(size: number): Allocation {
    const request = new Uint8Array(STRUCT_SIZE.allocate);
    if (!Number.isSafeInteger(size) || size < 0) throw simulatedError(this.driver.flavour, 'allocate', 'invalid-parameter');
    dataView(request).setBigUint64(0, BigInt(size), true);
    const reply = dataView(this.call(this.codes.ALLOCATE, request, STRUCT_SIZE.allocate));
    const mappedSize = Number(reply.getBigUint64(16, true));
    let userAddress = reply.getBigUint64(8, true);
    if (this.driver.flavour === 'linux') {
      try {
        userAddress = this.file.mmap(mappedSize, 0, true);
      } catch (error) {
        // Leave the handle as it was: nothing allocated.
        this.call(this.codes.RELEASE, null, 0);
        throw error;
      }
    }
    this.allocation = { userAddress, requestedSize: size, mappedSize };
    return this.allocation;
  }

  /** The mapped bytes covering [byteOffset, byteOffset + length), or an EINVAL-like error. */
  private mapped(operation: DeviceOperation, byteOffset: number, length: number): DataView {
    if (this.closed) throw simulatedError(this.driver.flavour, operation, 'handle-closed');
    if (!this.allocation) throw simulatedError(this.driver.flavour, operation, 'nothing-allocated');
    const memory = this.driver.mappedMemory(this.allocation.userAddress);
    if (
      !memory ||
      !Number.isSafeInteger(byteOffset) ||
      byteOffset < 0 ||
      byteOffset % 2 !== 0 ||
      byteOffset + length > memory.byteLength
    ) {
      throw simulatedError(this.driver.flavour, operation, 'invalid-parameter');
    }
    return new DataView(memory.buffer, memory.byteOffset + byteOffset, length);
  }

  readValues(byteOffset: number, count: number): Uint16Array {
    const view = this.mapped('read', byteOffset, 2 * count);
    return Uint16Array.from({ length: count }, (_, i) => view.getUint16(2 * i, true));
  }

  writeValues(byteOffset: number, values: ArrayLike<number>): void {
    const view = this.mapped('write', byteOffset, 2 * values.length);
    for (let i = 0; i < values.length; i++) view.setUint16(2 * i, values[i] ?? 0, true);
  }

  inspect(byteOffset: number, count: number): Uint16Array {
    const request = new Uint8Array(STRUCT_SIZE.inspect);
    const view = dataView(request);
    view.setBigUint64(0, BigInt.asUintN(64, BigInt(Math.trunc(byteOffset))), true);
    view.setUint32(8, Math.min(count, 0xffff_ffff) >>> 0, true);
    const reply = dataView(this.call(this.codes.INSPECT, request, STRUCT_SIZE.inspect));
    const n = Math.min(count, SHM_INSPECT_MAX);
    return Uint16Array.from({ length: n }, (_, i) => reply.getUint16(16 + 2 * i, true));
  }

  readCopy(byteOffset: number, length: number): Uint8Array {
    return this.file.read(byteOffset, length);
  }

  startStream(rateHz: number, batch: number): StreamChannel {
    const flavour = this.driver.flavour;
    // Windows: an auto-reset event for the driver to set, as the Windows backend passes.
    const event = flavour === 'windows' ? this.driver.createEvent() : 0n;
    let reply: Uint8Array;
    try {
      reply = this.call(this.codes.STREAM_START, encodeStreamStart(rateHz, batch, event), STRUCT_SIZE.streamStart);
    } catch (error) {
      if (event) this.driver.closeEvent(event);
      throw error;
    }
    const geometry = decodeStreamGeometry(reply);
    const memory = this.allocation && this.driver.mappedMemory(this.allocation.userAddress);
    const stream = this.file.stream;
    if (!memory || !stream) throw simulatedError(flavour, 'stream-start', 'nothing-allocated');
    return {
      ring: viewRingAccess(memory, geometry),
      wait: (timeoutMs) => stream.wait(timeoutMs),
      close: () => {
        if (event) this.driver.closeEvent(event);
      },
    };
  }

  stopStream(): void {
    this.call(this.codes.STREAM_STOP, null, 0);
  }

  release(): void {
    // Linux: unmap first, as the real backend does, so RELEASE frees the pages at once.
    if (this.driver.flavour === 'linux' && this.allocation) this.file.munmap(this.allocation.userAddress);
    this.call(this.codes.RELEASE, null, 0);
    this.allocation = null;
  }

  close(): void {
    if (this.closed) return;
    if (this.driver.flavour === 'linux' && this.allocation) this.file.munmap(this.allocation.userAddress);
    this.allocation = null;
    this.file.close();
    this.closed = true;
  }
}

const dataView = (bytes: Uint8Array): DataView => new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export interface SimulatedBackend extends DeviceBackend {
  readonly kind: 'simulated';
  readonly driver: SimulatedDriver;
}

export function createSimulatedBackend(options: SimulatedBackendOptions = {}): SimulatedBackend {
  const driver =
    options.driver ??
    new SimulatedDriver({
      flavour: options.flavour ?? hostFlavour(),
      maxSize: options.maxSize,
      totalCap: options.totalCap,
      clock: options.clock,
      scheduler: options.scheduler,
    });
  return {
    kind: 'simulated',
    driver,
    open: () => new SimulatedHandle(driver, driver.open()),
  };
}
