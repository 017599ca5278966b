// Verify in driver's answer: each value as this process's mapping holds it
// and as the driver read it through its kernel mapping (INSPECT).
import type { Verification } from '../../../api/shared-memory-api.js';

export function VerificationResult({ verification }: { verification: Verification | null }) {
  if (!verification) return null;
  const { offset, mapping, driver, matches } = verification;
  const differing = mapping.filter((v, i) => driver[i] !== v).length;
  return (
    <div className="verification" aria-label="Verification">
      <p className={matches ? 'verification__summary ok' : 'verification__summary bad'} data-testid="verify-summary">
        {matches
          ? `Match: the driver reads the same ${mapping.length} value${mapping.length === 1 ? '' : 's'} through its kernel mapping.`
          : `Mismatch: ${differing} of ${mapping.length} values differ between the mapping and the driver.`}
      </p>
      <div className="verification__table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Offset</th>
              <th scope="col">Mapping</th>
              <th scope="col">Driver</th>
              <th scope="col">Result</th>
            </tr>
          </thead>
          <tbody>
            {mapping.map((value, i) => {
              const same = driver[i] === value;
              return (
                <tr key={i} className={same ? undefined : 'differs'}>
                  <td className="mono">0x{(offset + i * 2).toString(16)}</td>
                  <td>{value}</td>
                  <td>{driver[i] ?? '—'}</td>
                  <td>{same ? '✓ match' : '✗ differs'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
