// The read-only Shared memory view of the original dialog: one u16 per line,
// as the Qt text edit showed them, with a gutter of hex byte offsets beside it
// (kept out of the text so the view holds exactly the values).
import { useRef, type UIEvent } from 'react';
import type { Values } from '../../../api/shared-memory-api.js';

const MAX_VISIBLE_ROWS = 16;

export function MemoryView({ view, allocated }: { view: Values | null; allocated: boolean }) {
  const gutter = useRef<HTMLPreElement>(null);
  const values = view?.values ?? [];
  const width = Math.max(4, ((view?.offset ?? 0) + values.length * 2).toString(16).length);
  const offsets = values.map((_, i) => `0x${((view?.offset ?? 0) + i * 2).toString(16).padStart(width, '0')}`);
  const rows = Math.min(MAX_VISIBLE_ROWS, Math.max(10, values.length));

  const syncGutter = (event: UIEvent<HTMLTextAreaElement>) => {
    if (gutter.current) gutter.current.scrollTop = event.currentTarget.scrollTop;
  };

  return (
    <div className="memory-view">
      {/* The gutter takes the textarea's height, however it is resized. */}
      <div className="memory-view__gutter" aria-hidden="true" style={{ width: `calc(${width + 2}ch + 18px)` }}>
        <pre className="memory-view__offsets" ref={gutter}>
          {offsets.join('\n')}
        </pre>
      </div>
      <textarea
        className="memory-view__values"
        aria-label="Shared memory view"
        aria-describedby="memory-view-caption"
        readOnly
        rows={rows}
        value={values.join('\n')}
        onScroll={syncGutter}
        placeholder={allocated ? 'Fill view reads the values here' : 'Allocate memory, then Fill view'}
      />
      <p id="memory-view-caption" className="memory-view__caption">
        {view
          ? `${values.length} value${values.length === 1 ? '' : 's'} (u16, decimal) from byte offset 0x${view.offset.toString(16)}`
          : 'Nothing read yet'}
      </p>
    </div>
  );
}
