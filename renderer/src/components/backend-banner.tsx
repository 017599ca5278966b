// Says which driver the window talks to. The simulated driver is announced
// plainly, with how to get the real one; an installed but stopped driver gets
// a Start driver button when this process may start it.
import type { DriverServiceStatus, Status } from '../../../api/shared-memory-api.js';
import type { TransportKind } from '../transport/create-api.js';

interface Props {
  status: Status | null;
  /** Where the window runs: what "start again" means differs. */
  transport: TransportKind;
  canStartDriver: boolean;
  onStartDriver: () => void;
}

/**
 * Splits the backend's reason ("Simulated driver — the kernel driver is not
 * installed (ENOENT 2). Install it: ...") into a headline (its first clause)
 * and the details after it, so the banner states the situation once.
 */
export function splitReason(reason: string): { headline: string; details: string } {
  const dash = reason.indexOf(' — ');
  const from = dash < 0 ? 0 : dash + 3;
  const ends = [reason.indexOf(' (', from), reason.indexOf('. ', from)].filter((i) => i >= 0);
  if (ends.length === 0) return { headline: reason, details: '' };
  const end = Math.min(...ends);
  return { headline: reason.slice(0, end), details: reason.slice(end).replace(/^\.\s*/, '').trim() };
}

/** The driver service's state in words, not its token. */
export const SERVICE_STATE_WORDS: Record<DriverServiceStatus['state'], string> = {
  running: 'running',
  stopped: 'installed, stopped',
  'not-installed': 'not installed',
  unknown: 'state unknown',
};

/** What to do after installing the real driver, true for where the window runs. */
export function restartAdvice(transport: TransportKind): string {
  return transport === 'electron'
    ? 'then quit SharedMemory and open it again.'
    : 'then stop npm run start:web (Ctrl+C), run it again and open the new address it prints.';
}

export function BackendBanner({ status, transport, canStartDriver, onStartDriver }: Props) {
  if (!status) return null;
  const { backend, driverService } = status;
  const { headline, details } = splitReason(backend.reason);
  return (
    <section
      className={`banner ${backend.simulated ? 'banner--simulated' : 'banner--kernel'}`}
      aria-label="Driver"
    >
      <p className="banner__headline">{headline}</p>
      {details ? <p className="banner__reason">{details}</p> : null}
      {backend.simulated ? (
        <p className="banner__howto">
          It works the same, but no kernel is involved. For the real driver, install it (Windows: the SharedMemory
          installer; Linux: the kernel module; see the README), {restartAdvice(transport)}
        </p>
      ) : null}
      {driverService ? (
        <p className="banner__service">
          Driver service: <strong>{SERVICE_STATE_WORDS[driverService.state]}</strong> — {driverService.detail}{' '}
          {driverService.canStart ? (
            <button type="button" onClick={onStartDriver} disabled={!canStartDriver}>
              Start driver
            </button>
          ) : null}
        </p>
      ) : null}
    </section>
  );
}
