// One stream, as the app consumes it: wait for the driver's wake-up (poll,
// the Windows event, or the simulated driver's tick) without blocking the
// event loop, read every record from tail to head in place, verify it,
// publish the new tail, and push the statistics and a decimated slice of the
// signal to the windows at most ~30 times a second.
import { SHM_RING_STATE } from '../../api/device.js';
import type { StreamStatistics, StreamStatus, StreamUpdate } from '../../api/shared-memory-api.js';
import type { StreamChannel } from '../backends/device-backend.js';
import { PlotDecimator, strideForRate } from './plot-decimator.js';
import { RecordVerifier } from './record-verifier.js';

/** Nanoseconds on the clock the drivers stamp records with (CLOCK_MONOTONIC / QueryPerformanceCounter). */
export const appClockNs = (): number => Number(process.hrtime.bigint());

export interface StreamSessionOptions {
  channel: StreamChannel;
  rateHz: number;
  batch: number;
  /** Called with every update (about 30 a second) and once more at the end. */
  onUpdate: (update: StreamUpdate) => void;
  /** Called once when the stream is over (stopped or faulted) and every record is read. */
  onEnd?: (session: StreamSession) => void;
  now?: () => number;
  updateIntervalMs?: number;
  /** How long one wait may last before the consumer looks anyway. */
  waitTimeoutMs?: number;
}

type SessionState = StreamStatus['state'];

export class StreamSession {
  readonly rateHz: number;
  readonly batch: number;
  readonly capacity: number;
  /** Settles when the consumer has stopped (never rejects). */
  readonly finished: Promise<void>;
  private readonly channel: StreamChannel;
  private readonly verifier: RecordVerifier;
  private readonly plot: PlotDecimator;
  private readonly now: () => number;
  private readonly onUpdate: (update: StreamUpdate) => void;
  private tail = 0;
  private dropped = 0;
  private sessionState: SessionState = 'running';
  private stopRequested = false;
  private readonly updateTimer: ReturnType<typeof setInterval>;
  /** (time in ms, records) at each update, for the rate over the last second. */
  private readonly history: { ms: number; records: number }[] = [];
  private lastPushedRecords = -1;

  constructor(options: StreamSessionOptions) {
    this.channel = options.channel;
    this.rateHz = options.rateHz;
    this.batch = options.batch;
    this.capacity = options.channel.ring.capacity;
    this.now = options.now ?? appClockNs;
    this.onUpdate = options.onUpdate;
    this.plot = new PlotDecimator(strideForRate(options.rateHz));
    this.verifier = new RecordVerifier(this.plot);
    this.updateTimer = setInterval(() => this.push(false), options.updateIntervalMs ?? 33);
    this.updateTimer.unref();
    this.finished = this.consume(options.waitTimeoutMs ?? 100).then(() => {
      clearInterval(this.updateTimer);
      this.channel.close();
      this.push(true);
      options.onEnd?.(this);
    });
  }

  get state(): SessionState {
    return this.sessionState;
  }

  status(): StreamStatus {
    return { state: this.sessionState, rateHz: this.rateHz, batch: this.batch, capacity: this.capacity };
  }

  /** Ends the consumer after it has read what is there (call after STREAM_STOP, or before RELEASE). */
  requestStop(): Promise<void> {
    this.stopRequested = true;
    return this.finished;
  }

  statistics(): StreamStatistics {
    const v = this.verifier;
    const p50 = v.latency.percentile(0.5);
    return {
      records: v.records,
      dropped: this.dropped,
      skipped: v.skipped,
      invalid: v.invalid,
      firstProblem: v.firstProblem,
      measuredRateHz: this.measuredRate(),
      latencyNs:
        p50 === null ? null : { p50, p90: v.latency.percentile(0.9) ?? p50, p99: v.latency.percentile(0.99) ?? p50 },
    };
  }

  private async consume(waitTimeoutMs: number): Promise<void> {
    try {
      for (;;) {
        if (!this.drain()) return;
        const state = this.channel.ring.loadState();
        if (state !== SHM_RING_STATE.RUNNING) {
          // The driver stopped (or faulted): what it wrote before is all read now.
          this.drain();
          this.sessionState = state === SHM_RING_STATE.FAULTED ? 'faulted' : 'stopped';
          return;
        }
        if (this.stopRequested) {
          this.sessionState = 'stopped';
          return;
        }
        await this.channel.wait(waitTimeoutMs);
      }
    } catch (error) {
      this.verifier.firstProblem ??= `the consumer stopped: ${error instanceof Error ? error.message : String(error)}`;
      this.sessionState = 'stopped';
    }
  }

  /** Reads and verifies every record from tail to head; false when the ring cannot be trusted. */
  private drain(): boolean {
    const ring = this.channel.ring;
    const head = ring.loadHead();
    if (head < this.tail || head - this.tail > ring.capacity) {
      this.verifier.firstProblem ??= `the ring's head (${head}) is impossible for tail ${this.tail}`;
      this.sessionState = 'faulted';
      return false;
    }
    while (this.tail < head) {
      const slot = this.tail % ring.capacity;
      const count = Math.min(head - this.tail, ring.capacity - slot, ring.maxRecordsPerRead);
      const records = ring.records(slot, count);
      this.verifier.verify(records, count, this.now());
      this.tail += count;
      // Give the slots back as soon as they are read.
      ring.storeTail(this.tail);
    }
    this.dropped = ring.loadDropped();
    return true;
  }

  private measuredRate(): number {
    const first = this.history[0];
    const last = this.history[this.history.length - 1];
    if (!first || !last || last.ms <= first.ms) return 0;
    return Math.round(((last.records - first.records) * 1000) / (last.ms - first.ms));
  }

  private push(final: boolean): void {
    const records = this.verifier.records;
    const ms = this.now() / 1e6;
    this.history.push({ ms, records });
    while (this.history.length > 2 && (this.history[0]?.ms ?? ms) < ms - 1000) this.history.shift();
    if (!final && records === this.lastPushedRecords) return;
    this.lastPushedRecords = records;
    this.onUpdate({ state: this.sessionState, statistics: this.statistics(), points: this.plot.take() });
  }
}
