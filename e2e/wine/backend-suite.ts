// The app's real Windows backend (koffi on kernel32.dll), run in Windows Node
// under Wine against the cross-built driver. Bundled by run-wine-tests.mjs
// into one .mjs with koffi left external (resolved from a node_modules that
// holds koffi and its win32-x64 binary).
//
//   node.exe backend-suite.mjs absent             the driver is not installed
//   node.exe backend-suite.mjs contract ABI.json  everything short of a successful ALLOCATE
//   node.exe backend-suite.mjs allocate           ALLOCATE through SharedMemoryService
//
// Prints ok/FAIL per check and "<suite>: N passed, N failed, 0 skipped".
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import koffi from 'koffi';
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

/**
 * The parts of the kernel32 binding that need a successful ALLOCATE on the
 * device, exercised where Wine can: u16 reads and writes through a raw address
 * (VirtualAlloc'd memory standing in for the driver's mapping), and ReadFile
 * at an offset through an OVERLAPPED (an ordinary file standing in for the copy path).
 */
function checkBindingOnOrdinaryMemoryAndFiles(): void {
  const k32 = loadKernel32();
  const kernel32 = koffi.load('kernel32.dll');
  const VirtualAlloc = kernel32.func('void *VirtualAlloc(void *address, size_t size, uint32_t type, uint32_t protect)');
  const VirtualFree = kernel32.func('int VirtualFree(void *address, size_t size, uint32_t type)');
  const MEM_COMMIT_RESERVE = 0x3000;
  const PAGE_READWRITE = 0x04;
  const MEM_RELEASE = 0x8000;
  const address = VirtualAlloc(null, 8192, MEM_COMMIT_RESERVE, PAGE_READWRITE) as bigint | null;
  if (check(address !== null, 'VirtualAlloc: 8 KiB standing in for the driver\'s mapping')) {
    const base = address ?? 0n;
    k32.writeU16(base, 0, [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    k32.writeU16(base, 8190, [0xbeef]);
    const first = k32.readU16(base, 0, 10);
    const last = k32.readU16(base, 8190, 1);
    check(Array.from(first).join(',') === '10,9,8,7,6,5,4,3,2,1' && last[0] === 0xbeef, 'writeU16/readU16 through a raw address, at both ends');
    k32.writeU16(base, 0, [42]);
    check(first[0] === 10, 'readU16 returned a copy: a later write to the memory does not change it');
    check(first.buffer.byteLength === first.byteLength, 'the copy owns its own ArrayBuffer (no view on external memory)');
    VirtualFree(base, 0, MEM_RELEASE);
  }

  const file = join(tmpdir(), `shm-readfile-${process.pid}.bin`);
  writeFileSync(file, Uint8Array.from({ length: 100 }, (_, i) => i));
  const opened = k32.createFile(file, GENERIC_READ);
  if (check(opened.ok, 'CreateFileW on an ordinary file')) {
    const handle = opened.ok ? opened.value : 0n;
    const into = new Uint8Array(8);
    const middle = k32.readFile(handle, into, 50);
    check(middle.ok && middle.value === 8 && into[0] === 50 && into[7] === 57, 'ReadFile at offset 50 through the OVERLAPPED reads bytes 50..57');
    const tail = k32.readFile(handle, into, 96);
    check(tail.ok && tail.value === 4 && into[0] === 96, 'ReadFile near the end returns the 4 bytes left');
    const end = k32.readFile(handle, into, 100);
    check(!end.ok && end.error === 38, `ReadFile at the end: ERROR_HANDLE_EOF (${end.ok ? 'succeeded' : end.error}), which readCopy turns into 0 bytes`);
    k32.closeHandle(handle);
  }
  rmSync(file, { force: true });
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

  checkBindingOnOrdinaryMemoryAndFiles();

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

// Wine's memory manager cannot allocate (MmAllocatePagesForMdlEx is not an
// export of its ntoskrnl): the call takes the driver host down. The app must
// say so plainly and keep working.
async function allocate(): Promise<never> {
  const handle = backend.open();
  const service = new SharedMemoryService({ backend, handle, reason: 'Kernel driver (windows) — under Wine' });
  const result = await service.allocate({ size: 4096 });
  console.log(`allocate result: ${JSON.stringify(result)}`);
  check(!result.ok, 'ALLOCATE does not succeed under Wine');
  if (!result.ok) {
    check(
      result.error.kind === 'access-denied' && result.error.osCode === 5 && result.error.osName === 'ERROR_ACCESS_DENIED',
      `Wine reports ERROR_ACCESS_DENIED (5) for it: kind ${result.error.kind}, ${result.error.osName} ${result.error.osCode}`,
    );
    check(
      /^Allocate memory failed: /.test(result.error.message) && /sc query SharedMemory/.test(result.error.message) && !/administrator/i.test(result.error.message),
      `the message names the operation and points at the driver, not at elevation: "${result.error.message}"`,
    );
  }
  const status = await service.getStatus({});
  check(status.ok && status.value.allocation === null, 'the app survives: getStatus still answers, nothing allocated');
  check(status.ok && status.value.device === null, 'the status shows the device no longer answers QUERY');
  await service.dispose();
  const reopen = expectError('opening the device again', 'not-installed', 3, () => backend.open());
  check(reopen !== null && /not installed or not running/.test(reopen.message), 'reopening says the driver is not running');
  finish('wine-backend-allocate');
}

const [mode, argument] = process.argv.slice(2);
if (mode === 'absent') await absent();
else if (mode === 'contract' && argument) await contract(argument);
else if (mode === 'allocate') await allocate();
else {
  console.error('usage: backend-suite.mjs absent | contract ABI.json | allocate');
  process.exit(2);
}
