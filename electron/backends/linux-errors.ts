// Turns an errno from the sharedmemory device into the app's DeviceError,
// following CONTRACT.md's error table, with a hint the user can act on.
import { constants } from 'node:os';
import { DeviceError, type DeviceErrorKind, type DeviceOperation } from './device-backend.js';

// The first name for a number wins: EAGAIN, not its alias EWOULDBLOCK.
const ERRNO_NAME = new Map<number, string>(
  Object.entries(constants.errno)
    .reverse()
    .map(([name, code]) => [code, name]),
);

export function errnoName(code: number): string {
  return ERRNO_NAME.get(code) ?? `errno ${code}`;
}

const LOAD_HINT =
  'Load the kernel module (sudo modprobe sharedmemory, or sudo insmod sharedmemory.ko) ' +
  'and check that /dev/sharedmemory exists';
const GROUP_HINT =
  'Add yourself to the group sharedmemory (sudo usermod -aG sharedmemory $USER), ' +
  'then log out and in again';
const READ_WRITE_HINT =
  'Allocating and releasing need the device open for reading and writing (O_RDWR); ' +
  'this handle is not, or is no longer open: restart the app to reopen the device';

/**
 * The operations the module refuses with EBADF, before any other check, on an
 * fd not open for both reading and writing (CONTRACT.md section 3).
 */
export const NEEDS_READ_WRITE: ReadonlySet<DeviceOperation> = new Set(['allocate', 'release', 'stream-start', 'stream-stop']);

function classify(
  operation: DeviceOperation,
  name: string,
): { kind: DeviceErrorKind; hint?: string } {
  switch (name) {
    case 'ENOENT':
    case 'ENODEV':
    case 'ENXIO':
      return operation === 'open'
        ? { kind: 'not-installed', hint: LOAD_HINT }
        : { kind: 'os-error' };
    case 'EACCES':
    case 'EPERM':
      return { kind: 'access-denied', hint: operation === 'open' ? GROUP_HINT : undefined };
    case 'EINVAL':
      return { kind: 'invalid-parameter' };
    case 'EFAULT':
      return { kind: 'buffer-too-small' };
    case 'EBUSY':
      return { kind: 'busy', hint: 'Release the current allocation first' };
    case 'ENODATA':
      return { kind: 'nothing-allocated', hint: 'Allocate memory first' };
    case 'ENOMEM':
      return {
        kind: 'no-resources',
        hint: 'Ask for less, release other allocations, or raise the module parameter total_cap_mib',
      };
    case 'ENOTTY':
      return {
        kind: 'unknown-request',
        hint: 'The loaded module does not match this app; load the module that ships with it',
      };
    case 'EBADF':
      return NEEDS_READ_WRITE.has(operation)
        ? { kind: 'access-denied', hint: READ_WRITE_HINT }
        : { kind: 'handle-closed' };
    case 'EAGAIN':
      return { kind: 'would-block' };
    case 'EIO':
      return operation === 'read-copy'
        ? { kind: 'stream-faulted', hint: 'Stop the stream and start it again; do not write into the ring header' }
        : { kind: 'os-error' };
    default:
      return { kind: 'os-error' };
  }
}

export function errnoError(operation: DeviceOperation, code: number): DeviceError {
  const name = errnoName(code);
  const { kind, hint } = classify(operation, name);
  return new DeviceError({ operation, kind, osName: name, osCode: code, hint });
}
