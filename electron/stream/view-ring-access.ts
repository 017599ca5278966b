// RingAccess over memory JavaScript can see directly: the simulated driver's
// pages. Everything runs on one thread there, so program order is the order
// the producer sees.
import { RING_OFFSET, STRUCT_SIZE } from '../../api/device.js';
import type { RingAccess } from '../backends/device-backend.js';
import type { StreamGeometry } from './stream-start-struct.js';
import { getU64, setU64 } from './u64-field.js';

export function viewRingAccess(memory: Uint8Array, geometry: StreamGeometry): RingAccess {
  const view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
  return {
    capacity: geometry.capacity,
    dataOffset: geometry.dataOffset,
    maxRecordsPerRead: geometry.capacity,
    loadHead: () => getU64(view, RING_OFFSET.head),
    loadDropped: () => getU64(view, RING_OFFSET.dropped),
    loadState: () => view.getUint32(RING_OFFSET.state, true),
    storeTail: (tail) => setU64(view, RING_OFFSET.tail, tail),
    records: (slot, count) =>
      new DataView(
        memory.buffer,
        memory.byteOffset + geometry.dataOffset + slot * STRUCT_SIZE.record,
        count * STRUCT_SIZE.record,
      ),
  };
}
