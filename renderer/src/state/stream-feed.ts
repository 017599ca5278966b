// What the window keeps of a stream between pushes: the newest statistics and
// a rolling window of decimated points for the plot, in typed arrays the plot
// reads every animation frame without copying through React state.
import type { StreamPoints, StreamStatistics, StreamUpdate } from '../../../api/shared-memory-api.js';

/** Points the plot shows: about two seconds of the decimated signal. */
export const PLOT_WINDOW_POINTS = 6000;

export class StreamFeed {
  private readonly xs = new Float64Array(PLOT_WINDOW_POINTS);
  private readonly ys = new Float64Array(PLOT_WINDOW_POINTS);
  private start = 0;
  private length = 0;
  /** Goes up with every change, so a reader can skip frames with nothing new. */
  version = 0;
  statistics: StreamStatistics | null = null;
  state: StreamUpdate['state'] | null = null;

  apply(update: StreamUpdate): void {
    this.statistics = update.statistics;
    this.state = update.state;
    this.append(update.points);
  }

  append(points: StreamPoints): void {
    const n = points.sequence.length;
    for (let i = 0; i < n; i++) {
      const at = (this.start + this.length) % PLOT_WINDOW_POINTS;
      this.xs[at] = points.sequence[i] ?? 0;
      this.ys[at] = points.sample[i] ?? 0;
      if (this.length < PLOT_WINDOW_POINTS) this.length += 1;
      else this.start = (this.start + 1) % PLOT_WINDOW_POINTS;
    }
    this.version += 1;
  }

  /** The points in order, oldest first: [sequence numbers, samples]. */
  series(): [number[], number[]] {
    const xs = new Array<number>(this.length);
    const ys = new Array<number>(this.length);
    for (let i = 0; i < this.length; i++) {
      const at = (this.start + i) % PLOT_WINDOW_POINTS;
      xs[i] = this.xs[at] ?? 0;
      ys[i] = this.ys[at] ?? 0;
    }
    return [xs, ys];
  }

  get size(): number {
    return this.length;
  }

  clear(): void {
    this.start = 0;
    this.length = 0;
    this.statistics = null;
    this.state = null;
    this.version += 1;
  }
}
