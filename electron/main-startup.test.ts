// How the Electron main process refuses to start, against the recording
// stand-in for `electron`: a kernel backend asked for by name that cannot
// open (as in browser mode: said plainly, exit code 2, no simulated driver in
// its place), a --backend value that is not one, and a second instance.
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { electronStandIn } from './testing/electron-stand-in.js';

vi.mock('electron', async () => (await import('./testing/electron-stand-in.js')).electronStandIn);

beforeEach(() => {
  vi.resetModules();
});
afterEach(() => {
  delete process.env.SHAREDMEMORY_BACKEND;
});

async function start(backend: string, gotLock = true) {
  process.env.SHAREDMEMORY_BACKEND = backend;
  // The mocked module's own records (vi.resetModules keeps the mock, not a fresh import of the stand-in).
  const standIn = (await import('electron')) as unknown as typeof electronStandIn;
  standIn.resetRecorded();
  const { recorded } = standIn;
  recorded.gotLock = gotLock;
  const errors: unknown[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => errors.push(args);
  try {
    await import('./main.js');
    await vi.waitFor(() => expect(recorded.exitCodes.length + recorded.windows.length + recorded.quitCalls).toBeGreaterThan(0));
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    console.error = original;
  }
  return { recorded, errors };
}

it.skipIf(process.platform === 'win32')('a named kernel backend that cannot open is shown and exits 2, with no window', async () => {
  const { recorded, errors } = await start('windows');
  expect(recorded.exitCodes).toEqual([2]);
  expect(recorded.windows).toEqual([]);
  expect(recorded.errorBoxes).toEqual([
    { title: 'SharedMemory cannot start', content: expect.stringMatching(/^The windows backend needs Windows; this is \w+\. Use --backend auto or --backend simulated$/) as unknown },
  ]);
  expect(JSON.stringify(errors)).toContain('The windows backend needs Windows');
});

it('a --backend value that is not one is refused the same way', async () => {
  const { recorded } = await start('kernel');
  expect(recorded.exitCodes).toEqual([2]);
  expect(recorded.errorBoxes[0]?.content).toBe('--backend must be one of auto, simulated, linux, windows, not "kernel"');
});

it('a second instance quits at once and opens no window of its own', async () => {
  const { recorded } = await start('simulated', false);
  expect(recorded.quitCalls).toBe(1);
  expect(recorded.windows).toEqual([]);
  expect(recorded.ipcHandlers.size).toBe(0);
});
