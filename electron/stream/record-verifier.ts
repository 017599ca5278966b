// Checks every record the app reads against CONTRACT.md 5.1's signal and
// keeps the run's counts: sequence numbers only go up, the gaps add up to
// the ring's `dropped`, sample = shm_stream_sample(sequence), check =
// shm_stream_check(sequence, sample), reserved = 0; and the latency from the
// driver's timestamp_ns to the moment the app read the record.
import { RECORD_OFFSET, STRUCT_SIZE } from '../../api/device.js';
import { shmStreamCheck, shmStreamSample } from '../../api/stream-signal.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { PlotDecimator } from './plot-decimator.js';
import { getU64 } from './u64-field.js';

export class RecordVerifier {
  records = 0;
  skipped = 0;
  invalid = 0;
  firstProblem: string | null = null;
  readonly latency = new LatencyHistogram();
  /** The sequence number the next record should carry. */
  private expected = 0;

  constructor(private readonly plot: PlotDecimator) {}

  /** Verifies `count` records laid out in `view`, read at `nowNs` on the driver's clock. */
  verify(view: DataView, count: number, nowNs: number): void {
    const size = STRUCT_SIZE.record;
    for (let i = 0, at = 0; i < count; i++, at += size) {
      const sequence = getU64(view, at + RECORD_OFFSET.sequence);
      const sample = view.getInt32(at + RECORD_OFFSET.sample, true);
      const check = view.getUint32(at + RECORD_OFFSET.check, true);
      const reserved =
        view.getUint32(at + RECORD_OFFSET.reserved, true) | view.getUint32(at + RECORD_OFFSET.reserved + 4, true);
      this.records += 1;
      if (sequence < this.expected) {
        this.problem(`record ${this.records - 1} has sequence ${sequence}, but ${this.expected} or later was due`);
      } else {
        this.skipped += sequence - this.expected;
        this.expected = sequence + 1;
      }
      if (sample !== shmStreamSample(sequence)) {
        this.problem(`record ${sequence} has sample ${sample}, not ${shmStreamSample(sequence)}`);
      } else if (check !== shmStreamCheck(sequence, sample)) {
        this.problem(`record ${sequence} has check 0x${check.toString(16)}, not 0x${shmStreamCheck(sequence, sample).toString(16)}`);
      } else if (reserved !== 0) {
        this.problem(`record ${sequence} has a reserved field that is not 0`);
      }
      this.latency.record(nowNs - getU64(view, at + RECORD_OFFSET.timestampNs));
      this.plot.add(sequence, sample);
    }
  }

  private problem(what: string): void {
    this.invalid += 1;
    this.firstProblem ??= what;
  }
}
