// Runs inside the test VM, where the sharedmemory module is loaded: drives
// the app's real Linux backend through the same SharedMemoryService the window
// uses. Bundled by esbuild (driver/linux/tests/run-vm-tests.mjs), koffi kept
// external. Prints "ok"/"FAIL" per check and "node-backend: N passed, N failed".
//
//   node linux-backend-guest-check.mjs             as root: the whole flow
//   node linux-backend-guest-check.mjs --denied    as uid 1000: refused, with the group hint
//   node linux-backend-guest-check.mjs --missing   module unloaded: not installed, how to load
import { parseArgs } from 'node:util';
import { BackendUnavailableError, selectBackend } from '../service/backend-selection.js';
import { caught, LINUX_ERRORS, runServiceFlow } from '../service/service-flow-suite.js';
import { runStreamServiceFlow } from '../service/service-stream-suite.js';
import { DeviceError } from './device-backend.js';
import { createLinuxBackend } from './linux-backend.js';

let passed = 0;
let failed = 0;

function check(name: string, ok: boolean, detail = ''): void {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} node-backend: ${name}${ok || !detail ? '' : `: ${detail}`}`);
}

async function wholeFlow(): Promise<void> {
  const selected = await selectBackend('linux');
  check('backend selection picks the kernel driver', selected.backend.kind === 'linux', selected.reason);
  await runServiceFlow({ ...selected, platform: 'linux' }, LINUX_ERRORS, check);
  // Streaming: the ring consumed in place (koffi async poll, libatomic acquire/release).
  const streaming = await selectBackend('linux');
  const figures = await runStreamServiceFlow({ ...streaming, platform: 'linux' }, LINUX_ERRORS, check);
  if (figures) {
    const us = (ns: number | null): string => (ns === null ? '-' : (ns / 1000).toFixed(0));
    console.log(
      `node-backend: stream ${figures.rateHz} records/s for ${figures.seconds} s: ${figures.records} records, ` +
        `${figures.dropped} dropped, latency p50 ${us(figures.latencyP50Ns)} us, p99 ${us(figures.latencyP99Ns)} us`,
    );
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
