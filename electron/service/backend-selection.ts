// Chooses the device backend: `auto` takes this platform's kernel driver when
// its device opens and falls back to the simulated driver (saying why);
// `linux` / `windows` insist on the kernel driver; `simulated` never tries it.
// The real backends load koffi, so they are imported only when needed.
import type { BackendKind, DeviceBackend, DeviceHandle } from '../backends/device-backend.js';
import { DeviceError } from '../backends/device-backend.js';
import type { DriverServiceControl } from '../driver-service/driver-service.js';
import { createSimulatedBackend, type SimulatedBackendOptions } from '../simulated/simulated-backend.js';

export const backendChoices = ['auto', 'simulated', 'linux', 'windows'] as const;
export type BackendChoice = (typeof backendChoices)[number];
export type RealBackendKind = Exclude<BackendKind, 'simulated'>;

export const isBackendChoice = (value: string): value is BackendChoice =>
  (backendChoices as readonly string[]).includes(value);

/** One line telling the user how to get the kernel driver. */
export const INSTALL_LINE: Record<RealBackendKind, string> = {
  linux:
    'npm run build:driver:linux && sudo insmod dist/driver/linux/sharedmemory.ko ' +
    '(or install the sharedmemory-dkms package), then reopen the app',
  windows:
    'run the SharedMemory installer as administrator (it installs and starts the driver service), ' +
    'then reopen the app',
};

/** This platform's kernel driver, or null where there is none. */
export function platformBackendKind(platform: NodeJS.Platform = process.platform): RealBackendKind | null {
  if (platform === 'linux') return 'linux';
  if (platform === 'win32') return 'windows';
  return null;
}

export async function loadRealBackend(kind: RealBackendKind): Promise<DeviceBackend> {
  if (kind === 'linux') {
    const { createLinuxBackend } = await import('../backends/linux-backend.js');
    return createLinuxBackend();
  }
  const { createWindowsBackend } = await import('../backends/windows-backend.js');
  return createWindowsBackend();
}

/** This platform's driver service control, or null where the app cannot manage the driver. */
export async function loadDriverService(
  platform: NodeJS.Platform = process.platform,
): Promise<DriverServiceControl | null> {
  const { createPlatformDriverService } = await import('../driver-service/platform-driver-service.js');
  return createPlatformDriverService(platform);
}

export interface SelectedBackend {
  backend: DeviceBackend;
  /** The open handle (selection proves the device opens by opening it). */
  handle: DeviceHandle;
  /** For the window: which driver and why. */
  reason: string;
}

/** Thrown when an explicitly requested kernel backend cannot be used. */
export class BackendUnavailableError extends Error {
  override readonly name = 'BackendUnavailableError';
}

export interface SelectionOptions {
  platform?: NodeJS.Platform;
  /** How to load a kernel backend (tests substitute fakes). */
  loadReal?: (kind: RealBackendKind) => Promise<DeviceBackend>;
  simulated?: SimulatedBackendOptions;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/** Why the kernel driver could not be opened, in words for the window. */
function fallbackReason(kind: RealBackendKind, error: unknown): string {
  if (error instanceof DeviceError && error.kind === 'access-denied') {
    return (
      `Simulated driver — the kernel driver is installed but this app may not open it ` +
      `(${error.osName} ${error.osCode}). ${error.hint || 'Check the device permissions'}`
    );
  }
  const why = error instanceof DeviceError ? `${error.osName} ${error.osCode}` : describe(error);
  return `Simulated driver — the kernel driver is not installed (${why}). Install it: ${INSTALL_LINE[kind]}`;
}

function simulated(reason: string, options: SelectionOptions): SelectedBackend {
  const backend = createSimulatedBackend(options.simulated);
  return { backend, handle: backend.open(), reason };
}

export async function openRealBackend(
  kind: RealBackendKind,
  loadReal: (kind: RealBackendKind) => Promise<DeviceBackend> = loadRealBackend,
): Promise<{ backend: DeviceBackend; handle: DeviceHandle }> {
  const backend = await loadReal(kind);
  return { backend, handle: backend.open() };
}

export async function selectBackend(
  choice: BackendChoice,
  options: SelectionOptions = {},
): Promise<SelectedBackend> {
  const platform = options.platform ?? process.platform;
  const loadReal = options.loadReal ?? loadRealBackend;
  if (choice === 'simulated') {
    return simulated('Simulated driver — chosen with --backend simulated', options);
  }
  if (choice === 'auto') {
    const kind = platformBackendKind(platform);
    if (!kind) {
      return simulated(`Simulated driver — there is no SharedMemory kernel driver for ${platform}`, options);
    }
    try {
      const { backend, handle } = await openRealBackend(kind, loadReal);
      return { backend, handle, reason: `Kernel driver (${kind}) — the device opened` };
    } catch (error) {
      return simulated(fallbackReason(kind, error), options);
    }
  }
  if (platformBackendKind(platform) !== choice) {
    throw new BackendUnavailableError(
      `The ${choice} backend needs ${choice === 'linux' ? 'Linux' : 'Windows'}; this is ${platform}. ` +
        'Use --backend auto or --backend simulated',
    );
  }
  try {
    const { backend, handle } = await openRealBackend(choice, loadReal);
    return { backend, handle, reason: `Kernel driver (${choice}) — chosen with --backend ${choice}` };
  } catch (error) {
    const install =
      error instanceof DeviceError && error.kind === 'not-installed' ? ` Install it: ${INSTALL_LINE[choice]}` : '';
    const why = error instanceof DeviceError ? `(${error.osName} ${error.osCode})` : `(${describe(error)})`;
    const hint = error instanceof DeviceError && error.hint ? ` ${error.hint}.` : '';
    throw new BackendUnavailableError(`The ${choice} kernel driver cannot be opened ${why}.${hint}${install}`);
  }
}
