// A failed request, in the window: what failed, the OS's name and number for
// the error, and what to do. Stays until dismissed or the next success.
import type { ApiError } from '../../../api/shared-memory-api.js';

export function ErrorAlert({ error, onDismiss }: { error: ApiError | null; onDismiss: () => void }) {
  if (!error) return null;
  return (
    <div className="alert" role="alert">
      <p className="alert__message">{error.message}</p>
      {error.osName !== undefined || error.osCode !== undefined ? (
        <p className="alert__os">
          OS error: <span className="mono">{[error.osName, error.osCode].filter((x) => x !== undefined).join(' ')}</span>
        </p>
      ) : null}
      {/* Backend messages often end with the hint already. */}
      {error.hint && !error.message.includes(error.hint) ? <p className="alert__hint">{error.hint}</p> : null}
      <button type="button" onClick={onDismiss}>
        Dismiss
      </button>
    </div>
  );
}
