// Backend selection: auto falls back to the simulated driver and says why;
// an explicit kernel backend that cannot open is a clear error.
import { describe, expect, it } from 'vitest';
import type { DeviceBackend } from '../backends/device-backend.js';
import { errnoError } from '../backends/linux-errors.js';
import { win32Error } from '../backends/windows-errors.js';
import { createSimulatedBackend } from '../simulated/simulated-backend.js';
import { BackendUnavailableError, isBackendChoice, selectBackend } from './backend-selection.js';

const failingBackend = (kind: 'linux' | 'windows', error: Error): DeviceBackend => ({
  kind,
  open: () => {
    throw error;
  },
});

const workingBackend = (kind: 'linux' | 'windows'): DeviceBackend => {
  const model = createSimulatedBackend({ flavour: kind });
  return { kind, open: () => model.open() };
};

describe('selectBackend', () => {
  it('auto uses the kernel driver when its device opens', async () => {
    const selected = await selectBackend('auto', {
      platform: 'linux',
      loadReal: (kind) => Promise.resolve(workingBackend(kind)),
    });
    expect(selected.backend.kind).toBe('linux');
    expect(selected.reason).toMatch(/^Kernel driver \(linux\)/);
    expect(selected.handle.query().abiVersion).toBe(1);
  });

  it('auto falls back to the simulated driver and says it is not installed, with the OS error and how to install', async () => {
    const selected = await selectBackend('auto', {
      platform: 'linux',
      loadReal: () => Promise.resolve(failingBackend('linux', errnoError('open', 2))),
    });
    expect(selected.backend.kind).toBe('simulated');
    expect(selected.reason).toMatch(
      /^Simulated driver — the kernel driver is not installed \(ENOENT 2\)\. Install it: npm run build:driver:linux/,
    );
  });

  it('auto on Windows names the Win32 error and the installer', async () => {
    const selected = await selectBackend('auto', {
      platform: 'win32',
      loadReal: () => Promise.resolve(failingBackend('windows', win32Error('open', 2))),
    });
    expect(selected.reason).toMatch(/not installed \(ERROR_FILE_NOT_FOUND 2\)\. Install it: run the SharedMemory installer/);
  });

  it('auto explains access denied differently from not installed', async () => {
    const selected = await selectBackend('auto', {
      platform: 'linux',
      loadReal: () => Promise.resolve(failingBackend('linux', errnoError('open', 13))),
    });
    expect(selected.backend.kind).toBe('simulated');
    expect(selected.reason).toMatch(/installed but this app may not open it \(EACCES 13\)\. Add yourself to the group sharedmemory/);
  });

  it('auto also falls back when the backend cannot even load (no koffi binary)', async () => {
    const selected = await selectBackend('auto', {
      platform: 'linux',
      loadReal: () => Promise.reject(new Error('Cannot find module koffi')),
    });
    expect(selected.reason).toMatch(/not installed \(Cannot find module koffi\)/);
  });

  it('auto on a platform without a driver is simulated and says so', async () => {
    const selected = await selectBackend('auto', { platform: 'darwin' });
    expect(selected.reason).toBe('Simulated driver — there is no SharedMemory kernel driver for darwin');
  });

  it('simulated never touches the kernel backend', async () => {
    const selected = await selectBackend('simulated', {
      platform: 'linux',
      loadReal: () => Promise.reject(new Error('must not load')),
    });
    expect(selected.backend.kind).toBe('simulated');
  });

  it('explicit linux that cannot open is an error naming the OS error, the hint and the install line', async () => {
    const error = await selectBackend('linux', {
      platform: 'linux',
      loadReal: () => Promise.resolve(failingBackend('linux', errnoError('open', 2))),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(
      /^The linux kernel driver cannot be opened \(ENOENT 2\)\. Load the kernel module .* Install it: npm run build:driver:linux/,
    );
  });

  it('explicit windows on Linux is refused before loading anything', async () => {
    await expect(
      selectBackend('windows', { platform: 'linux', loadReal: () => Promise.reject(new Error('no')) }),
    ).rejects.toThrow('The windows backend needs Windows; this is linux. Use --backend auto or --backend simulated');
  });

  it('explicit windows that is denied says to run as administrator', async () => {
    const error = await selectBackend('windows', {
      platform: 'win32',
      loadReal: () => Promise.resolve(failingBackend('windows', win32Error('open', 5))),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BackendUnavailableError);
    expect((error as Error).message).toMatch(/\(ERROR_ACCESS_DENIED 5\)\. Run the app as administrator/);
  });

  it('knows its choices', () => {
    expect(['auto', 'simulated', 'linux', 'windows'].every(isBackendChoice)).toBe(true);
    expect(isBackendChoice('kernel')).toBe(false);
  });
});
