// The Live signal plot: uPlot draws the decimated stream on one canvas (no
// DOM node per point), redrawn at most once per animation frame and only
// when the feed changed. uPlot is loaded on first use, in its own chunk.
import { useEffect, useRef, useState } from 'react';
import 'uplot/dist/uPlot.min.css';
import type { StreamFeed } from '../state/stream-feed.js';

interface Props {
  feed: StreamFeed;
}

const HEIGHT = 220;

export function LiveSignalPlot({ feed }: Props) {
  const host = useRef<HTMLDivElement>(null);
  const [problem, setProblem] = useState<string | null>(null);

  useEffect(() => {
    const element = host.current;
    if (!element) return;
    let plot: { setData(data: [number[], number[]]): void; setSize(size: { width: number; height: number }): void; destroy(): void } | null = null;
    let frame = 0;
    let drawn = -1;
    let cancelled = false;
    const draw = (): void => {
      frame = requestAnimationFrame(draw);
      if (!plot || feed.version === drawn) return;
      drawn = feed.version;
      plot.setData(feed.series());
    };
    import('uplot')
      .then(({ default: UPlot }) => {
        if (cancelled) return;
        const made = new UPlot(
          {
            width: Math.max(320, element.clientWidth),
            height: HEIGHT,
            legend: { show: false },
            cursor: { show: false },
            scales: { x: { time: false }, y: { range: [-17000, 17000] } },
            axes: [{ label: 'record sequence' }, { label: 'sample' }],
            series: [{}, { label: 'sample', stroke: '#1f5fbf', width: 1, points: { show: false } }],
          },
          feed.series(),
          element,
        );
        // The contract's accessible name is on the canvas itself.
        made.ctx.canvas.setAttribute('role', 'img');
        made.ctx.canvas.setAttribute('aria-label', 'Live signal');
        plot = made;
        frame = requestAnimationFrame(draw);
      })
      .catch((error: unknown) => setProblem(`The live plot cannot be drawn here: ${error instanceof Error ? error.message : String(error)}`));
    const resize = new ResizeObserverOr(element, (width) => plot?.setSize({ width: Math.max(320, width), height: HEIGHT }));
    return () => {
      cancelled = true;
      cancelAnimationFrame(frame);
      resize.disconnect();
      plot?.destroy();
    };
  }, [feed]);

  return (
    <div className="live-signal">
      <div ref={host} className="live-signal__plot" />
      {problem ? (
        <canvas role="img" aria-label="Live signal" className="live-signal__fallback">
          {problem}
        </canvas>
      ) : null}
      {problem ? <p className="field__help">{problem}</p> : null}
    </div>
  );
}

/** ResizeObserver where the page has one (jsdom does not). */
class ResizeObserverOr {
  private readonly observer: ResizeObserver | null;
  constructor(element: HTMLElement, onWidth: (width: number) => void) {
    this.observer =
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver((entries) => {
            const width = entries[0]?.contentRect.width;
            if (width) onWidth(width);
          });
    this.observer?.observe(element);
  }
  disconnect(): void {
    this.observer?.disconnect();
  }
}
