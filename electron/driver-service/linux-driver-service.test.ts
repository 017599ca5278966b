import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { driverServiceSchema } from '../../api/shared-memory-api.js';
import {
  createLinuxDriverService,
  describeModprobeFailure,
  findModuleInModulesDep,
  parseModinfoFilename,
} from './linux-driver-service.js';
import type { CommandResult, RunCommand } from './run-command.js';

// Outputs recorded on Debian 12 (kmod 30).
const MODINFO_NOT_FOUND: CommandResult = {
  exitCode: 1,
  stdout: '',
  stderr: 'modinfo: ERROR: Module sharedmemory not found.\n',
  failure: null,
};
const MODINFO_DKMS: CommandResult = {
  exitCode: 0,
  stdout: '/lib/modules/6.1.0-56-amd64/updates/dkms/sharedmemory.ko\n',
  stderr: '',
  failure: null,
};
const MODPROBE_NOT_FOUND: CommandResult = {
  exitCode: 1,
  stdout: '',
  stderr: 'modprobe: FATAL: Module sharedmemory not found in directory /lib/modules/6.1.0-56-amd64\n',
  failure: null,
};
const OK: CommandResult = { exitCode: 0, stdout: '', stderr: '', failure: null };
const NO_TOOL = (file: string): CommandResult => ({ exitCode: null, stdout: '', stderr: '', failure: `${file} not found` });

/** A RunCommand that answers from a table and records every call. */
function fakeRun(answers: Record<string, CommandResult | ((file: string) => CommandResult)>) {
  const calls: string[] = [];
  const run: RunCommand = (file, args) => {
    const line = [file, ...args].join(' ');
    calls.push(line);
    const answer = answers[line] ?? answers[file];
    if (!answer) throw new Error(`unexpected command: ${line}`);
    return Promise.resolve(typeof answer === 'function' ? answer(file) : answer);
  };
  return { run, calls };
}

let dir: string;
let sysRoot: string;
let modulesDir: string;
let devicePath: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shm-linux-service-'));
  sysRoot = join(dir, 'sys');
  modulesDir = join(dir, 'modules');
  devicePath = join(dir, 'dev-sharedmemory');
  mkdirSync(join(sysRoot, 'module'), { recursive: true });
  mkdirSync(modulesDir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const loadModule = () => mkdirSync(join(sysRoot, 'module', 'sharedmemory'));

describe('parsers', () => {
  it('reads the module path from modinfo -F filename', () => {
    expect(parseModinfoFilename(MODINFO_DKMS.stdout)).toBe('/lib/modules/6.1.0-56-amd64/updates/dkms/sharedmemory.ko');
    expect(parseModinfoFilename('\n')).toBeNull();
  });

  it('finds the module in modules.dep, compressed or not, and nothing else', () => {
    const dep = [
      'kernel/fs/xfs/xfs.ko: kernel/lib/libcrc32c.ko',
      'kernel/drivers/misc/notsharedmemory.ko:',
      'updates/dkms/sharedmemory.ko.xz:',
    ].join('\n');
    expect(findModuleInModulesDep(dep)).toBe('updates/dkms/sharedmemory.ko.xz');
    expect(findModuleInModulesDep('updates/dkms/sharedmemory.ko:\n')).toBe('updates/dkms/sharedmemory.ko');
    expect(findModuleInModulesDep('kernel/drivers/misc/notsharedmemory.ko:\n')).toBeNull();
    expect(findModuleInModulesDep('')).toBeNull();
  });

  it('explains modprobe failures in words', () => {
    expect(describeModprobeFailure(1, MODPROBE_NOT_FOUND.stderr, null)).toMatch(/not installed for kernel .*sharedmemory-dkms/);
    expect(describeModprobeFailure(1, 'modprobe: ERROR: could not insert \'sharedmemory\': Operation not permitted\n', null)).toMatch(/needs root/);
    expect(describeModprobeFailure(1, 'modprobe: ERROR: could not insert \'sharedmemory\': Key was rejected by service\n', null)).toMatch(/signature/);
    expect(describeModprobeFailure(null, '', 'modprobe timed out after 30000 ms')).toMatch(/could not run: modprobe timed out/);
    expect(describeModprobeFailure(3, 'something else\n', null)).toBe('modprobe sharedmemory failed (exit 3): something else');
  });
});

describe('status', () => {
  it('is running when /sys/module/sharedmemory exists, and says whether the device node is there', async () => {
    loadModule();
    const { run, calls } = fakeRun({});
    const service = createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => true });
    const missing = await service.status();
    expect(missing).toMatchObject({ state: 'running', canStart: false });
    expect(missing.detail).toMatch(/missing \(is the udev rule installed\?\)/);
    writeFileSync(devicePath, '');
    expect((await service.status()).detail).toMatch(/is there/);
    expect(calls).toEqual([]);
    expect(driverServiceSchema.parse(missing)).toEqual(missing);
  });

  it('is stopped when modinfo finds the module; canStart only as root', async () => {
    const { run } = fakeRun({ modinfo: MODINFO_DKMS });
    const asRoot = await createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => true }).status();
    expect(asRoot).toMatchObject({ state: 'stopped', canStart: true });
    expect(asRoot.detail).toContain('updates/dkms/sharedmemory.ko');
    const asUser = await createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => false }).status();
    expect(asUser).toMatchObject({ state: 'stopped', canStart: false });
    expect(asUser.detail).toContain('sudo modprobe sharedmemory');
  });

  it('is not-installed when modinfo does not find it', async () => {
    const { run } = fakeRun({ modinfo: MODINFO_NOT_FOUND });
    const s = await createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => true }).status();
    expect(s).toMatchObject({ state: 'not-installed', canStart: false });
    expect(s.detail).toContain('sharedmemory-dkms');
  });

  it('reads modules.dep when modinfo is not installed', async () => {
    const { run } = fakeRun({ modinfo: NO_TOOL });
    const service = createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => true });
    expect((await service.status()).state).toBe('not-installed');
    writeFileSync(join(modulesDir, 'modules.dep'), 'updates/dkms/sharedmemory.ko:\n');
    expect(await service.status()).toMatchObject({ state: 'stopped', canStart: true });
  });

  it('answers for this machine with its real tools', async () => {
    const s = await createLinuxDriverService().status();
    expect(driverServiceSchema.parse(s)).toEqual(s);
    expect(['running', 'stopped', 'not-installed']).toContain(s.state);
  });
});

describe('start', () => {
  it('refuses without root, naming the command to run', async () => {
    const { run, calls } = fakeRun({});
    const service = createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => false });
    await expect(service.start()).rejects.toThrow('Loading a kernel module needs root. Run: sudo modprobe sharedmemory');
    expect(calls).toEqual([]);
  });

  it('runs modprobe sharedmemory and waits for the device node', async () => {
    const { run, calls } = fakeRun({
      'modprobe sharedmemory': () => {
        setTimeout(() => writeFileSync(devicePath, ''), 200); // udev, a moment later
        return OK;
      },
    });
    await createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => true }).start();
    expect(calls).toEqual(['modprobe sharedmemory']);
  });

  it('rejects with modprobe\'s reason', async () => {
    const { run } = fakeRun({ modprobe: MODPROBE_NOT_FOUND });
    const service = createLinuxDriverService({ run, sysRoot, modulesDir, devicePath, isRoot: () => true });
    await expect(service.start()).rejects.toThrow(/not installed for kernel/);
  });
});
