// For tests: runs a call that must fail with a DeviceError and returns that
// error, so a test can check its kind, OS name and number.
import { DeviceError } from './device-backend.js';

export function caughtDeviceError(fn: () => unknown): DeviceError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DeviceError) return error;
    throw error;
  }
  throw new Error('expected a DeviceError, but the call succeeded');
}
