import { describe, expect, it } from 'vitest';
import { driverServiceSchema } from '../../api/shared-memory-api.js';
import type { CommandResult, RunCommand } from './run-command.js';
import {
  createWindowsDriverService,
  explainStartError,
  parseElevated,
  parseScFailure,
  parseScQuery,
} from './windows-driver-service.js';

// Recorded from Wine 8's sc.exe (`sc query PlugPlay`).
const WINE_SC_QUERY_RUNNING = `SERVICE_NAME: PlugPlay
        TYPE               : 20  WIN32_SHARE_PROCESS
        STATE              : 4  RUNNING
        WIN32_EXIT_CODE    : 0  (0x0)
        SERVICE_EXIT_CODE  : 0  (0x0)
        CHECKPOINT         : 0x0
        WAIT_HINT          : 0x2710
`;
// Windows' sc.exe format (CRLF line ends), for a kernel driver whose last
// start was refused for its signature, and for a missing service.
const SC_QUERY_STOPPED_577 = [
  '',
  'SERVICE_NAME: SharedMemory',
  '        TYPE               : 1  KERNEL_DRIVER',
  '        STATE              : 1  STOPPED',
  '        WIN32_EXIT_CODE    : 577  (0x241)',
  '        SERVICE_EXIT_CODE  : 0  (0x0)',
  '        CHECKPOINT         : 0x0',
  '        WAIT_HINT          : 0x0',
  '',
].join('\r\n');
const SC_QUERY_RUNNING = SC_QUERY_STOPPED_577.replace('1  STOPPED', '4  RUNNING').replace('577  (0x241)', '0  (0x0)');
const SC_QUERY_MISSING =
  '[SC] EnumQueryServicesStatus:OpenService FAILED 1060:\r\n\r\nThe specified service does not exist as an installed service.\r\n\r\n';
const SC_START_577 = '[SC] StartService FAILED 577:\r\n\r\nWindows cannot verify the digital signature for this file.\r\n\r\n';
const SC_START_1056 = '[SC] StartService FAILED 1056:\r\n\r\nAn instance of the service is already running.\r\n\r\n';
const WHOAMI_ELEVATED =
  '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"\r\n' +
  '"BUILTIN\\Administrators","Alias","S-1-5-32-544","Mandatory group, Enabled by default, Enabled group, Group owner"\r\n' +
  '"Mandatory Label\\High Mandatory Level","Label","S-1-16-12288",""\r\n';
const WHOAMI_MEDIUM =
  '"Everyone","Well-known group","S-1-1-0","Mandatory group, Enabled by default, Enabled group"\r\n' +
  '"BUILTIN\\Administrators","Alias","S-1-5-32-544","Group used for deny only"\r\n' +
  '"Mandatory Label\\Medium Mandatory Level","Label","S-1-16-8192",""\r\n';

const result = (exitCode: number | null, stdout = '', failure: string | null = null): CommandResult => ({
  exitCode,
  stdout,
  stderr: '',
  failure,
});

function fakeRun(answers: Record<string, CommandResult>) {
  const calls: string[] = [];
  const run: RunCommand = (file, args) => {
    const key = [file.split(/[\\/]/).at(-1), ...args].join(' ');
    calls.push(key);
    const answer = answers[key];
    if (!answer) throw new Error(`unexpected command: ${key}`);
    return Promise.resolve(answer);
  };
  return { run, calls };
}

describe('parsers', () => {
  it('reads STATE and WIN32_EXIT_CODE from sc query, LF or CRLF', () => {
    expect(parseScQuery(WINE_SC_QUERY_RUNNING)).toEqual({ state: 4, win32ExitCode: 0 });
    expect(parseScQuery(SC_QUERY_STOPPED_577)).toEqual({ state: 1, win32ExitCode: 577 });
    expect(parseScQuery('garbage')).toEqual({ state: null, win32ExitCode: 0 });
  });

  it('reads the Win32 error of a failed sc command', () => {
    expect(parseScFailure(SC_QUERY_MISSING)).toBe(1060);
    expect(parseScFailure(SC_START_577)).toBe(577);
    expect(parseScFailure(SC_QUERY_RUNNING)).toBeNull();
  });

  it('tells an elevated token from a filtered one by its mandatory label', () => {
    expect(parseElevated(WHOAMI_ELEVATED)).toBe(true);
    expect(parseElevated(WHOAMI_MEDIUM)).toBe(false);
    expect(parseElevated('"Mandatory Label\\System Mandatory Level","Label","S-1-16-16384",""')).toBe(true);
    expect(parseElevated('')).toBe(false);
  });

  it('explains the start errors a user can fix', () => {
    expect(explainStartError(577)).toContain('bcdedit /set testsigning on');
    expect(explainStartError(5)).toContain('administrator');
    expect(explainStartError(1275)).toContain('Memory integrity');
    expect(explainStartError(31)).toBe('error 31 (see Event Viewer > Windows Logs > System)');
  });
});

describe('status', () => {
  const systemRoot = 'C:\\Windows';

  it('is running for STATE 4 (Wine\'s and Windows\' output alike)', async () => {
    for (const out of [WINE_SC_QUERY_RUNNING, SC_QUERY_RUNNING]) {
      const { run, calls } = fakeRun({ 'sc.exe query SharedMemory': result(0, out) });
      const s = await createWindowsDriverService({ run, systemRoot }).status();
      expect(s).toEqual({ state: 'running', detail: 'Service SharedMemory is running.', canStart: false });
      expect(calls).toEqual(['sc.exe query SharedMemory']);
    }
  });

  it('is not-installed for error 1060', async () => {
    const { run } = fakeRun({ 'sc.exe query SharedMemory': result(1060, SC_QUERY_MISSING) });
    const s = await createWindowsDriverService({ run, systemRoot }).status();
    expect(s.state).toBe('not-installed');
    expect(s.detail).toContain('installer');
    expect(driverServiceSchema.parse(s)).toEqual(s);
  });

  it('is stopped, with the last error explained; canStart only when elevated', async () => {
    const elevated = fakeRun({
      'sc.exe query SharedMemory': result(0, SC_QUERY_STOPPED_577),
      'whoami.exe /groups /fo csv /nh': result(0, WHOAMI_ELEVATED),
    });
    const s = await createWindowsDriverService({ run: elevated.run, systemRoot }).status();
    expect(s).toMatchObject({ state: 'stopped', canStart: true });
    expect(s.detail).toContain('installed but stopped');
    expect(s.detail).toContain('bcdedit /set testsigning on');

    const medium = fakeRun({
      'sc.exe query SharedMemory': result(0, SC_QUERY_STOPPED_577),
      'whoami.exe /groups /fo csv /nh': result(0, WHOAMI_MEDIUM),
    });
    const m = await createWindowsDriverService({ run: medium.run, systemRoot }).status();
    expect(m).toMatchObject({ state: 'stopped', canStart: false });
    expect(m.detail).toContain('Run as administrator');
  });

  it('is unknown when sc.exe cannot run or says something else', async () => {
    const gone = fakeRun({ 'sc.exe query SharedMemory': result(null, '', 'sc.exe not found') });
    expect(await createWindowsDriverService({ run: gone.run, systemRoot }).status()).toMatchObject({
      state: 'unknown',
      detail: "The driver's state could not be read: sc.exe not found.",
    });
    const denied = fakeRun({ 'sc.exe query SharedMemory': result(5, '[SC] OpenService FAILED 5:\r\n\r\nAccess is denied.\r\n') });
    expect(await createWindowsDriverService({ run: denied.run, systemRoot }).status()).toMatchObject({
      state: 'unknown',
      detail: 'sc query SharedMemory failed with error 5.',
    });
  });
});

describe('start', () => {
  const systemRoot = 'C:\\Windows';

  it('runs sc start SharedMemory; already running is fine', async () => {
    const ok = fakeRun({ 'sc.exe start SharedMemory': result(0, 'SERVICE_NAME: SharedMemory\r\n') });
    await createWindowsDriverService({ run: ok.run, systemRoot }).start();
    expect(ok.calls).toEqual(['sc.exe start SharedMemory']);
    const already = fakeRun({ 'sc.exe start SharedMemory': result(1056, SC_START_1056) });
    await createWindowsDriverService({ run: already.run, systemRoot }).start();
  });

  it('rejects with what to do about the error', async () => {
    const unsigned = fakeRun({ 'sc.exe start SharedMemory': result(577, SC_START_577) });
    await expect(createWindowsDriverService({ run: unsigned.run, systemRoot }).start()).rejects.toThrow(
      /Starting the SharedMemory driver failed: Windows refused the driver's signature \(error 577\)/,
    );
    const gone = fakeRun({ 'sc.exe start SharedMemory': result(null, '', 'sc.exe timed out after 60000 ms') });
    await expect(createWindowsDriverService({ run: gone.run, systemRoot }).start()).rejects.toThrow(/could not run: sc.exe timed out/);
  });
});
