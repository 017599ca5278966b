// Turns a Win32 error from the SharedMemory device into the app's DeviceError,
// following CONTRACT.md's error table, with a hint the user can act on.
//
// The driver fails IRPs with NTSTATUS codes; the I/O manager (RtlNtStatusToDosError)
// turns them into the Win32 errors that GetLastError returns here:
//   STATUS_INVALID_PARAMETER      -> 87   ERROR_INVALID_PARAMETER
//   STATUS_BUFFER_TOO_SMALL       -> 122  ERROR_INSUFFICIENT_BUFFER
//   STATUS_DEVICE_BUSY            -> 170  ERROR_BUSY
//   STATUS_INVALID_DEVICE_STATE   -> 22   ERROR_BAD_COMMAND
//   STATUS_INSUFFICIENT_RESOURCES -> 1450 ERROR_NO_SYSTEM_RESOURCES
//   STATUS_INVALID_DEVICE_REQUEST -> 1    ERROR_INVALID_FUNCTION
//   STATUS_END_OF_FILE            -> 38   ERROR_HANDLE_EOF
//   STATUS_IO_DEVICE_ERROR        -> 1117 ERROR_IO_DEVICE (a faulted stream's ReadFile)
import { DeviceError, type DeviceErrorKind, type DeviceOperation } from './device-backend.js';

export const WIN32_ERROR = {
  ERROR_INVALID_FUNCTION: 1,
  ERROR_FILE_NOT_FOUND: 2,
  ERROR_PATH_NOT_FOUND: 3,
  ERROR_ACCESS_DENIED: 5,
  ERROR_INVALID_HANDLE: 6,
  ERROR_NOT_ENOUGH_MEMORY: 8,
  ERROR_OUTOFMEMORY: 14,
  ERROR_BAD_COMMAND: 22,
  ERROR_GEN_FAILURE: 31,
  ERROR_SHARING_VIOLATION: 32,
  ERROR_HANDLE_EOF: 38,
  ERROR_INVALID_PARAMETER: 87,
  ERROR_INSUFFICIENT_BUFFER: 122,
  ERROR_BUSY: 170,
  ERROR_IO_DEVICE: 1117,
  ERROR_NO_SYSTEM_RESOURCES: 1450,
} as const;

const WIN32_ERROR_NAME = new Map<number, string>(
  Object.entries(WIN32_ERROR).map(([name, code]) => [code, name]),
);

export function win32ErrorName(code: number): string {
  return WIN32_ERROR_NAME.get(code) ?? `Win32 error ${code}`;
}

const INSTALL_HINT =
  'Install the driver (the SharedMemory installer, or pnputil /add-driver sharedmemory.inf /install) ' +
  'and start it as administrator: sc start SharedMemory';
const ADMIN_HINT =
  'Run the app as administrator: the device admits only Administrators and SYSTEM';
const DRIVER_GONE_HINT =
  'The handle was opened for reading and writing, so the driver itself refused or stopped ' +
  'answering; check that the service SharedMemory is still running (sc query SharedMemory)';

function classify(
  operation: DeviceOperation,
  code: number,
): { kind: DeviceErrorKind; hint?: string } {
  switch (code) {
    case WIN32_ERROR.ERROR_FILE_NOT_FOUND:
    case WIN32_ERROR.ERROR_PATH_NOT_FOUND:
      return operation === 'open'
        ? { kind: 'not-installed', hint: INSTALL_HINT }
        : { kind: 'os-error' };
    case WIN32_ERROR.ERROR_ACCESS_DENIED:
      return { kind: 'access-denied', hint: operation === 'open' ? ADMIN_HINT : DRIVER_GONE_HINT };
    case WIN32_ERROR.ERROR_INVALID_PARAMETER:
      return { kind: 'invalid-parameter' };
    case WIN32_ERROR.ERROR_INSUFFICIENT_BUFFER:
      return { kind: 'buffer-too-small' };
    case WIN32_ERROR.ERROR_BUSY:
      return { kind: 'busy', hint: 'Release the current allocation first' };
    case WIN32_ERROR.ERROR_BAD_COMMAND:
      return { kind: 'nothing-allocated', hint: 'Allocate memory first' };
    case WIN32_ERROR.ERROR_NO_SYSTEM_RESOURCES:
    case WIN32_ERROR.ERROR_NOT_ENOUGH_MEMORY:
    case WIN32_ERROR.ERROR_OUTOFMEMORY:
      return {
        kind: 'no-resources',
        hint:
          'Ask for less, release other allocations, or raise TotalCapMiB under ' +
          'HKLM\\SYSTEM\\CurrentControlSet\\Services\\SharedMemory\\Parameters',
      };
    case WIN32_ERROR.ERROR_INVALID_FUNCTION:
      return {
        kind: 'unknown-request',
        hint: 'The installed driver does not match this app; install the driver that ships with it',
      };
    case WIN32_ERROR.ERROR_INVALID_HANDLE:
      return { kind: 'handle-closed' };
    case WIN32_ERROR.ERROR_IO_DEVICE:
      return { kind: 'stream-faulted', hint: 'Stop the stream and start it again; do not write into the ring header' };
    case WIN32_ERROR.ERROR_SHARING_VIOLATION:
      return { kind: 'os-error', hint: 'Another program holds the device exclusively' };
    default:
      return { kind: 'os-error' };
  }
}

export function win32Error(operation: DeviceOperation, code: number): DeviceError {
  const { kind, hint } = classify(operation, code);
  return new DeviceError({ operation, kind, osName: win32ErrorName(code), osCode: code, hint });
}
