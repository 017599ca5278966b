// The app's real Windows backend (koffi on kernel32.dll), run in Windows Node
// under Wine against the cross-built driver. Bundled by run-wine-tests.mjs
// into one .mjs with koffi left external (resolved from a node_modules that
// holds koffi and its win32-x64 binary).
//
//   node.exe backend-suite.mjs absent             the driver is not installed
//   node.exe backend-suite.mjs contract ABI.json  the ABI, the error rows that need no allocation, many handles
//   node.exe backend-suite.mjs service            the window's whole flow through SharedMemoryService
//                                                 (the suite the Linux backend runs in the VM), then the
//                                                 mapping read at the address the driver returned
//
// Prints ok/FAIL per check and "<suite>: N passed, N failed, 0 skipped".
import { readFileSync } from 'node:fs';
import {
  SHM_ABI_VERSION,
  SHM_DEFAULT_MAX_SIZE,
  SHM_DEFAULT_TOTAL_CAP,
  SHM_DRIVER_VERSION,
  SHM_INSPECT_MAX,
  SHM_SEED_COUNT,
  STRUCT_SIZE,
  WINDOWS_IOCTL,
} from '../../api/device.js';
import { DeviceError, type DeviceErrorKind, type DeviceHandle } from '../../electron/backends/device-backend.js';
import { createWindowsBackend } from '../../electron/backends/windows-backend.js';
import { ALLOCATE_OFFSET, DEVICE_INFO_OFFSET, INSPECT_OFFSET } from '../../electron/backends/windows-ioctl-structs.js';
import { GENERIC_READ, GENERIC_WRITE, loadKernel32 } from '../../electron/backends/windows-kernel32.js';
import { selectBackend } from '../../electron/service/backend-selection.js';
import { WINDOWS_ERRORS, runServiceFlow } from '../../electron/service/service-flow-suite.js';
import { runStreamServiceFlow } from '../../electron/service/service-stream-suite.js';
import { SharedMemoryService } from '../../electron/service/shared-memory-service.js';

let passed = 0;
let failed = 0;
function check(ok: boolean, what: string): boolean {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passed++;
  else failed++;
  return ok;
}
function finish(suite: string): never {
  console.log(`${suite}: ${passed} passed, ${failed} failed, 0 skipped`);
  process.exit(failed === 0 ? 0 : 1);
}

/** Runs `body`, expecting a DeviceError of `kind` with Win32 error `code`. */
function expectError(what: string, kind: DeviceErrorKind, code: number, body: () => unknown): DeviceError | null {
  try {
    body();
    check(false, `${what}: expected ${kind} (${code}), but it succeeded`);
    return null;
  } catch (error) {
    if (!(error instanceof DeviceError)) {
      check(false, `${what}: expected a DeviceError, got ${String(error)}`);
      return null;
    }
    check(
      error.kind === kind && error.osCode === code,
      `${what}: ${error.kind} (${error.osName}, ${error.osCode}) — "${error.message}"`,
    );
    return error;
  }
}

const backend = createWindowsBackend();

async function absent(): Promise<never> {
  const error = expectError('open with no driver installed', 'not-installed', 2, () => backend.open());
  check(
    error !== null && /not installed/.test(error.message) && /sc start SharedMemory/.test(error.hint),
    'the message says the driver is not installed and how to install and start it',
  );
  const selected = await selectBackend('auto');
  check(
    selected.backend.kind === 'simulated' && /not installed/.test(selected.reason) && /ERROR_FILE_NOT_FOUND 2/.test(selected.reason),
    `backend auto falls back to the simulated driver and says why: "${selected.reason}"`,
  );
  selected.handle.close();
  finish('wine-backend-absent');
}

function compareAbi(abiFile: string): void {
  // Written by the C client compiled against driver/include/sharedmemory_ioctl.h.
  type Abi = {
    ioctl: Record<keyof typeof WINDOWS_IOCTL, number>;
    size: Record<keyof typeof STRUCT_SIZE, number>;
    offset: {
      deviceInfo: Record<keyof typeof DEVICE_INFO_OFFSET, number>;
      allocate: Record<keyof typeof ALLOCATE_OFFSET, number>;
      inspect: Record<keyof typeof INSPECT_OFFSET, number>;
    };
    abiVersion: number;
    driverVersion: number;
    inspectMax: number;
    seedCount: number;
    defaultMaxSize: number;
    defaultTotalCap: number;
  };
  const c = JSON.parse(readFileSync(abiFile, 'utf8')) as Abi;
  const same = (what: string, ts: unknown, header: unknown): boolean =>
    check(JSON.stringify(ts) === JSON.stringify(header), `${what}: TypeScript ${JSON.stringify(ts)} = header ${JSON.stringify(header)}`);
  same('WINDOWS_IOCTL', WINDOWS_IOCTL, c.ioctl);
  same('STRUCT_SIZE', STRUCT_SIZE, c.size);
  same('shm_device_info offsets', DEVICE_INFO_OFFSET, c.offset.deviceInfo);
  same('shm_allocate offsets', ALLOCATE_OFFSET, c.offset.allocate);
  same('shm_inspect offsets', INSPECT_OFFSET, c.offset.inspect);
  same(
    'constants',
    [SHM_ABI_VERSION, SHM_DRIVER_VERSION, SHM_INSPECT_MAX, SHM_SEED_COUNT, SHM_DEFAULT_MAX_SIZE, SHM_DEFAULT_TOTAL_CAP],
    [c.abiVersion, c.driverVersion, c.inspectMax, c.seedCount, c.defaultMaxSize, c.defaultTotalCap],
  );
}

async function contract(abiFile: string): Promise<never> {
  compareAbi(abiFile);

  let handle: DeviceHandle;
  try {
    handle = backend.open();
    check(true, 'open \\\\.\\SharedMemory through koffi (CreateFileW)');
  } catch (error) {
    check(false, `open: ${String(error)}`);
    finish('wine-backend');
  }
  const info = handle.query();
  check(
    info.abiVersion === 1 && info.driverVersion === SHM_DRIVER_VERSION && info.pageSize === 4096,
    `QUERY: ABI ${info.abiVersion}, version 0x${info.driverVersion.toString(16)}, page ${info.pageSize}`,
  );
  check(info.maxSize === SHM_DEFAULT_MAX_SIZE, `QUERY: max size ${info.maxSize}`);
  check(info.totalBytes === 0 && info.allocations === 0, `QUERY: zero totals (${info.totalBytes} bytes, ${info.allocations} allocations)`);

  expectError('RELEASE with nothing allocated', 'nothing-allocated', 22, () => handle.release());
  expectError('INSPECT with nothing allocated', 'nothing-allocated', 22, () => handle.inspect(0, SHM_SEED_COUNT));
  expectError('INSPECT count 0 (parameters before state)', 'invalid-parameter', 87, () => handle.inspect(0, 0));
  expectError('INSPECT odd offset', 'invalid-parameter', 87, () => handle.inspect(1, 1));
  expectError('ReadFile with nothing allocated', 'nothing-allocated', 22, () => handle.readCopy(0, 64));
  expectError('ALLOCATE size 0', 'invalid-parameter', 87, () => handle.allocate(0));
  expectError('ALLOCATE max_size + 1', 'invalid-parameter', 87, () => handle.allocate(info.maxSize + 1));
  const local = expectError('read through a mapping this process does not have', 'nothing-allocated', 0, () =>
    handle.readValues(0, 1),
  );
  check(local !== null && local.osName === 'no mapping in this process', 'the app refuses it itself, without touching memory');

  // Short buffers and an unknown code, through the same kernel32 binding.
  const k32 = loadKernel32();
  const raw = k32.createFile('\\\\.\\SharedMemory', GENERIC_READ | GENERIC_WRITE);
  if (check(raw.ok, 'a second handle through the raw binding')) {
    const device = raw.ok ? raw.value : 0n;
    const shortQuery = k32.deviceIoControl(device, WINDOWS_IOCTL.QUERY, null, new Uint8Array(STRUCT_SIZE.deviceInfo - 1));
    check(!shortQuery.ok && shortQuery.error === 122, `QUERY into 39 bytes: ${shortQuery.ok ? 'succeeded' : shortQuery.error}`);
    const shortInspect = k32.deviceIoControl(device, WINDOWS_IOCTL.INSPECT, new Uint8Array(16), new Uint8Array(STRUCT_SIZE.inspect));
    check(!shortInspect.ok && shortInspect.error === 122, `INSPECT with a 16-byte input: ${shortInspect.ok ? 'succeeded' : shortInspect.error}`);
    const unknown = k32.deviceIoControl(device, 0x8000_23fc, null, null);
    check(!unknown.ok && unknown.error === 1, `unknown control code 0x800023FC: ${unknown.ok ? 'succeeded' : unknown.error}`);
    check(k32.closeHandle(device).ok, 'CloseHandle');
  }

  // Many handles at once, each its own state; close is idempotent; a closed handle says so.
  const handles = Array.from({ length: 32 }, () => backend.open());
  check(handles.every((h) => h.query().abiVersion === 1), '32 handles open at once, each answers QUERY');
  let wrong = 0;
  for (const h of handles) {
    try {
      h.release();
      wrong++;
    } catch (error) {
      if (!(error instanceof DeviceError && error.kind === 'nothing-allocated')) wrong++;
    }
  }
  check(wrong === 0, `each of them: RELEASE with nothing allocated is refused (${wrong} wrong)`);
  for (const h of handles) h.close();
  for (const h of handles) h.close();
  check(true, 'closing each twice is harmless');
  expectError('QUERY on a closed handle', 'handle-closed', 6, () => handles[0]?.query());

  // The same through the app's service layer, as the window would see it.
  const service = new SharedMemoryService({ backend, handle, reason: 'Kernel driver (windows) — under Wine' });
  const status = await service.getStatus({});
  check(
    status.ok && status.value.backend.kind === 'windows' && status.value.device?.abiVersion === 1 && status.value.allocation === null,
    'service getStatus: windows backend, ABI 1, nothing allocated',
  );
  const release = await service.release({});
  check(
    !release.ok && release.error.kind === 'nothing-allocated' && release.error.osCode === 22 && /Release memory failed: nothing is allocated/.test(release.error.message),
    `service release with nothing allocated: "${release.ok ? 'ok' : release.error.message}"`,
  );
  const read = await service.readValues({ offset: 0, count: SHM_SEED_COUNT });
  check(!read.ok && read.error.kind === 'nothing-allocated', `service readValues with nothing allocated: "${read.ok ? 'ok' : read.error.message}"`);
  const tooBig = await service.allocate({ size: info.maxSize + 1 });
  check(
    !tooBig.ok && tooBig.error.kind === 'invalid-parameter' && tooBig.error.osCode === 87,
    `service allocate above max_size: "${tooBig.ok ? 'ok' : tooBig.error.message}"`,
  );
  const invalid = await service.invoke('allocate', { size: -1 });
  check(!invalid.ok && invalid.error.kind === 'invalid-request', `service rejects size -1 before the driver: "${invalid.ok ? 'ok' : invalid.error.message}"`);
  const after = await service.getStatus({});
  check(after.ok && after.value.device?.totalBytes === 0, 'bad requests changed nothing: totals still zero');
  await service.dispose();
  check(true, 'close with nothing held');
  const fresh = backend.open();
  const freshInfo = fresh.query();
  check(freshInfo.totalBytes === 0 && freshInfo.allocations === 0, 'a new handle sees zero totals');
  fresh.close();
  finish('wine-backend');
}

async function service(): Promise<never> {
  const selected = await selectBackend('windows');
  check(selected.backend.kind === 'windows', `backend selection picks the kernel driver: "${selected.reason}"`);
  await runServiceFlow({ ...selected, platform: 'win32' }, WINDOWS_ERRORS, (name, ok, detail) =>
    check(ok, ok || !detail ? name : `${name}: ${detail}`),
  );
  // Streaming: the auto-reset event woken by the driver's DPC, the ring read in place.
  const streaming = await selectBackend('windows');
  const figures = await runStreamServiceFlow({ ...streaming, platform: 'win32' }, WINDOWS_ERRORS, (name, ok, detail) =>
    check(ok, ok || !detail ? name : `${name}: ${detail}`),
  );
  if (figures) {
    console.log(
      `wine-backend-service: stream ${figures.rateHz} records/s for ${figures.seconds} s: ${figures.records} records, ${figures.dropped} dropped, ` +
        `latency p50 ${figures.latencyP50Ns === null ? '-' : (figures.latencyP50Ns / 1000).toFixed(0)} us`,
    );
  }

  // What the article did: the driver returns an address, and this process reads
  // the values at it. kernel32's binding copies them out (Electron's memory cage).
  const k32 = loadKernel32();
  const handle = backend.open();
  try {
    const allocation = handle.allocate(8192);
    const first = k32.readU16(allocation.userAddress, 0, SHM_SEED_COUNT);
    check(
      allocation.userAddress > 0n && Array.from(first).join(',') === '10,9,8,7,6,5,4,3,2,1',
      `the u16 values at the address ALLOCATE returned (0x${allocation.userAddress.toString(16)}): ${Array.from(first).join(' ')}`,
    );
    k32.writeU16(allocation.userAddress, 8190, [0xbeef]);
    check(handle.inspect(8190, 1)[0] === 0xbeef, 'a write at that address is what INSPECT reads through the driver\'s own mapping');
    k32.writeU16(allocation.userAddress, 0, [42]);
    check(first[0] === 10 && first.buffer.byteLength === first.byteLength, 'readU16 returned a copy that owns its ArrayBuffer (no view on external memory)');
    handle.release();
  } finally {
    handle.close();
  }

  // ALLOCATE needs FILE_READ_DATA | FILE_WRITE_DATA: the I/O manager refuses it on a read-only handle.
  const readOnly = k32.createFile('\\\\.\\SharedMemory', GENERIC_READ);
  if (check(readOnly.ok, 'a read-only handle')) {
    const device = readOnly.ok ? readOnly.value : 0n;
    const request = new Uint8Array(STRUCT_SIZE.allocate);
    new DataView(request.buffer).setBigUint64(ALLOCATE_OFFSET.size, 4096n, true);
    const refused = k32.deviceIoControl(device, WINDOWS_IOCTL.ALLOCATE, request, new Uint8Array(STRUCT_SIZE.allocate));
    check(!refused.ok && refused.error === 5, `ALLOCATE on it: ERROR_ACCESS_DENIED (${refused.ok ? 'succeeded' : refused.error})`);
    k32.closeHandle(device);
  }
  const after = backend.open();
  const info = after.query();
  after.close();
  check(info.totalBytes === 0 && info.allocations === 0, `totals back to zero (${info.totalBytes} bytes, ${info.allocations} allocations)`);
  finish('wine-backend-service');
}

const [mode, argument] = process.argv.slice(2);
if (mode === 'absent') await absent();
else if (mode === 'contract' && argument) await contract(argument);
else if (mode === 'service') await service();
else {
  console.error('usage: backend-suite.mjs absent | contract ABI.json | service');
  process.exit(2);
}
