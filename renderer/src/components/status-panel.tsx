// The Status region: the state, which driver answers and why, the mapping,
// and the driver's own totals from QUERY.
import type { Status } from '../../../api/shared-memory-api.js';
import { formatBytes, toHex } from '../input/parse-number.js';

interface Props {
  phase: string;
  status: Status | null;
  notice: string | null;
}

const version = (v: number): string => `${v >>> 16}.${v & 0xffff}`;

export function StatusPanel({ phase, status, notice }: Props) {
  const a = status?.allocation ?? null;
  const d = status?.device ?? null;
  return (
    // A live region that announces only what changed (aria-atomic false),
    // not the whole panel on every update.
    <section className="panel status" role="status" aria-label="Status" aria-atomic="false">
      <h2>Status</h2>
      <dl>
        <dt>State</dt>
        <dd data-testid="status-state">{phase}</dd>
        <dt>Backend</dt>
        <dd>{status ? `${status.backend.kind}${status.backend.simulated ? ' (simulated driver)' : ''}` : '—'}</dd>
        <dt>User address</dt>
        <dd className="mono">{a ? a.userAddress : '—'}</dd>
        <dt>Requested size</dt>
        <dd>{a ? `${a.requestedSize} bytes (${toHex(a.requestedSize)})` : '—'}</dd>
        <dt>Mapped size</dt>
        <dd>{a ? `${a.mappedSize} bytes (${toHex(a.mappedSize)})` : '—'}</dd>
        <dt>Driver</dt>
        <dd>
          {d
            ? `ABI ${d.abiVersion}, version ${version(d.driverVersion)}, page ${d.pageSize} bytes, max ${formatBytes(d.maxSize)}`
            : 'not queried'}
        </dd>
        <dt>Driver totals</dt>
        <dd>
          {d ? `${d.totalBytes} bytes in ${d.allocations} allocation${d.allocations === 1 ? '' : 's'}` : '—'}
        </dd>
        {notice ? (
          <>
            <dt>Last action</dt>
            <dd>{notice}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}
