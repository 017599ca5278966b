// Runs inside the test VM, where the sharedmemory module is loaded: drives
// the app's real Linux backend through the same SharedMemoryService the window
// uses. Bundled by esbuild (driver/linux/tests/run-vm-tests.mjs), koffi kept
// external. Prints "ok"/"FAIL" per check and "node-backend: N passed, N failed".
//
//   node linux-backend-guest-check.mjs             as root: the whole flow
//   node linux-backend-guest-check.mjs --denied    as uid 1000: refused, with the group hint
//   node linux-backend-guest-check.mjs --missing   module unloaded: not installed, how to load
import { parseArgs } from 'node:util';
import { SHM_DEFAULT_MAX_SIZE, SHM_DEFAULT_TOTAL_CAP } from '../../api/device.js';
import type { ApiResult } from '../../api/shared-memory-api.js';
import { BackendUnavailableError, selectBackend } from '../service/backend-selection.js';
import { SharedMemoryService } from '../service/shared-memory-service.js';
import { DeviceError, type DeviceHandle } from './device-backend.js';
import { createLinuxBackend } from './linux-backend.js';

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} node-backend: ${name}${ok || !detail ? '' : `: ${detail}`}`);
}

function value<T>(result: ApiResult<T>, name: string): T | null {
  if (result.ok) return result.value;
  check(name, false, result.error.message);
  return null;
}

function sameArray(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return null;
}

async function wholeFlow(): Promise<void> {
  const selected = await selectBackend('linux');
  check('backend selection picks the kernel driver', selected.backend.kind === 'linux', selected.reason);
  const service = new SharedMemoryService({ ...selected, platform: 'linux' });

  const before = value(await service.getStatus({}), 'getStatus');
  check(
    'getStatus reads QUERY (ABI 1, driver 1.1, nothing allocated)',
    before?.device?.abiVersion === 1 && before.device.driverVersion === 0x10001 && before.allocation === null,
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
  check('a second allocate on the handle is EBUSY', !busy.ok && busy.error.osName === 'EBUSY' && busy.error.kind === 'busy',
    JSON.stringify(busy));

  const outside = await service.readValues({ offset: 12_280, count: 8 });
  check('reading past the allocation is refused before touching memory', !outside.ok && outside.error.kind === 'out-of-range',
    JSON.stringify(outside));

  const released = value(await service.release({}), 'release');
  check('release frees it and QUERY drops back', released?.allocation === null && released.device?.totalBytes === baseBytes,
    JSON.stringify(released?.device));

  const again = await service.release({});
  check('release with nothing allocated is ENODATA', !again.ok && again.error.osName === 'ENODATA' && again.error.kind === 'nothing-allocated',
    JSON.stringify(again));

  const tooBig = await service.allocate({ size: SHM_DEFAULT_MAX_SIZE + 1 });
  check('allocate above max_size is EINVAL', !tooBig.ok && tooBig.error.osName === 'EINVAL', JSON.stringify(tooBig));

  // The global cap: other handles take all of it, then the window's allocate fails cleanly.
  const others: DeviceHandle[] = [];
  try {
    const backend = createLinuxBackend();
    for (let taken = baseBytes; taken + SHM_DEFAULT_MAX_SIZE <= SHM_DEFAULT_TOTAL_CAP; taken += SHM_DEFAULT_MAX_SIZE) {
      const h = backend.open();
      others.push(h);
      h.allocate(SHM_DEFAULT_MAX_SIZE);
    }
    const capped = await service.allocate({ size: SHM_DEFAULT_MAX_SIZE });
    check('allocate past the global cap is ENOMEM with a hint', !capped.ok && capped.error.osName === 'ENOMEM' && Boolean(capped.error.hint),
      JSON.stringify(capped));
  } finally {
    for (const h of others) h.close();
  }

  // The copy path and the backend's own checks, on a second handle.
  const handle = createLinuxBackend().open();
  try {
    const a = handle.allocate(5000);
    const bytes = handle.readCopy(0, 20);
    const fromCopy = Array.from({ length: 10 }, (_, i) => (bytes[2 * i] ?? 0) | ((bytes[2 * i + 1] ?? 0) << 8));
    check('readCopy (pread) returns the seed', a.mappedSize === 8192 && sameArray(fromCopy, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]));
    check('readCopy at the end returns 0 bytes', handle.readCopy(8192, 16).length === 0 && handle.readCopy(8190, 16).length === 2);
    const odd = caught(() => handle.inspect(1, 1));
    check('INSPECT at an odd offset is EINVAL from the driver', odd instanceof DeviceError && odd.osName === 'EINVAL');
    handle.release();
    const nodata = caught(() => handle.inspect(0, 1));
    check('INSPECT after release is ENODATA', nodata instanceof DeviceError && nodata.kind === 'nothing-allocated');
  } finally {
    handle.close();
  }

  await service.dispose();
  const after = createLinuxBackend().open();
  try {
    check('after dispose the totals are back where they started', after.query().totalBytes === baseBytes);
  } finally {
    after.close();
  }
}

async function denied(): Promise<void> {
  const error = caught(() => createLinuxBackend().open());
  check(
    'uid outside group sharedmemory: open is EACCES, hint says to join the group',
    error instanceof DeviceError && error.kind === 'access-denied' && error.osName === 'EACCES' && /usermod -aG sharedmemory/.test(error.hint),
    String(error),
  );
  const auto = await selectBackend('auto');
  check('backend auto falls back to the simulated driver and says why', auto.backend.kind === 'simulated' && /EACCES/.test(auto.reason), auto.reason);
  auto.handle.close();
  const explicit = await selectBackend('linux').then(
    () => null,
    (e: unknown) => e,
  );
  check('backend linux refuses with the reason', explicit instanceof BackendUnavailableError && /EACCES/.test(explicit.message), String(explicit));
}

async function missing(): Promise<void> {
  const error = caught(() => createLinuxBackend().open());
  check(
    'module not loaded: open is ENOENT, hint says how to load it',
    error instanceof DeviceError && error.kind === 'not-installed' && error.osName === 'ENOENT' && /insmod|modprobe/.test(error.hint),
    String(error),
  );
  const auto = await selectBackend('auto');
  check('backend auto falls back to the simulated driver', auto.backend.kind === 'simulated' && /not installed/.test(auto.reason), auto.reason);
  auto.handle.close();
}

const { values } = parseArgs({ options: { denied: { type: 'boolean' }, missing: { type: 'boolean' } } });
try {
  if (values.denied) await denied();
  else if (values.missing) await missing();
  else await wholeFlow();
} catch (error) {
  check('no unexpected exception', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
}
console.log(`node-backend: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
