// The whole flow of the window, through SharedMemoryService on a real kernel
// driver: the one suite both kernel backends run — the Linux backend in the
// test VM (electron/backends/linux-backend-guest-check.ts), the Windows
// backend in Windows Node under Wine (e2e/wine/backend-suite.ts). Each check
// is reported through `check`; the caller prints the count line.
import { SHM_DEFAULT_MAX_SIZE, SHM_DEFAULT_TOTAL_CAP, SHM_DRIVER_VERSION } from '../../api/device.js';
import type { ApiResult } from '../../api/shared-memory-api.js';
import { DeviceError, type DeviceBackend, type DeviceErrorKind, type DeviceHandle } from '../backends/device-backend.js';
import { SharedMemoryService, type SharedMemoryServiceOptions } from './shared-memory-service.js';

export type Check = (name: string, ok: boolean, detail?: string) => void;

/** The OS's number for each error row the flow meets (CONTRACT.md section 3). */
export interface PlatformErrors {
  busy: number;
  nothingAllocated: number;
  invalidParameter: number;
  noResources: number;
}

export const LINUX_ERRORS: PlatformErrors = { busy: 16, nothingAllocated: 61, invalidParameter: 22, noResources: 12 };
export const WINDOWS_ERRORS: PlatformErrors = { busy: 170, nothingAllocated: 22, invalidParameter: 87, noResources: 1450 };

function sameArray(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** What `fn` threw, or null when it returned. */
export function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return null;
}

/** `value` unwraps a result (a failure is reported as a failed check), `failedWith` tests a refusal's kind and OS number. */
export function resultCheckers(check: Check): {
  value: <T>(result: ApiResult<T>, name: string) => T | null;
  failedWith: <T>(result: ApiResult<T>, kind: DeviceErrorKind, code: number) => boolean;
} {
  return {
    value: (result, name) => {
      if (result.ok) return result.value;
      check(name, false, result.error.message);
      return null;
    },
    failedWith: (result, kind, code) => !result.ok && result.error.kind === kind && result.error.osCode === code,
  };
}

function isError(error: unknown, kind: DeviceErrorKind, code: number): boolean {
  return error instanceof DeviceError && error.kind === kind && error.osCode === code;
}

/**
 * Allocate → Fill view → write → Verify in driver → release, the error rows on
 * the way, the global cap, and the copy path on a second handle. The totals
 * must be back where they started at the end.
 */
export async function runServiceFlow(
  selected: Pick<SharedMemoryServiceOptions, 'backend' | 'handle' | 'reason' | 'platform'>,
  errors: PlatformErrors,
  check: Check,
): Promise<void> {
  const backend: DeviceBackend = selected.backend;
  const service = new SharedMemoryService(selected);
  const { value, failedWith } = resultCheckers(check);

  const before = value(await service.getStatus({}), 'getStatus');
  check(
    `getStatus reads QUERY (ABI 1, driver 0x${SHM_DRIVER_VERSION.toString(16)}, nothing allocated)`,
    before?.device?.abiVersion === 1 && before.device.driverVersion === SHM_DRIVER_VERSION && before.allocation === null,
    JSON.stringify(before),
  );
  const baseBytes = before?.device?.totalBytes ?? -1;

  const allocated = value(await service.allocate({ size: 10_000 }), 'allocate');
  check(
    'allocate 10000 bytes maps three pages at a user address',
    allocated?.allocation?.mappedSize === 12_288 && /^0x[0-9a-f]+$/.test(allocated.allocation.userAddress) &&
      allocated.allocation.userAddress !== '0x0',
    JSON.stringify(allocated?.allocation),
  );
  check(
    'QUERY counts the allocation',
    allocated?.device?.totalBytes === baseBytes + 12_288 && allocated.device.allocations >= 1,
    JSON.stringify(allocated?.device),
  );

  const seed = value(await service.readValues({ offset: 0, count: 10 }), 'readValues');
  check('Fill view reads 10, 9, ..., 1 through the mapping', sameArray(seed?.values ?? [], [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]), JSON.stringify(seed));

  const rest = value(await service.readValues({ offset: 20, count: 4096 }), 'readValues zero');
  check('the rest of the allocation is zero', rest !== null && rest.values.every((v) => v === 0));

  const written = value(await service.writeValues({ offset: 40, values: [0xbeef, 1, 65535] }), 'writeValues');
  check('writeValues writes through the mapping', sameArray(written?.values ?? [], [0xbeef, 1, 65535]), JSON.stringify(written));

  const verified = value(await service.verify({ offset: 0, count: 200 }), 'verify');
  check(
    'verify: INSPECT (kernel mapping) equals the user mapping, in 64-value chunks',
    verified?.matches === true && verified.driver.length === 200 && verified.driver[20] === 0xbeef &&
      verified.driver[22] === 65535,
    JSON.stringify(verified?.driver.slice(0, 24)),
  );

  const last = value(await service.writeValues({ offset: 12_286, values: [4242] }), 'write last u16');
  const lastVerified = value(await service.verify({ offset: 12_286, count: 1 }), 'verify last u16');
  check('the last u16 of the mapping round-trips', last?.values[0] === 4242 && lastVerified?.driver[0] === 4242);

  const busy = await service.allocate({ size: 4096 });
  check(`a second allocate on the handle is refused as busy (${errors.busy})`, failedWith(busy, 'busy', errors.busy), JSON.stringify(busy));

  const outside = await service.readValues({ offset: 12_280, count: 8 });
  check('reading past the allocation is refused before touching memory', !outside.ok && outside.error.kind === 'out-of-range',
    JSON.stringify(outside));

  const released = value(await service.release({}), 'release');
  check('release frees it and QUERY drops back', released?.allocation === null && released.device?.totalBytes === baseBytes,
    JSON.stringify(released?.device));

  const again = await service.release({});
  check(`release with nothing allocated is refused (${errors.nothingAllocated})`,
    failedWith(again, 'nothing-allocated', errors.nothingAllocated), JSON.stringify(again));

  const tooBig = await service.allocate({ size: SHM_DEFAULT_MAX_SIZE + 1 });
  check(`allocate above max_size is refused (${errors.invalidParameter})`,
    failedWith(tooBig, 'invalid-parameter', errors.invalidParameter), JSON.stringify(tooBig));

  // The global cap: other handles take all of it, then the window's allocate fails cleanly.
  const others: DeviceHandle[] = [];
  try {
    for (let taken = baseBytes; taken + SHM_DEFAULT_MAX_SIZE <= SHM_DEFAULT_TOTAL_CAP; taken += SHM_DEFAULT_MAX_SIZE) {
      const h = backend.open();
      others.push(h);
      h.allocate(SHM_DEFAULT_MAX_SIZE);
    }
    const capped = await service.allocate({ size: SHM_DEFAULT_MAX_SIZE });
    check(`allocate past the global cap is refused (${errors.noResources}) with a hint`,
      failedWith(capped, 'no-resources', errors.noResources) && !capped.ok && Boolean(capped.error.hint), JSON.stringify(capped));
  } finally {
    for (const h of others) h.close();
  }

  // The copy path and the backend's own checks, on a second handle.
  const handle = backend.open();
  try {
    const a = handle.allocate(5000);
    const bytes = handle.readCopy(0, 20);
    const fromCopy = Array.from({ length: 10 }, (_, i) => (bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8));
    check('readCopy (the copy path) returns the seed', a.mappedSize === 8192 && sameArray(fromCopy, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
    check('readCopy at the end returns 0 bytes, near it the bytes left', handle.readCopy(8192, 16).length === 0 && handle.readCopy(8190, 16).length === 2);
    check('INSPECT at an odd offset is refused by the driver', isError(caught(() => handle.inspect(1, 1)), 'invalid-parameter', errors.invalidParameter));
    handle.release();
    check('INSPECT after release: nothing allocated', isError(caught(() => handle.inspect(0, 1)), 'nothing-allocated', errors.nothingAllocated));
  } finally {
    handle.close();
  }

  await service.dispose();
  const after = backend.open();
  try {
    check('after dispose the totals are back where they started', after.query().totalBytes === baseBytes);
  } finally {
    after.close();
  }
}
