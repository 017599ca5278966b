// Thins the signal for the window's plot: of every `stride` records it keeps
// the smallest and the largest sample (in sequence order), so the envelope
// survives at any rate while the window gets a few thousand points a second.
import type { StreamPoints } from '../../api/shared-memory-api.js';

/** Points a second the plot gets, about, whatever the rate. */
export const PLOT_POINTS_PER_SECOND = 3000;
/** The most points one update carries (the API's limit is 4096). */
export const MAX_POINTS_PER_UPDATE = 4000;

export const strideForRate = (rateHz: number): number => Math.max(1, Math.floor((2 * rateHz) / PLOT_POINTS_PER_SECOND));

export class PlotDecimator {
  private sequence: number[] = [];
  private sample: number[] = [];
  private inBucket = 0;
  private minSeq = 0;
  private minSample = 0;
  private maxSeq = 0;
  private maxSample = 0;

  constructor(private readonly stride: number) {}

  add(sequence: number, sample: number): void {
    if (this.inBucket === 0 || sample < this.minSample) {
      this.minSample = sample;
      this.minSeq = sequence;
    }
    if (this.inBucket === 0 || sample > this.maxSample) {
      this.maxSample = sample;
      this.maxSeq = sequence;
    }
    if (++this.inBucket >= this.stride) this.closeBucket();
  }

  /** The points since the last take (an unfinished stretch stays for the next). */
  take(): StreamPoints {
    const points = { sequence: this.sequence, sample: this.sample };
    this.sequence = [];
    this.sample = [];
    return points;
  }

  private closeBucket(): void {
    this.inBucket = 0;
    // A slow window must not make the queue grow without bound: keep the newest.
    if (this.sequence.length >= MAX_POINTS_PER_UPDATE) {
      this.sequence.splice(0, 2);
      this.sample.splice(0, 2);
    }
    if (this.minSeq === this.maxSeq) {
      this.sequence.push(this.minSeq);
      this.sample.push(this.minSample);
    } else if (this.minSeq < this.maxSeq) {
      this.sequence.push(this.minSeq, this.maxSeq);
      this.sample.push(this.minSample, this.maxSample);
    } else {
      this.sequence.push(this.maxSeq, this.minSeq);
      this.sample.push(this.maxSample, this.minSample);
    }
  }
}
