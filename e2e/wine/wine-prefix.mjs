#!/usr/bin/env node
// A Wine prefix where the SharedMemory driver runs: 64-bit, Windows 10, with
// the memory manager of e2e/wine/ntoskrnl/ installed for winedevice only (the
// system's Wine stays untouched), and optionally the driver installed from
// inf/sharedmemory.inf and started.
//
//   npm run wine:prefix -- --prefix DIR [--driver] [--driver-log FILE]
//
// The test harnesses import WinePrefix from here; see e2e/wine/README.md.
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildNtoskrnl } from './ntoskrnl/build-ntoskrnl.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = join(here, '..', '..');
export const SERVICE_KEY = 'HKLM\\System\\CurrentControlSet\\Services\\SharedMemory';
/** What a broken driver makes the memory manager print (and every harness fails on). */
export const BUGCHECK_MARKER = 'SHM-WINE-BUGCHECK:';

export class WinePrefix {
  /**
   * @param {string} dir the prefix
   * @param {{ commandLog?: string }} [options] a directory for each command's output
   */
  constructor(dir, { commandLog } = {}) {
    this.dir = resolve(dir);
    this.commandLog = commandLog ?? join(this.dir, '..', `${this.dir.split('/').at(-1)}-commands`);
    this.commandCount = 0;
    this.env = {
      ...process.env,
      WINEPREFIX: this.dir,
      WINEARCH: 'win64',
      WINEDEBUG: '-all',
      // No Mono/Gecko install prompts; there is no display either.
      WINEDLLOVERRIDES: 'mscoree,mshtml=',
      DISPLAY: '',
    };
  }

  /**
   * Runs a command bounded in time. Output goes to a file, never a pipe: Wine's
   * daemons (wineserver, services.exe, winedevice) inherit the descriptors and
   * outlive the command, so a pipe would never reach end-of-file.
   */
  run(command, args, { timeout = 120, env = this.env, cwd = PROJECT_ROOT, stderrTo } = {}) {
    mkdirSync(this.commandLog, { recursive: true });
    const outFile = join(this.commandLog, `${++this.commandCount}.out`);
    const fd = openSync(outFile, 'w');
    const r = spawnSync(command, args, { cwd, env, timeout: timeout * 1000, killSignal: 'SIGKILL', stdio: ['ignore', fd, stderrTo ?? fd] });
    closeSync(fd);
    return { ok: r.status === 0, status: r.status, timedOut: r.error?.code === 'ETIMEDOUT', out: readFileSync(outFile, 'utf8') };
  }

  wine(args, options) {
    return this.run('wine', args, options);
  }

  /** Stops the prefix's wineserver and everything it runs, and waits for it. */
  stopServer() {
    this.run('wineserver', ['-k'], { timeout: 30 });
    this.run('wineserver', ['-w'], { timeout: 30 });
  }

  regQuery(key, value) {
    return this.wine(['reg', 'query', key, '/v', value], { timeout: 60 }).out;
  }

  /** A fresh prefix: wineboot, Windows 10 (node.exe needs it), the memory manager for winedevice. */
  create() {
    const ntoskrnl = buildNtoskrnl();
    this.stopServer();
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(dirname(this.dir), { recursive: true });
    const boot = this.wine(['wineboot', '--init'], { timeout: 300, cwd: dirname(this.dir) });
    if (!boot.ok) throw new Error(`wineboot --init failed:\n${boot.out}`);
    if (!this.wine(['winecfg', '/v', 'win10'], { timeout: 120 }).ok) throw new Error('winecfg /v win10 failed');
    // A native ntoskrnl.exe in system32, chosen for winedevice alone.
    copyFileSync(ntoskrnl, join(this.dir, 'drive_c', 'windows', 'system32', 'ntoskrnl.exe'));
    const override = this.wine(['reg', 'add', 'HKCU\\Software\\Wine\\AppDefaults\\winedevice.exe\\DllOverrides',
      '/v', 'ntoskrnl.exe', '/d', 'native', '/f'], { timeout: 60 });
    if (!override.ok) throw new Error(`cannot set winedevice's ntoskrnl.exe override:\n${override.out}`);
    this.stopServer();
    return { wineVersion: this.run('wine', ['--version'], { env: process.env }).out.match(/^wine-.*$/m)?.[0] ?? 'wine' };
  }

  /** Unix path → the prefix's Windows path of it. */
  windowsPath(path) {
    return this.wine(['winepath', '-w', path], { timeout: 60 }).out.trim();
  }

  /**
   * Installs the driver package (a directory with sharedmemory.sys and .inf) as
   * Windows' "Install" on the INF does. Wine's service manager sees a new
   * service only after a restart, so the wineserver is stopped afterwards.
   */
  installDriver(packageDir) {
    const inf = this.windowsPath(join(packageDir, 'sharedmemory.inf'));
    const r = this.wine(['rundll32', 'setupapi.dll,InstallHinfSection', 'DefaultInstall.NTamd64', '128', inf], { timeout: 120 });
    this.stopServer();
    // Wine maps DIRID 13 (the driver store) to system32\unknown.
    const installed = existsSync(join(this.dir, 'drive_c', 'windows', 'system32', 'unknown', 'sharedmemory.sys'));
    return { ok: r.ok && installed, out: r.out, installed };
  }

  /**
   * Starts the driver under a fresh, persistent wineserver, so that the driver
   * host (winedevice) inherits a descriptor on logFile (its DbgPrintEx lines,
   * Wine's debugstr channel, and the memory manager's bug-check lines land
   * there) and stays up between clients. stopServer() ends it.
   */
  startDriver(logFile, service = 'SharedMemory') {
    this.stopServer();
    mkdirSync(dirname(logFile), { recursive: true });
    this.run('wineserver', ['-p'], { timeout: 30 });
    const env = { ...this.env, WINEDEBUG: 'warn+debugstr,err+ntoskrnl,fixme+ntoskrnl' };
    const logFd = openSync(logFile, 'a');
    const r = this.run('wine', ['sc', 'start', service], { env, timeout: 120, stderrTo: logFd });
    closeSync(logFd);
    return { ...r, state: this.serviceState(service) };
  }

  serviceState(service = 'SharedMemory') {
    return this.wine(['sc', 'query', service], { timeout: 60 }).out;
  }

  driverRunning() {
    return /STATE\s*:\s*4\s+RUNNING/.test(this.serviceState());
  }
}

/** The driver and its INF, freshly cross-built, in dist/driver/windows/. */
export function buildDriverPackage() {
  const sys = join(PROJECT_ROOT, 'dist', 'driver', 'windows', 'sharedmemory.sys');
  const r = spawnSync('bash', [join(PROJECT_ROOT, 'driver', 'windows', 'build.sh'), sys], { cwd: PROJECT_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`the driver did not build:\n${r.stdout}${r.stderr}`);
  return dirname(sys);
}

/** A Win32 test program of this project, built with mingw-w64 against the shared header. */
export function buildWin32Program(source, exe) {
  mkdirSync(dirname(exe), { recursive: true });
  const r = spawnSync('x86_64-w64-mingw32-gcc', ['-std=c11', '-O2', '-Wall', '-Wextra', '-Werror',
    '-I', join(PROJECT_ROOT, 'driver', 'include'), source, '-o', exe], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${exe.split('/').at(-1)} did not build:\n${r.stdout}${r.stderr}`);
  return exe;
}

/** The plain Win32 client, built with mingw-w64. */
export function buildClient(into) {
  return buildWin32Program(join(PROJECT_ROOT, 'driver', 'windows', 'client', 'shm-client.c'), join(into, 'shm-client.exe'));
}

function main() {
  const { values } = parseArgs({
    options: {
      prefix: { type: 'string' },
      driver: { type: 'boolean', default: false },
      'driver-log': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.prefix) {
    console.log('usage: npm run wine:prefix -- --prefix DIR [--driver] [--driver-log FILE]\n' +
      '  creates a 64-bit Wine prefix in DIR (replacing it) with the memory manager for winedevice;\n' +
      '  --driver also installs the cross-built driver from inf/sharedmemory.inf and starts it,\n' +
      '  and puts shm-client.exe in C:\\sharedmemory');
    process.exit(values.help ? 0 : 2);
  }
  const prefix = new WinePrefix(values.prefix);
  const { wineVersion } = prefix.create();
  console.log(`prefix ${prefix.dir}: ${wineVersion}, Windows 10, memory manager installed for winedevice.exe`);
  if (!values.driver) return;

  const tools = join(prefix.dir, 'drive_c', 'sharedmemory');
  const packageDir = buildDriverPackage();
  mkdirSync(tools, { recursive: true });
  for (const f of ['sharedmemory.sys', 'sharedmemory.inf']) copyFileSync(join(packageDir, f), join(tools, f));
  buildClient(tools);
  const install = prefix.installDriver(tools);
  if (!install.ok) throw new Error(`installing from sharedmemory.inf failed:\n${install.out}`);
  const log = resolve(values['driver-log'] ?? join(prefix.dir, 'sharedmemory-driver.log'));
  const started = prefix.startDriver(log);
  if (!/RUNNING/.test(started.state)) throw new Error(`sc start SharedMemory did not start it:\n${started.out}\n${started.state}\n(log: ${log})`);
  console.log([
    'driver installed from sharedmemory.inf and running; the wineserver stays up until you stop it.',
    `  try:       WINEPREFIX=${prefix.dir} wine 'C:\\sharedmemory\\shm-client.exe' allocate 4096`,
    `  driver log: ${log}`,
    `  stop:      WINEPREFIX=${prefix.dir} wineserver -k`,
    `  restart:   WINEPREFIX=${prefix.dir} wine sc start SharedMemory`,
  ].join('\n'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    main();
  } catch (error) {
    console.error(`wine:prefix: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
