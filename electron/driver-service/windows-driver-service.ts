// The SharedMemory kernel service as Windows sees it, through sc.exe:
//   running        `sc query SharedMemory` says STATE 4 (RUNNING)
//   stopped        the service exists in any other state
//   not-installed  sc says 1060 (ERROR_SERVICE_DOES_NOT_EXIST)
// canStart when this process is elevated (its token carries the High or System
// mandatory label); start() runs `sc start SharedMemory`.
// sc.exe prints its field names (STATE, WIN32_EXIT_CODE) in English on every
// Windows language, and the numbers are what the parser relies on.
import { join } from 'node:path';
import type { DriverServiceStatus } from '../../api/shared-memory-api.js';
import type { DriverServiceControl } from './driver-service.js';
import { runCommand, type RunCommand } from './run-command.js';

export const SERVICE_NAME = 'SharedMemory';
const SC_TIMEOUT_MS = 15_000;
/** sc start returns once the driver's DriverEntry has run; that is quick. */
const SC_START_TIMEOUT_MS = 60_000;

export const ERROR_SERVICE_DOES_NOT_EXIST = 1060;
export const ERROR_SERVICE_ALREADY_RUNNING = 1056;

/** SERVICE_STATUS.dwCurrentState values. */
const STATE_NAMES: Record<number, string> = {
  1: 'stopped',
  2: 'starting',
  3: 'stopping',
  4: 'running',
  5: 'continuing',
  6: 'pausing',
  7: 'paused',
};

export interface ScQueryResult {
  /** dwCurrentState, or null when the output has no STATE line. */
  state: number | null;
  /** The driver's last exit code (WIN32_EXIT_CODE), 0 when none. */
  win32ExitCode: number;
}

/** Parses `sc query <name>` output (the service exists). */
export function parseScQuery(stdout: string): ScQueryResult {
  const state = /^\s*STATE\s*:\s*(\d+)/m.exec(stdout);
  const exit = /^\s*WIN32_EXIT_CODE\s*:\s*(\d+)/m.exec(stdout);
  return {
    state: state?.[1] ? Number(state[1]) : null,
    win32ExitCode: exit?.[1] ? Number(exit[1]) : 0,
  };
}

/** The Win32 error in an sc.exe failure line ("[SC] OpenService FAILED 1060:"), or null. */
export function parseScFailure(stdout: string): number | null {
  const m = /FAILED\s+(\d+)\s*:/.exec(stdout);
  return m?.[1] ? Number(m[1]) : null;
}

/**
 * True when `whoami /groups /fo csv /nh` lists a High (S-1-16-12288) or
 * System (S-1-16-16384) mandatory label: an elevated token.
 */
export function parseElevated(whoamiGroupsCsv: string): boolean {
  for (const m of whoamiGroupsCsv.matchAll(/"S-1-16-(\d+)"/g)) {
    if (Number(m[1]) >= 12288) return true;
  }
  return false;
}

/** What the user can do about a Win32 error from starting the driver. */
export function explainStartError(code: number): string {
  switch (code) {
    case 5:
      return 'access denied (error 5): starting a driver needs an elevated app; run SharedMemory as administrator';
    case 2:
      return 'the driver file is missing (error 2): reinstall SharedMemory';
    case 577:
      return (
        "Windows refused the driver's signature (error 577). For a test-signed driver run " +
        '"bcdedit /set testsigning on" as administrator and restart Windows'
      );
    case 1058:
      return 'the service is disabled (error 1058): run "sc config SharedMemory start= demand" as administrator';
    case 1060:
      return 'the driver is not installed (error 1060): run the SharedMemory installer';
    case 1275:
      return (
        'Windows blocked the driver (error 1275): Memory integrity or the vulnerable-driver ' +
        'blocklist can do this (Windows Security > Device security)'
      );
    default:
      return `error ${code} (see Event Viewer > Windows Logs > System)`;
  }
}

export interface WindowsDriverServiceOptions {
  run?: RunCommand;
  /** %SystemRoot%, where sc.exe and whoami.exe live. */
  systemRoot?: string;
}

export function createWindowsDriverService(options: WindowsDriverServiceOptions = {}): DriverServiceControl {
  const run = options.run ?? runCommand;
  const system32 = join(options.systemRoot ?? process.env.SystemRoot ?? 'C:\\Windows', 'System32');
  const sc = join(system32, 'sc.exe');
  const whoami = join(system32, 'whoami.exe');

  async function elevated(): Promise<boolean> {
    const r = await run(whoami, ['/groups', '/fo', 'csv', '/nh'], SC_TIMEOUT_MS);
    return r.exitCode === 0 && parseElevated(r.stdout);
  }

  async function status(): Promise<DriverServiceStatus> {
    const r = await run(sc, ['query', SERVICE_NAME], SC_TIMEOUT_MS);
    if (r.exitCode === null) {
      return { state: 'unknown', detail: `The driver's state could not be read: ${r.failure ?? 'sc.exe did not run'}.`, canStart: false };
    }
    const failed = r.exitCode === 0 ? null : (parseScFailure(r.stdout) ?? r.exitCode);
    if (failed === ERROR_SERVICE_DOES_NOT_EXIST) {
      return {
        state: 'not-installed',
        detail: `Service ${SERVICE_NAME} is not installed. Run the SharedMemory installer as administrator.`,
        canStart: false,
      };
    }
    if (failed !== null) {
      return { state: 'unknown', detail: `sc query ${SERVICE_NAME} failed with error ${failed}.`, canStart: false };
    }
    const { state, win32ExitCode } = parseScQuery(r.stdout);
    if (state === null) {
      return { state: 'unknown', detail: `sc query ${SERVICE_NAME} printed no state.`, canStart: false };
    }
    if (state === 4) {
      return { state: 'running', detail: `Service ${SERVICE_NAME} is running.`, canStart: false };
    }
    const canStart = state === 1 && (await elevated());
    const lastError = win32ExitCode !== 0 ? ` Its last start failed: ${explainStartError(win32ExitCode)}.` : '';
    const how = state === 1 && !canStart ? ' Starting it needs an elevated app (Run as administrator).' : '';
    return {
      state: 'stopped',
      detail: `Service ${SERVICE_NAME} is installed but ${STATE_NAMES[state] ?? `in state ${state}`}.${lastError}${how}`,
      canStart,
    };
  }

  async function start(): Promise<void> {
    const r = await run(sc, ['start', SERVICE_NAME], SC_START_TIMEOUT_MS);
    if (r.exitCode === 0) return;
    if (r.exitCode === null) throw new Error(`sc start ${SERVICE_NAME} could not run: ${r.failure ?? 'unknown reason'}`);
    const code = parseScFailure(r.stdout) ?? r.exitCode;
    if (code === ERROR_SERVICE_ALREADY_RUNNING) return;
    throw new Error(`Starting the SharedMemory driver failed: ${explainStartError(code)}.`);
  }

  return { status, start };
}
