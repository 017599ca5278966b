// struct shm_stream_start (CONTRACT.md 5.1) in and out of bytes, for every
// backend: the request the app sends and the ring geometry the driver returns.
import { STREAM_START_OFFSET, STRUCT_SIZE } from '../../api/device.js';
import { getU64 } from './u64-field.js';

export interface StreamGeometry {
  /** Records the ring holds, a power of two. */
  capacity: number;
  /** sizeof(struct shm_record) = 32. */
  recordSize: number;
  /** Byte offset of record 0 = page size. */
  dataOffset: number;
}

export function encodeStreamStart(rateHz: number, batch: number, eventHandle = 0n): Uint8Array {
  const bytes = new Uint8Array(STRUCT_SIZE.streamStart);
  const view = new DataView(bytes.buffer);
  // The driver checks the range; out-of-u32 values must not wrap into valid ones.
  view.setUint32(STREAM_START_OFFSET.rateHz, clampU32(rateHz), true);
  view.setUint32(STREAM_START_OFFSET.batch, clampU32(batch), true);
  view.setBigUint64(STREAM_START_OFFSET.eventHandle, eventHandle, true);
  return bytes;
}

export function decodeStreamGeometry(bytes: Uint8Array): StreamGeometry {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    capacity: view.getUint32(STREAM_START_OFFSET.capacity, true),
    recordSize: view.getUint32(STREAM_START_OFFSET.recordSize, true),
    dataOffset: getU64(view, STREAM_START_OFFSET.dataOffset),
  };
}

/** Integers outside u32 become 0 (refused as "rate 0"), never a wrapped valid value. */
const clampU32 = (n: number): number => (Number.isInteger(n) && n >= 0 && n <= 0xffff_ffff ? n : 0);
