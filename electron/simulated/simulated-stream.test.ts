// The simulated driver's streaming against CONTRACT.md section 5, row by row
// and in both flavours, on a hand-driven clock and producer timer so every
// record count is exact.
import { describe, expect, it } from 'vitest';
import { SEED_VALUES } from '../../api/device.js';
import { LINUX_IOCTL, RECORD_OFFSET, RING_OFFSET, SHM_FEATURE_STREAM, SHM_RING_MAGIC, SHM_RING_STATE, SHM_STREAM_MAX_BATCH, SHM_STREAM_MAX_RATE, STRUCT_SIZE, WINDOWS_IOCTL } from '../../api/device.js';
import { shmStreamCheck, shmStreamSample } from '../../api/stream-signal.js';
import { caughtDeviceError } from '../backends/caught-device-error.js';
import { encodeStreamStart } from '../stream/stream-start-struct.js';
import { getU64, setU64 } from '../stream/u64-field.js';
import { expectRowFor } from './expected-os-errors.js';
import { createSimulatedBackend } from './simulated-backend.js';


/** A clock moved by hand and a producer timer fired by hand. */
function manualTime() {
  let now = 1_000_000_000n;
  const ticks: (() => void)[] = [];
  return {
    clock: () => now,
    scheduler: (_periodMs: number, tick: () => void) => {
      ticks.push(tick);
      return () => ticks.splice(ticks.indexOf(tick), 1);
    },
    /** Moves the clock on and fires every running producer once. */
    advance(ms: number) {
      now += BigInt(Math.round(ms * 1e6));
      for (const tick of [...ticks]) tick();
    },
    get timers() {
      return ticks.length;
    },
  };
}

describe.each(['linux', 'windows'] as const)('simulated streaming, %s flavour', (flavour) => {
  const codes = flavour === 'linux' ? LINUX_IOCTL : WINDOWS_IOCTL;
  const expectRow = expectRowFor(flavour);
  const setup = (size = 4 * 4096) => {
    const time = manualTime();
    const backend = createSimulatedBackend({ flavour, clock: time.clock, scheduler: time.scheduler });
    const handle = backend.open();
    const allocation = handle.allocate(size);
    const memory = backend.driver.mappedMemory(allocation.userAddress);
    if (!memory) throw new Error('no mapping');
    const header = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
    return { time, backend, handle, memory, header };
  };
  /** The records [from, to) of the ring, as the consumer reads them. */
  const sequences = (header: DataView, from: number, to: number, capacity: number): number[] =>
    Array.from({ length: to - from }, (_, i) => getU64(header, 4096 + ((from + i) % capacity) * 32 + RECORD_OFFSET.sequence));

  it('QUERY reports driver 1.1 with SHM_FEATURE_STREAM', () => {
    const { handle } = setup();
    const info = handle.query();
    expect(info.driverVersion).toBe(0x10001);
    expect(info.features & SHM_FEATURE_STREAM).toBe(SHM_FEATURE_STREAM);
  });

  it('STREAM_START writes the ring header over the first page and returns the geometry', () => {
    const { handle, header, time } = setup(4 * 4096 + 100);
    const channel = handle.startStream(1000, 10);
    // 5 pages mapped: 4 after the first, 512 records; the largest power of two is 512.
    expect(channel.ring.capacity).toBe(512);
    expect(channel.ring.dataOffset).toBe(4096);
    expect(header.getUint32(RING_OFFSET.magic, true)).toBe(SHM_RING_MAGIC);
    expect(header.getUint32(RING_OFFSET.version, true)).toBe(1);
    expect(header.getUint32(RING_OFFSET.recordSize, true)).toBe(32);
    expect(header.getUint32(RING_OFFSET.capacity, true)).toBe(512);
    expect(getU64(header, RING_OFFSET.dataOffset)).toBe(4096);
    expect(header.getUint32(RING_OFFSET.rateHz, true)).toBe(1000);
    expect(header.getUint32(RING_OFFSET.batch, true)).toBe(10);
    expect(header.getUint32(RING_OFFSET.state, true)).toBe(SHM_RING_STATE.RUNNING);
    expect([RING_OFFSET.head, RING_OFFSET.tail, RING_OFFSET.dropped].map((o) => getU64(header, o))).toEqual([0, 0, 0]);
    expect(time.timers).toBe(1);
    // INSPECT shows the ring through the driver's own view.
    expect(Array.from(handle.inspect(0, 2))).toEqual([SHM_RING_MAGIC & 0xffff, SHM_RING_MAGIC >>> 16]);
  });

  it('keeps the average rate: records due by elapsed time, each one verifiable', () => {
    const { handle, header, time } = setup();
    const { ring } = handle.startStream(1000, 10);
    time.advance(10);
    expect(ring.loadHead()).toBe(10);
    time.advance(25); // a late tick catches up (35 due, 40 allowed)
    expect(ring.loadHead()).toBe(35);
    expect(ring.loadDropped()).toBe(0);
    const records = ring.records(0, 35);
    for (let i = 0; i < 35; i++) {
      const at = i * STRUCT_SIZE.record;
      const sequence = getU64(records, at + RECORD_OFFSET.sequence);
      const sample = records.getInt32(at + RECORD_OFFSET.sample, true);
      expect(sequence).toBe(i);
      expect(sample).toBe(shmStreamSample(i));
      expect(records.getUint32(at + RECORD_OFFSET.check, true)).toBe(shmStreamCheck(i, sample));
      expect(getU64(records, at + RECORD_OFFSET.reserved)).toBe(0);
      expect(getU64(records, at + RECORD_OFFSET.timestampNs)).toBeGreaterThan(0);
    }
    expect(sequences(header, 0, 3, ring.capacity)).toEqual([0, 1, 2]);
  });

  it('writes at most 4 x batch a tick; the rest are dropped, the newest lost, their numbers skipped', () => {
    const { handle, header, time } = setup();
    const { ring } = handle.startStream(1000, 10);
    time.advance(100); // 100 due, 40 written
    expect(ring.loadHead()).toBe(40);
    expect(ring.loadDropped()).toBe(60);
    time.advance(10);
    expect(ring.loadHead()).toBe(50);
    // Sequence 40..99 never appear: the gap adds up to dropped.
    expect(sequences(header, 38, 42, ring.capacity)).toEqual([38, 39, 100, 101]);
  });

  it('never overwrites unread records: a full ring drops what is due', () => {
    const { handle, time } = setup(2 * 4096); // one page of records: 128
    const { ring } = handle.startStream(10000, 100);
    expect(ring.capacity).toBe(128);
    time.advance(10); // 100 due
    time.advance(10); // 100 due, 28 fit
    expect(ring.loadHead()).toBe(128);
    expect(ring.loadDropped()).toBe(72);
    ring.storeTail(28);
    time.advance(10);
    expect(ring.loadHead()).toBe(156);
    expect(ring.loadDropped()).toBe(72 + 72);
  });

  it('faults on an impossible tail, stops producing, and the copy path says so', () => {
    const { handle, header, time } = setup();
    const { ring } = handle.startStream(1000, 10);
    time.advance(10);
    setU64(header, RING_OFFSET.tail, 11); // tail > head
    time.advance(10);
    expect(ring.loadState()).toBe(SHM_RING_STATE.FAULTED);
    expect(ring.loadHead()).toBe(10);
    expect(time.timers).toBe(0);
    expectRow(caughtDeviceError(() => handle.readCopy(0, 64)), 'stream-faulted');
    // STOP on a faulted stream succeeds and changes nothing.
    handle.stopStream();
    expect(ring.loadState()).toBe(SHM_RING_STATE.FAULTED);
  });

  it('faults when head - tail passes the capacity, and keeps its own head', () => {
    const { handle, header, time } = setup();
    const { ring } = handle.startStream(1000, 100);
    expect(ring.capacity).toBe(256);
    time.advance(100);
    ring.storeTail(100);
    time.advance(200);
    expect(ring.loadHead()).toBe(300);
    setU64(header, RING_OFFSET.head, 5); // scribbled: the driver never reads head back
    setU64(header, RING_OFFSET.tail, 10); // 300 - 10 > 256
    time.advance(10);
    expect(ring.loadState()).toBe(SHM_RING_STATE.FAULTED);
    expect(ring.loadHead()).toBe(300);
  });

  it('STREAM_STOP is synchronous; unread records stay readable; stopping again changes nothing', () => {
    const { handle, time } = setup();
    const channel = handle.startStream(1000, 10);
    time.advance(20);
    handle.stopStream();
    expect(channel.ring.loadState()).toBe(SHM_RING_STATE.STOPPED);
    expect(time.timers).toBe(0);
    time.advance(20);
    expect(channel.ring.loadHead()).toBe(20);
    handle.stopStream();
    expect(channel.ring.loadState()).toBe(SHM_RING_STATE.STOPPED);
    // The copy path still has the 20 records, then 0 bytes: the stream no longer runs.
    expect(handle.readCopy(0, 20 * 32).byteLength).toBe(20 * 32);
    expect(handle.readCopy(0, 32).byteLength).toBe(0);
  });

  it('the copy path consumes whole records from tail, ignoring the offset', () => {
    const { handle, time } = setup();
    const { ring } = handle.startStream(1000, 10);
    time.advance(10);
    const bytes = handle.readCopy(123456, 3 * 32 + 31); // three whole records
    expect(bytes.byteLength).toBe(96);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect([0, 1, 2].map((i) => getU64(view, i * 32))).toEqual([0, 1, 2]);
    // The driver published tail = 3.
    handle.readCopy(0, 7 * 32);
    time.advance(10);
    expect(ring.loadHead()).toBe(20);
    expectRow(caughtDeviceError(() => handle.readCopy(0, 31)), 'invalid-parameter');
  });

  it('the copy path with nothing unread while running: Linux EAGAIN (non-blocking), Windows 0 bytes', () => {
    const { handle } = setup();
    handle.startStream(1000, 10);
    if (flavour === 'linux') expectRow(caughtDeviceError(() => handle.readCopy(0, 32)), 'would-block');
    else expect(handle.readCopy(0, 32).byteLength).toBe(0);
  });

  it('wakes a waiter after a tick that wrote records, and at once while records are unread or stopped', async () => {
    const { handle, time } = setup();
    const channel = handle.startStream(1000, 10);
    let woken = false;
    const waiting = channel.wait(60_000).then(() => (woken = true));
    await Promise.resolve();
    expect(woken).toBe(false);
    time.advance(10);
    await waiting;
    expect(woken).toBe(true);
    await channel.wait(60_000); // 10 unread: at once
    channel.ring.storeTail(10);
    handle.stopStream();
    await channel.wait(60_000); // stopped: at once (POLLHUP)
  });

  if (flavour === 'windows') {
    it('sets the app\'s event on every wake-up', () => {
      const { backend, handle, time } = setup();
      const before = backend.driver.eventSignals(0x1f4n);
      handle.startStream(1000, 10);
      time.advance(10);
      time.advance(10);
      handle.stopStream();
      expect(backend.driver.eventSignals(0x1f4n) - before).toBe(3);
    });
  }

  describe('5.4 errors, in the order sizes, parameters, state', () => {
    it.each([
      [0, 1],
      [SHM_STREAM_MAX_RATE + 1, 1],
      [1000, 0],
      [1000, 1001],
      [SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_BATCH + 1],
      [20001, 2],
    ])('rate %s batch %s is invalid, and the allocation and its contents stay', (rate, batch) => {
      const { handle, time } = setup();
      expectRow(caughtDeviceError(() => handle.startStream(rate, batch)), 'invalid-parameter');
      expect(Array.from(handle.readValues(0, 10))).toEqual(SEED_VALUES);
      expect(time.timers).toBe(0);
    });

    it('checks parameters before state: rate 0 with nothing allocated is invalid', () => {
      const backend = createSimulatedBackend({ flavour });
      expectRow(caughtDeviceError(() => backend.open().startStream(0, 1)), 'invalid-parameter');
    });

    it('STREAM_START with nothing allocated', () => {
      const backend = createSimulatedBackend({ flavour });
      expectRow(caughtDeviceError(() => backend.open().startStream(1000, 10)), 'nothing-allocated');
    });

    it('STREAM_START while a stream exists (running or stopped) is busy', () => {
      const { handle } = setup();
      handle.startStream(1000, 10);
      expectRow(caughtDeviceError(() => handle.startStream(1000, 10)), 'busy');
      handle.stopStream();
      expectRow(caughtDeviceError(() => handle.startStream(1000, 10)), 'busy');
    });

    it('STREAM_START on one page is invalid, and the seed stays', () => {
      const { handle } = setup(4096);
      expectRow(caughtDeviceError(() => handle.startStream(1000, 10)), 'invalid-parameter');
      expect(Array.from(handle.readValues(0, 10))).toEqual(SEED_VALUES);
    });

    it('STREAM_STOP with nothing allocated, or with no stream started', () => {
      const backend = createSimulatedBackend({ flavour });
      const handle = backend.open();
      expectRow(caughtDeviceError(() => handle.stopStream()), 'nothing-allocated');
      handle.allocate(8192);
      expectRow(caughtDeviceError(() => handle.stopStream()), 'nothing-allocated');
    });

    it('short stream_start buffers are refused first', () => {
      const { backend } = setup();
      const file = backend.driver.open();
      const short = new Uint8Array(STRUCT_SIZE.streamStart - 1);
      const full = encodeStreamStart(0, 0);
      const out = new Uint8Array(STRUCT_SIZE.streamStart);
      expectRow(caughtDeviceError(() => file.ioctl(codes.STREAM_START, short, out)), 'buffer-too-small');
      expectRow(caughtDeviceError(() => file.ioctl(codes.STREAM_START, full, short)), 'buffer-too-small');
      expectRow(caughtDeviceError(() => file.ioctl(codes.STREAM_START, full, out)), 'invalid-parameter');
    });

    if (flavour === 'linux') {
      it('Linux: event_handle must be 0', () => {
        const { backend } = setup();
        const file = backend.driver.open();
        file.ioctl(0xc0185301, allocateRequest(8192), allocateRequest(8192));
        const request = encodeStreamStart(1000, 10, 4n);
        expectRow(caughtDeviceError(() => file.ioctl(codes.STREAM_START, request, request)), 'invalid-parameter');
      });
    } else {
      it('Windows: an event_handle that is not this process\'s event', () => {
        const { backend } = setup();
        const file = backend.driver.open();
        const alloc = allocateRequest(8192);
        file.ioctl(0x8000e004, alloc, new Uint8Array(24));
        const out = new Uint8Array(STRUCT_SIZE.streamStart);
        expectRow(caughtDeviceError(() => file.ioctl(codes.STREAM_START, encodeStreamStart(1000, 10, 0x1234n), out)), 'handle-closed');
        // Event 0 means no event: the app would poll the ring.
        expect(file.ioctl(codes.STREAM_START, encodeStreamStart(1000, 10, 0n), out)).toBe(32);
      });
    }

    it.each(['read-only', 'write-only'] as const)('STREAM_START and STREAM_STOP on a %s handle are refused before any other check', (access) => {
      const { backend } = setup();
      const file = backend.driver.open(access);
      const out = new Uint8Array(STRUCT_SIZE.streamStart);
      const denied = (fn: () => unknown) => {
        const error = caughtDeviceError(fn);
        expect(error.kind).toBe('access-denied');
        expect([error.osName, error.osCode]).toEqual(flavour === 'linux' ? ['EBADF', 9] : ['ERROR_ACCESS_DENIED', 5]);
      };
      // Rate 0 and nothing allocated would be EINVAL and ENODATA: the access check comes first.
      denied(() => file.ioctl(codes.STREAM_START, encodeStreamStart(0, 0), out));
      denied(() => file.ioctl(codes.STREAM_STOP, null, null));
    });

    it('ALLOCATE while a stream exists is busy', () => {
      const { handle } = setup();
      handle.startStream(1000, 10);
      expect(caughtDeviceError(() => handle.allocate(8192)).kind).toBe('busy');
    });
  });

  it('RELEASE and close stop the producer before the pages go', () => {
    const { backend, handle, time } = setup();
    handle.startStream(1000, 10);
    handle.release();
    expect(time.timers).toBe(0);
    expect(backend.driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
    const second = backend.open();
    second.allocate(8192);
    second.startStream(1000, 10);
    second.close();
    expect(time.timers).toBe(0);
    time.advance(10);
    expect(backend.driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
  });
});

function allocateRequest(size: number): Uint8Array {
  const bytes = new Uint8Array(24);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(size), true);
  return bytes;
}
