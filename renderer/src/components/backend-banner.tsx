// Says which driver the window talks to. The simulated driver is announced
// plainly, with how to get the real one; an installed but stopped driver gets
// a Start driver button when this process may start it.
import type { Status } from '../../../api/shared-memory-api.js';

interface Props {
  status: Status | null;
  canStartDriver: boolean;
  onStartDriver: () => void;
}

export const SIMULATED_HEADLINE = 'Simulated driver — the kernel driver is not installed';

export function BackendBanner({ status, canStartDriver, onStartDriver }: Props) {
  if (!status) return null;
  const { backend, driverService } = status;
  return (
    <section
      className={`banner ${backend.simulated ? 'banner--simulated' : 'banner--kernel'}`}
      aria-label="Driver"
    >
      <p className="banner__headline">
        {backend.simulated ? SIMULATED_HEADLINE : `Kernel driver (${backend.kind})`}
      </p>
      <p className="banner__reason">{backend.reason}</p>
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
