// The simulated driver's stream producer (CONTRACT.md 5.2, 5.3): the ring
// header over the first page of an allocation, a timer that keeps the average
// rate, drops when the ring is full or a tick is late, the FAULTED rule for an
// impossible tail, and poll-like wake-ups. It runs on the app's own clock
// (process.hrtime, the clock the app measures latency with), so latencies
// from the simulated driver mean the same as from a kernel.
import { RECORD_OFFSET, RING_OFFSET, SHM_RING_MAGIC, SHM_RING_STATE, SHM_RING_VERSION, STRUCT_SIZE } from '../../api/device.js';
import { shmStreamCheck, shmStreamSample } from '../../api/stream-signal.js';
import { getU64, setU64 } from '../stream/u64-field.js';

/** Runs `tick` every `periodMs` until the returned function is called. */
export type TickScheduler = (periodMs: number, tick: () => void) => () => void;

export const intervalScheduler: TickScheduler = (periodMs, tick) => {
  const timer = setInterval(tick, periodMs);
  // A stream alone must not keep a process alive (the server exits on SIGTERM).
  timer.unref();
  return () => clearInterval(timer);
};

/** Nanoseconds on the monotonic clock the app reads too. */
export type NanosecondClock = () => bigint;
export const monotonicNs: NanosecondClock = () => process.hrtime.bigint();

/** The largest power of two not above n (n >= 1). */
const floorPowerOfTwo = (n: number): number => 2 ** Math.floor(Math.log2(n));

export interface StreamParameters {
  rateHz: number;
  batch: number;
  pageSize: number;
}

/** One stream on one allocation, from STREAM_START until RELEASE. */
export class SimulatedStream {
  readonly capacity: number;
  readonly dataOffset: number;
  private readonly view: DataView;
  private readonly startNs: bigint;
  // The driver's own copies: only ever written to the shared page, never read back.
  private head = 0;
  private dropped = 0;
  private state: number = SHM_RING_STATE.RUNNING;
  /** Records due so far, written or dropped: the next sequence number. */
  private accounted = 0;
  private cancelTimer: (() => void) | null;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly memory: Uint8Array,
    private readonly params: StreamParameters,
    private readonly clock: NanosecondClock,
    schedule: TickScheduler,
    /** Windows: sets the app's event (KeSetEvent) on every wake-up. */
    private readonly onWake: () => void = () => undefined,
  ) {
    this.view = new DataView(memory.buffer, memory.byteOffset, memory.byteLength);
    this.dataOffset = params.pageSize;
    this.capacity = floorPowerOfTwo((memory.byteLength - params.pageSize) / STRUCT_SIZE.record);
    // The header goes over the first page (the 10..1 seed goes with it).
    memory.fill(0, 0, params.pageSize);
    const v = this.view;
    v.setUint32(RING_OFFSET.magic, SHM_RING_MAGIC, true);
    v.setUint32(RING_OFFSET.version, SHM_RING_VERSION, true);
    v.setUint32(RING_OFFSET.recordSize, STRUCT_SIZE.record, true);
    v.setUint32(RING_OFFSET.capacity, this.capacity, true);
    v.setBigUint64(RING_OFFSET.dataOffset, BigInt(this.dataOffset), true);
    v.setUint32(RING_OFFSET.rateHz, params.rateHz, true);
    v.setUint32(RING_OFFSET.batch, params.batch, true);
    this.publish();
    this.startNs = clock();
    // A tick every batch / rate seconds; Node's timers are no finer than 1 ms.
    this.cancelTimer = schedule(Math.max(1, (1000 * params.batch) / params.rateHz), () => this.tick());
  }

  get running(): boolean {
    return this.state === SHM_RING_STATE.RUNNING;
  }

  get faulted(): boolean {
    return this.state === SHM_RING_STATE.FAULTED;
  }

  /** One producer tick: the records whose time has come, at most 4 x batch. */
  tick(): void {
    if (this.state !== SHM_RING_STATE.RUNNING) return;
    // The one value read from the shared page, once, into a local.
    const tail = this.readTail();
    if (tail > this.head || this.head - tail > this.capacity) {
      this.state = SHM_RING_STATE.FAULTED;
      this.stopTimer();
      this.publish();
      this.wake();
      return;
    }
    const elapsed = this.clock() - this.startNs;
    const due = Number((elapsed * BigInt(this.params.rateHz)) / 1_000_000_000n) - this.accounted;
    if (due <= 0) return;
    const room = this.capacity - (this.head - tail);
    const n = Math.min(due, 4 * this.params.batch, room);
    const now = Number(this.clock());
    for (let i = 0; i < n; i++) this.writeRecord(this.head + i, this.accounted + i, now);
    this.head += n;
    // The newest are the ones lost: their sequence numbers are skipped.
    this.dropped += due - n;
    this.accounted += due;
    this.publish();
    if (n > 0) this.wake();
  }

  /** STREAM_STOP: when it returns, head and dropped no longer change. */
  stop(): void {
    this.stopTimer();
    if (this.state === SHM_RING_STATE.RUNNING) {
      this.state = SHM_RING_STATE.STOPPED;
      this.publish();
    }
    this.wake();
  }

  /** Resolves at once while records are unread or no stream runs (POLLIN / POLLHUP), else at the next wake-up or timeout. */
  wait(timeoutMs: number): Promise<void> {
    if (this.unread() > 0 || this.state !== SHM_RING_STATE.RUNNING) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiters.add(done);
    });
  }

  /** The copy path: up to `max` whole records from tail, tail published; null when nothing is unread. */
  consume(max: number): Uint8Array | null {
    const tail = this.readTail();
    const available = Math.min(this.unread(), max);
    if (available <= 0) return null;
    const out = new Uint8Array(available * STRUCT_SIZE.record);
    for (let i = 0; i < available; i++) {
      const from = this.slotOffset(tail + i);
      out.set(this.memory.subarray(from, from + STRUCT_SIZE.record), i * STRUCT_SIZE.record);
    }
    setU64(this.view, RING_OFFSET.tail, tail + available);
    return out;
  }

  /** Records between the shared tail and head (0 when the tail is impossible). */
  unread(): number {
    const tail = this.readTail();
    return tail <= this.head && this.head - tail <= this.capacity ? this.head - tail : 0;
  }

  private readTail(): number {
    return getU64(this.view, RING_OFFSET.tail);
  }

  private slotOffset(index: number): number {
    return this.dataOffset + (index % this.capacity) * STRUCT_SIZE.record;
  }

  private writeRecord(index: number, sequence: number, timestampNs: number): void {
    const at = this.slotOffset(index);
    const v = this.view;
    const sample = shmStreamSample(sequence);
    // u64 fields as two u32 halves: no BigInt per record at a million records a second.
    setU64(v, at + RECORD_OFFSET.sequence, sequence);
    setU64(v, at + RECORD_OFFSET.timestampNs, timestampNs);
    v.setInt32(at + RECORD_OFFSET.sample, sample, true);
    v.setUint32(at + RECORD_OFFSET.check, shmStreamCheck(sequence, sample), true);
    setU64(v, at + RECORD_OFFSET.reserved, 0);
  }

  /** Writes the driver's head, dropped and state to the shared page (head last: the release). */
  private publish(): void {
    const v = this.view;
    v.setUint32(RING_OFFSET.state, this.state, true);
    setU64(v, RING_OFFSET.dropped, this.dropped);
    setU64(v, RING_OFFSET.head, this.head);
  }

  private stopTimer(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
  }

  private wake(): void {
    this.onWake();
    for (const waiter of [...this.waiters]) waiter();
  }
}
