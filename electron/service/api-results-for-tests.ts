// For tests of SharedMemoryService: unwrap an ApiResult that must have
// succeeded (its value) or failed (its error), with the other case a failure
// that says what came back instead.
import type { ApiError, ApiResult } from '../../api/shared-memory-api.js';

export function ok<T>(result: ApiResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got: ${result.error.message}`);
  return result.value;
}

export function err<T>(result: ApiResult<T>): ApiError {
  if (result.ok) throw new Error('expected an error result');
  return result.error;
}
