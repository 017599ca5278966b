// Says which driver the window talks to. The simulated driver is announced
// plainly, with how to get the real one; an installed but stopped driver gets
// a Start driver button when this process may start it.
import type { Status } from '../../../api/shared-memory-api.js';

interface Props {
  status: Status | null;
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

export function BackendBanner({ status, canStartDriver, onStartDriver }: Props) {
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
          The app works the same with it, but no kernel is involved. To use the real driver, install it (on
          Windows the SharedMemory installer, on Linux the kernel module; see the README) and start the app again.
        </p>
      ) : null}
      {driverService ? (
        <p className="banner__service">
          Driver service: <strong>{driverService.state}</strong> — {driverService.detail}{' '}
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
