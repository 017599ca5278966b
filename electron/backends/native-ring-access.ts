// The ring of a kernel stream, read in place in this process's mapping of
// the driver's pages (CONTRACT.md 5.2): the Linux mmap, or the Windows
// driver's user mapping.
//
// Ordering. The driver publishes `head` with a store-release after writing
// the records and reads `tail` with a load-acquire. The consumer's side is
// whatever NativeRingMemory provides: on Linux libatomic's C11
// __atomic_load_8(..., __ATOMIC_ACQUIRE) and __atomic_store_8(...,
// __ATOMIC_RELEASE), real atomics on any CPU; on Windows x64 (kernel32 has no
// atomics to call) plain 8-byte aligned loads and stores through koffi, which
// x86-64's TSO already orders as acquire and release (no load is reordered
// with an older load, no store with an older load or store). Either way the
// record reads come after the head load in program order, and neither V8 nor
// the C++ compiler moves a memory access across an opaque native call.
//
// Electron's V8 memory cage forbids ArrayBuffers over external memory, so
// there the records are copied out with one memcpy per contiguous run; in
// plain Node koffi.view gives a zero-copy view of the mapping.
import koffi from 'koffi';
import { RING_OFFSET, STRUCT_SIZE } from '../../api/device.js';
import type { StreamGeometry } from '../stream/stream-start-struct.js';
import type { RingAccess } from './device-backend.js';

/** The native memory operations the ring needs, from libc/libatomic or kernel32/koffi. */
export interface NativeRingMemory {
  loadAcquireU64(address: bigint): number;
  loadAcquireU32(address: bigint): number;
  storeReleaseU64(address: bigint, value: number): void;
  /** Copies `into.byteLength` bytes from native memory. */
  copyOut(into: Uint8Array, address: bigint): void;
}

/** Records one records() call copies at most in Electron (2 MiB). */
export const MAX_COPY_RECORDS = 65536;

export type RecordReadMode = 'view' | 'copy';

/** Zero copy where the runtime allows external ArrayBuffers; Electron does not. */
export const defaultReadMode = (): RecordReadMode => (process.versions.electron ? 'copy' : 'view');

export function nativeRingAccess(
  memory: NativeRingMemory,
  address: bigint,
  mappedSize: number,
  geometry: StreamGeometry,
  mode: RecordReadMode = defaultReadMode(),
): RingAccess {
  const at = (offset: number): bigint => address + BigInt(offset);
  const headAddress = at(RING_OFFSET.head);
  const tailAddress = at(RING_OFFSET.tail);
  const droppedAddress = at(RING_OFFSET.dropped);
  const stateAddress = at(RING_OFFSET.state);
  const recordBytes = STRUCT_SIZE.record;
  const records = ((): RingAccess['records'] => {
    if (mode === 'view') {
      const mapping = koffi.view(address, mappedSize);
      return (slot, count) => new DataView(mapping, geometry.dataOffset + slot * recordBytes, count * recordBytes);
    }
    const scratch = new Uint8Array(MAX_COPY_RECORDS * recordBytes);
    return (slot, count) => {
      const bytes = Math.min(count, MAX_COPY_RECORDS) * recordBytes;
      const into = scratch.subarray(0, bytes);
      memory.copyOut(into, at(geometry.dataOffset + slot * recordBytes));
      return new DataView(scratch.buffer, 0, bytes);
    };
  })();
  return {
    capacity: geometry.capacity,
    dataOffset: geometry.dataOffset,
    maxRecordsPerRead: mode === 'copy' ? MAX_COPY_RECORDS : geometry.capacity,
    loadHead: () => memory.loadAcquireU64(headAddress),
    loadDropped: () => memory.loadAcquireU64(droppedAddress),
    loadState: () => memory.loadAcquireU32(stateAddress),
    storeTail: (tail) => memory.storeReleaseU64(tailAddress, tail),
    records,
  };
}
