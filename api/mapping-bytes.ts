// The mapping as bytes. The API carries u16 values (little-endian in the
// shared pages, as on x64); the inspector and the export work in bytes, at
// any offset and length. Reading goes through the same validated readValues
// call as the Shared memory view, in calls of at most MAX_VALUES_PER_CALL.
import { MAX_VALUES_PER_CALL, type ApiError, type ApiResult, type Values } from './shared-memory-api.js';

export type ReadValues = (request: { offset: number; count: number }) => Promise<ApiResult<Values>>;

/** Bytes of one stretch of the mapping, from `offset`. */
export interface ByteChunk {
  offset: number;
  bytes: Uint8Array;
}

/** A read that failed part-way: the API's error, and how far it got. */
export class MappingReadError extends Error {
  readonly error: ApiError;
  readonly bytesRead: number;
  constructor(error: ApiError, bytesRead: number) {
    super(error.message);
    this.name = 'MappingReadError';
    this.error = error;
    this.bytesRead = bytesRead;
  }
}

export function valuesToBytes(values: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 2);
  values.forEach((v, i) => {
    bytes[i * 2] = v & 0xff;
    bytes[i * 2 + 1] = v >>> 8;
  });
  return bytes;
}

/** Little-endian u16 values of an even number of bytes. */
export function bytesToValues(bytes: Uint8Array): number[] {
  if (bytes.length % 2 !== 0) throw new RangeError(`${bytes.length} bytes are not whole u16 values`);
  return Array.from({ length: bytes.length / 2 }, (_, i) => (bytes[i * 2] ?? 0) | ((bytes[i * 2 + 1] ?? 0) << 8));
}

/**
 * Reads [offset, offset + length) in chunks of at most `chunkBytes`, yielding
 * each as it arrives (an odd start or end is widened to whole u16 values for
 * the call and trimmed again). Throws MappingReadError when a call fails.
 */
export async function* readByteRange(
  read: ReadValues,
  offset: number,
  length: number,
  chunkBytes = MAX_VALUES_PER_CALL * 2,
): AsyncGenerator<ByteChunk, void> {
  const end = offset + length;
  let at = offset;
  while (at < end) {
    const start = at - (at % 2);
    const stop = Math.min(start + chunkBytes, end + (end % 2));
    const result = await read({ offset: start, count: (stop - start) / 2 });
    if (!result.ok) throw new MappingReadError(result.error, at - offset);
    const bytes = valuesToBytes(result.value.values).subarray(at - start, Math.min(stop, end) - start);
    yield { offset: at, bytes };
    at += bytes.length;
  }
}

/** The whole range in one buffer (for a page of the inspector, a copy, a download). */
export async function readBytes(read: ReadValues, offset: number, length: number, onProgress?: (done: number) => void): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  for await (const chunk of readByteRange(read, offset, length)) {
    out.set(chunk.bytes, chunk.offset - offset);
    onProgress?.(chunk.offset - offset + chunk.bytes.length);
  }
  return out;
}
