// For the simulated driver's tests: the OS error each row of the contract's
// error tables (sections 3 and 5.4) must come out as, per flavour. Written
// out by hand from CONTRACT.md, not derived from the driver's own table.
import { expect } from 'vitest';
import type { DeviceError } from '../backends/device-backend.js';
import type { OsFlavour } from './simulated-driver.js';

export const EXPECTED_OS_ERRORS: Record<OsFlavour, Record<string, [string, number]>> = {
  linux: {
    'invalid-parameter': ['EINVAL', 22],
    'buffer-too-small': ['EFAULT', 14],
    busy: ['EBUSY', 16],
    'nothing-allocated': ['ENODATA', 61],
    'no-resources': ['ENOMEM', 12],
    'unknown-request': ['ENOTTY', 25],
    'access-denied': ['EBADF', 9],
    'handle-closed': ['EBADF', 9],
    'stream-faulted': ['EIO', 5],
    'would-block': ['EAGAIN', 11],
  },
  windows: {
    'invalid-parameter': ['ERROR_INVALID_PARAMETER', 87],
    'buffer-too-small': ['ERROR_INSUFFICIENT_BUFFER', 122],
    busy: ['ERROR_BUSY', 170],
    'nothing-allocated': ['ERROR_BAD_COMMAND', 22],
    'no-resources': ['ERROR_NO_SYSTEM_RESOURCES', 1450],
    'unknown-request': ['ERROR_INVALID_FUNCTION', 1],
    'access-denied': ['ERROR_ACCESS_DENIED', 5],
    'handle-closed': ['ERROR_INVALID_HANDLE', 6],
    'stream-faulted': ['ERROR_IO_DEVICE', 1117],
  },
};

/** A check that `error` is `row` of the table, with this flavour's name and number in its message. */
export function expectRowFor(flavour: OsFlavour): (error: DeviceError, row: string) => void {
  return (error, row) => {
    const [name, code] = EXPECTED_OS_ERRORS[flavour][row] ?? ['?', -1];
    expect(error.kind).toBe(row);
    expect(error.osName).toBe(name);
    expect(error.osCode).toBe(code);
    expect(error.message).toContain(`(${name}, ${code})`);
  };
}
