// The byte layouts of driver/include/sharedmemory_ioctl.h's structs, for the
// buffers handed to DeviceIoControl. Little-endian, fixed-width, the offsets
// the header's static asserts pin (a test compares them with the compiled C).
import { SHM_INSPECT_MAX, STRUCT_SIZE } from '../../api/device.js';
import type { DeviceInfo } from './device-backend.js';

/** Field offsets, in bytes. */
export const DEVICE_INFO_OFFSET = {
  abiVersion: 0,
  driverVersion: 4,
  pageSize: 8,
  maxSize: 16,
  totalBytes: 24,
  allocations: 32,
  features: 36,
} as const;

export const ALLOCATE_OFFSET = { size: 0, userAddress: 8, mappedSize: 16 } as const;

export const INSPECT_OFFSET = { offset: 0, count: 8, reserved: 12, values: 16 } as const;

const view = (bytes: Uint8Array): DataView =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/** A u64 the app can hold as a number (sizes and counters never reach 2^53). */
function safeNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`${field} ${value} does not fit a JavaScript number`);
  }
  return Number(value);
}

export function decodeDeviceInfo(bytes: Uint8Array): DeviceInfo {
  const v = view(bytes);
  return {
    abiVersion: v.getUint32(DEVICE_INFO_OFFSET.abiVersion, true),
    driverVersion: v.getUint32(DEVICE_INFO_OFFSET.driverVersion, true),
    pageSize: safeNumber(v.getBigUint64(DEVICE_INFO_OFFSET.pageSize, true), 'page_size'),
    maxSize: safeNumber(v.getBigUint64(DEVICE_INFO_OFFSET.maxSize, true), 'max_size'),
    totalBytes: safeNumber(v.getBigUint64(DEVICE_INFO_OFFSET.totalBytes, true), 'total_bytes'),
    allocations: v.getUint32(DEVICE_INFO_OFFSET.allocations, true),
    features: v.getUint32(DEVICE_INFO_OFFSET.features, true),
  };
}

export function encodeAllocate(size: number): Uint8Array {
  const bytes = new Uint8Array(STRUCT_SIZE.allocate);
  view(bytes).setBigUint64(ALLOCATE_OFFSET.size, BigInt(size), true);
  return bytes;
}

export function decodeAllocate(bytes: Uint8Array): { userAddress: bigint; mappedSize: number } {
  const v = view(bytes);
  return {
    userAddress: v.getBigUint64(ALLOCATE_OFFSET.userAddress, true),
    mappedSize: safeNumber(v.getBigUint64(ALLOCATE_OFFSET.mappedSize, true), 'mapped_size'),
  };
}

export function encodeInspect(byteOffset: number, count: number): Uint8Array {
  const bytes = new Uint8Array(STRUCT_SIZE.inspect);
  const v = view(bytes);
  v.setBigUint64(INSPECT_OFFSET.offset, BigInt(byteOffset), true);
  v.setUint32(INSPECT_OFFSET.count, count, true);
  return bytes;
}

export function decodeInspectValues(bytes: Uint8Array, count: number): Uint16Array {
  const v = view(bytes);
  const values = new Uint16Array(Math.min(count, SHM_INSPECT_MAX));
  for (let i = 0; i < values.length; i++) {
    values[i] = v.getUint16(INSPECT_OFFSET.values + 2 * i, true);
  }
  return values;
}
