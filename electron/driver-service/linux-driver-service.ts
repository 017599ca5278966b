// The sharedmemory kernel module as Linux sees it:
//   running        /sys/module/sharedmemory exists (the module is loaded)
//   stopped        modinfo finds it for the running kernel (installed, e.g. by DKMS)
//   not-installed  neither
// canStart when this process is root; start() runs `modprobe sharedmemory`.
import { access, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';
import type { DriverServiceStatus } from '../../api/shared-memory-api.js';
import type { DriverServiceControl } from './driver-service.js';
import { runCommand, type RunCommand } from './run-command.js';

export const MODULE_NAME = 'sharedmemory';
const DEVICE_PATH = '/dev/sharedmemory';
const TOOL_TIMEOUT_MS = 10_000;
const MODPROBE_TIMEOUT_MS = 30_000;
/** udev creates the device node just after the module loads. */
const DEVICE_WAIT_MS = 3_000;

/** The module file modinfo printed for `modinfo -F filename`, or null. */
export function parseModinfoFilename(stdout: string): string | null {
  // The first non-empty line: the .ko's path ("(builtin)" for a built-in module).
  return stdout.split('\n').map((l) => l.trim()).find((l) => l.length > 0) ?? null;
}

/**
 * The module's path in a modules.dep file ("kernel/.../x.ko[.xz]: deps"), or
 * null. The fallback when modinfo is not installed.
 */
export function findModuleInModulesDep(modulesDep: string, name: string = MODULE_NAME): string | null {
  const file = new RegExp(`(^|/)${name}\\.ko(\\.(xz|gz|zst))?$`);
  for (const line of modulesDep.split('\n')) {
    const path = line.split(':', 1)[0]?.trim() ?? '';
    if (file.test(path)) return path;
  }
  return null;
}

/** One sentence for the window about a failed `modprobe`. */
export function describeModprobeFailure(exitCode: number | null, stderr: string, failure: string | null): string {
  if (failure) return `modprobe ${MODULE_NAME} could not run: ${failure}`;
  const said = stderr.trim().split('\n').filter(Boolean).at(-1) ?? '';
  if (/not found in directory/i.test(said)) {
    return `modprobe ${MODULE_NAME} failed: the module is not installed for kernel ${release()}. Install the sharedmemory-dkms package.`;
  }
  if (/Operation not permitted|Permission denied/i.test(said)) {
    return `modprobe ${MODULE_NAME} was refused (${said}). Loading a kernel module needs root; with Secure Boot the module must also be signed with an enrolled key.`;
  }
  if (/Key was rejected|Required key not available/i.test(said)) {
    return `The kernel refused the module's signature (${said}). With Secure Boot on, enroll the DKMS signing key (mokutil --import) or sign the module.`;
  }
  return `modprobe ${MODULE_NAME} failed (exit ${exitCode ?? '?'})${said ? `: ${said}` : ''}`;
}

export interface LinuxDriverServiceOptions {
  run?: RunCommand;
  /** Where sysfs is mounted (tests point it at a directory they made). */
  sysRoot?: string;
  /** /lib/modules of the running kernel (the modinfo fallback reads modules.dep there). */
  modulesDir?: string;
  devicePath?: string;
  isRoot?: () => boolean;
}

const exists = (path: string): Promise<boolean> => access(path).then(() => true, () => false);

export function createLinuxDriverService(options: LinuxDriverServiceOptions = {}): DriverServiceControl {
  const run = options.run ?? runCommand;
  const sysRoot = options.sysRoot ?? '/sys';
  const modulesDir = options.modulesDir ?? join('/lib/modules', release());
  const devicePath = options.devicePath ?? DEVICE_PATH;
  const isRoot = options.isRoot ?? (() => process.getuid?.() === 0);

  async function installedModule(): Promise<string | null> {
    const r = await run('modinfo', ['-F', 'filename', MODULE_NAME], TOOL_TIMEOUT_MS);
    if (r.exitCode === 0) return parseModinfoFilename(r.stdout);
    if (r.exitCode !== null) return null; // modinfo ran and did not find it
    // No modinfo (kmod not installed): read the index modprobe itself uses.
    const dep = await readFile(join(modulesDir, 'modules.dep'), 'utf8').catch(() => '');
    return findModuleInModulesDep(dep);
  }

  async function status(): Promise<DriverServiceStatus> {
    if (await exists(join(sysRoot, 'module', MODULE_NAME))) {
      const device = (await exists(devicePath))
        ? `${devicePath} is there`
        : `but ${devicePath} is missing (is the udev rule installed?)`;
      return { state: 'running', detail: `Kernel module ${MODULE_NAME} is loaded; ${device}.`, canStart: false };
    }
    const file = await installedModule();
    if (file) {
      const root = isRoot();
      return {
        state: 'stopped',
        detail:
          `Kernel module ${MODULE_NAME} is installed (${file}) but not loaded.` +
          (root ? '' : ` Load it with: sudo modprobe ${MODULE_NAME}`),
        canStart: root,
      };
    }
    return {
      state: 'not-installed',
      detail: `Kernel module ${MODULE_NAME} is not installed for kernel ${release()}. Install the sharedmemory-dkms package.`,
      canStart: false,
    };
  }

  async function start(): Promise<void> {
    if (!isRoot()) {
      throw new Error(`Loading a kernel module needs root. Run: sudo modprobe ${MODULE_NAME}`);
    }
    const r = await run('modprobe', [MODULE_NAME], MODPROBE_TIMEOUT_MS);
    if (r.exitCode !== 0) throw new Error(describeModprobeFailure(r.exitCode, r.stderr, r.failure));
    const deadline = Date.now() + DEVICE_WAIT_MS;
    while (!(await exists(devicePath))) {
      if (Date.now() > deadline) {
        throw new Error(`${MODULE_NAME} is loaded, but ${devicePath} did not appear within ${DEVICE_WAIT_MS / 1000} s (is udev running?)`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return { status, start };
}
