// The Stream section (CONTRACT.md 5.5): Rate (records/s), Start stream and
// Stop stream, the Live signal plot and the Stream statistics region, one
// fact per line. Start is enabled only with an allocation of two pages or
// more and no stream; otherwise the section says why.
import { useState, type FormEvent } from 'react';
import type { SharedMemoryApi, StreamStatistics } from '../../../api/shared-memory-api.js';
import { parseRate } from '../input/parse-rate.js';
import { canStartStream, canStopStream, streamStartBlocker, type AppState } from '../state/app-state.js';
import { useStreamFeed } from '../state/use-stream-feed.js';
import { LiveSignalPlot } from './live-signal-plot.js';
import { NumberField } from './number-field.js';

export const DEFAULT_RATE = '1000';

interface Props {
  /** The section subscribes to the stream's pushes itself, so only it re-renders with them. */
  api: SharedMemoryApi;
  state: AppState;
  onStart: (rateHz: number) => void;
  onStop: () => void;
}

/** ns as the window shows it: microseconds below a millisecond, else milliseconds. */
export function formatLatency(ns: number): string {
  return ns < 1_000_000 ? `${Math.round(ns / 1000)} µs` : `${(ns / 1_000_000).toFixed(2)} ms`;
}

const STATE_WORDS = { running: 'running', stopped: 'stopped', faulted: 'faulted (the ring held an impossible tail)' } as const;

function StatisticsLines({ statistics, rateHz }: { statistics: StreamStatistics | null; rateHz: number | null }) {
  const s = statistics;
  return (
    <>
      <div>Records: {s ? s.records : 0}</div>
      <div>Dropped: {s ? s.dropped : 0}</div>
      <div>
        Rate: {s ? s.measuredRateHz : 0} records/s{rateHz ? ` (set ${rateHz})` : ''}
      </div>
      <div>
        Latency: {s?.latencyNs ? `p50 ${formatLatency(s.latencyNs.p50)}, p90 ${formatLatency(s.latencyNs.p90)}, p99 ${formatLatency(s.latencyNs.p99)}` : '—'}
      </div>
      <div>
        Verified: {s ? (s.invalid === 0 ? 'every record' : `${s.invalid} wrong — first: ${s.firstProblem ?? ''}`) : '—'}
        {s && s.skipped > 0 ? `; ${s.skipped} sequence numbers skipped` : ''}
      </div>
    </>
  );
}

export function StreamPanel({ api, state, onStart, onStop }: Props) {
  const stream = useStreamFeed(api);
  const [rate, setRate] = useState(DEFAULT_RATE);
  const [error, setError] = useState<string | null>(null);
  const current = state.status?.stream ?? null;
  const running = current?.state === 'running';
  const blocker = streamStartBlocker(state);

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    if (!canStartStream(state)) return;
    const parsed = parseRate(rate);
    setError(parsed.ok ? null : parsed.message);
    if (parsed.ok) onStart(parsed.value);
  };

  const shownState = stream.state ?? current?.state ?? null;
  return (
    <form className="panel stream" onSubmit={onSubmit} aria-label="Stream" noValidate>
      <h2>Stream</h2>
      <div className="stream__controls">
        <NumberField
          label="Rate (records/s)"
          value={rate}
          onChange={(value) => {
            setRate(value);
            setError(null);
          }}
          error={error}
          help="1 to 100000000; k and M multiply by 1000 and 1000000."
          disabled={running}
        />
        <div className="buttons">
          <button type="submit" disabled={!canStartStream(state)}>
            Start stream
          </button>
          <button type="button" onClick={onStop} disabled={!canStopStream(state)}>
            Stop stream
          </button>
        </div>
      </div>
      {blocker && !running ? <p className="stream__why">{blocker}</p> : null}
      {stream.pushError ? <p className="field__error">{stream.pushError.message}</p> : null}
      <LiveSignalPlot feed={stream.feed} />
      <section className="stream__statistics" aria-label="Stream statistics">
        {shownState ? <div>State: {STATE_WORDS[shownState]}</div> : null}
        <StatisticsLines statistics={stream.statistics} rateHz={current?.rateHz ?? null} />
      </section>
    </form>
  );
}
