// Turns whatever went wrong into the plain ApiError the window shows: what
// failed, the OS's name and number for it, and what the user can do.
import type { z } from 'zod';
import type { ApiError, ApiName } from '../../api/shared-memory-api.js';
import { DeviceError, type DeviceErrorKind } from '../backends/device-backend.js';

/** The user's words for each API call, for "<this> failed: ...". */
const ACTION: Record<ApiName, string> = {
  getStatus: 'Reading the driver status',
  allocate: 'Allocate memory',
  readValues: 'Reading the shared memory',
  writeValues: 'Writing the shared memory',
  verify: 'Verify in driver',
  release: 'Release memory',
  startDriver: 'Starting the kernel driver',
  startStream: 'Start stream',
  stopStream: 'Stop stream',
};

/** Used when the backend had no hint of its own for this kind of failure. */
const FALLBACK_HINT: Partial<Record<DeviceErrorKind, string>> = {
  'invalid-parameter':
    'Sizes run from 1 byte to the driver\'s maximum; offsets are even and inside the allocation',
  'buffer-too-small': 'The app and the driver disagree on the header\'s structs; install matching versions',
  busy: 'Release the current allocation first',
  'nothing-allocated': 'Allocate memory first',
  'no-resources': 'Ask for less, or release other allocations',
  'handle-closed': 'Restart the app to reopen the device',
};

export function deviceApiError(name: ApiName, error: DeviceError): ApiError {
  const hint = error.hint || FALLBACK_HINT[error.kind] || undefined;
  // error.message reads "<operation> failed: <meaning> (<OS name>, <code>)[. <hint>]".
  const detail = error.message.replace(/^[\w-]+ failed: /, '').replace(/\. .*$/s, '');
  return {
    operation: name,
    kind: error.kind,
    message: `${ACTION[name]} failed: ${detail}.${hint ? ` ${hint}.` : ''}`,
    osName: error.osName,
    osCode: error.osCode,
    ...(hint ? { hint } : {}),
  };
}

/** A failure the app itself detected before asking the driver (no OS error). */
export function appApiError(name: ApiName, kind: string, reason: string, hint?: string): ApiError {
  return {
    operation: name,
    kind,
    message: `${ACTION[name]} failed: ${reason}.${hint ? ` ${hint}.` : ''}`,
    ...(hint ? { hint } : {}),
  };
}

/** A request that failed its channel's schema: every problem, with where it is. */
export function invalidRequestError(name: ApiName, error: z.ZodError): ApiError {
  const problems = error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  return {
    operation: name,
    kind: 'invalid-request',
    message: `${ACTION[name]} refused an invalid request: ${problems}.`,
    hint: 'Nothing was changed; correct the input and try again',
  };
}

/** Anything else (a bug, or a failure outside the device): still a message, never a throw. */
export function unexpectedApiError(name: ApiName, error: unknown): ApiError {
  if (error instanceof DeviceError) return deviceApiError(name, error);
  const reason = error instanceof Error ? error.message : String(error);
  return appApiError(name, 'internal', `unexpected error: ${reason}`);
}
