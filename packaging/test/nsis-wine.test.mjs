// build/installer.nsh run for real under Wine: install, update (install over
// an installed version), uninstall, and a driver that will not start.
//
// The installer is the test wrapper (fixtures/nsis-wrapper.nsi) built as a
// 64-bit NSIS installer, since this machine's Wine is 64-bit only; it carries
// the cross-built sharedmemory.sys and the INF where electron-builder puts
// them. Wine's service manager creates, starts (loading the driver in
// winedevice), stops and deletes the service for real. Two tools are
// stand-ins (fixtures/windows-tools): sc.exe, because Wine's exits with 0/1
// where Windows' exits with the Win32 error the installer checks, and
// pnputil.exe, which Wine lacks. Both log their calls, so the test sees the
// exact sequence the installer ran. The app's own Windows DriverServiceControl
// is run against the installed service too, its tools started through wine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { build as esbuild } from 'esbuild';
import { root } from './paths.mjs';

const work = mkdtempSync(join(tmpdir(), 'shm-nsis-wine-'));
const prefix = join(work, 'prefix');
const driveC = join(prefix, 'drive_c');
const env = {
  ...process.env,
  WINEPREFIX: prefix,
  WINEDEBUG: '-all',
  // No Mono/Gecko prompts; the stand-in sc.exe instead of Wine's builtin one.
  WINEDLLOVERRIDES: 'mscoree,mshtml=;sc.exe=n',
  DISPLAY: '',
};
const missing = ['wine', 'wineserver', 'makensis', 'x86_64-w64-mingw32-gcc', 'clang'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
);
const skip = missing.length ? `missing tools: ${missing.join(', ')}` : false;

const run = (cmd, args, options = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 180_000, env, ...options });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}`, error: r.error };
};
const wine = (...args) => run('wine', args);
// The stand-ins write their logs in text mode (CRLF).
const logOf = (name) => (existsSync(join(driveC, name)) ? readFileSync(join(driveC, name), 'utf8').replace(/\r\n/g, '\n') : '');
const clearLogs = () => ['sc-calls.txt', 'pnputil-calls.txt'].forEach((f) => rmSync(join(driveC, f), { force: true }));
const serviceState = () => /STATE\s*:\s*(\d+)/.exec(wine('sc', 'query', 'SharedMemory').output)?.[1] ?? 'absent';

function buildInstaller(driverDir, name) {
  const out = join(work, name);
  const r = run('makensis', ['-WX', '-V2', '-DTARGET_AMD64', `-DDRIVER_DIR=${driverDir}`,
    `-DINCLUDE_FILE=${join(root, 'build/installer.nsh')}`, `-DOUT_FILE=${out}`,
    join(root, 'packaging/test/fixtures/nsis-wrapper.nsi')]);
  assert.equal(r.status, 0, r.output);
  return out;
}

let installer;
let brokenInstaller;

before(() => {
  if (skip) return;
  const driver = join(work, 'driver');
  const build = run('bash', [join(root, 'driver/windows/build.sh'), join(driver, 'sharedmemory.sys')]);
  assert.equal(build.status, 0, build.output);
  installer = buildInstaller(driver, 'shm-test-install.exe');
  // A "driver" Windows cannot load: the INF's text where the image should be.
  const broken = join(work, 'broken-driver');
  mkdirSync(broken);
  copyFileSync(join(driver, 'sharedmemory.inf'), join(broken, 'sharedmemory.inf'));
  copyFileSync(join(driver, 'sharedmemory.inf'), join(broken, 'sharedmemory.sys'));
  brokenInstaller = buildInstaller(broken, 'shm-test-broken-install.exe');

  // The wineserver and the services it starts outlive their caller, so they
  // get no pipes to hold open (spawnSync would wait for them).
  mkdirSync(prefix);
  const boot = spawnSync('wine', ['wineboot', '--init'], { env, stdio: 'ignore', timeout: 180_000 });
  assert.equal(boot.status, 0, `wineboot --init: ${boot.error?.message ?? `exit ${boot.status}`}`);
  // Let the new prefix's first session end (its services restart once the
  // prefix is set up), then keep one wineserver, and with it the services and
  // the loaded driver, alive between the wine calls below.
  spawnSync('wineserver', ['-w'], { env, stdio: 'ignore', timeout: 60_000 });
  assert.equal(spawnSync('wineserver', ['-p'], { env, stdio: 'ignore' }).status, 0);
  // Start this session's services here, where they inherit no pipes.
  spawnSync('wine', ['wineboot'], { env, stdio: 'ignore', timeout: 120_000 });
  for (const tool of ['sc', 'pnputil']) {
    const exe = join(driveC, 'windows/system32', `${tool}.exe`);
    const r = run('x86_64-w64-mingw32-gcc', ['-municode', '-O2', '-Wall', '-Wextra', '-Werror', '-o', exe,
      join(root, `packaging/test/fixtures/windows-tools/${tool}-shim.c`)]);
    assert.equal(r.status, 0, r.output);
  }
  // The first kernel driver a fresh Wine session starts sometimes fails with
  // 1359 (ERROR_INTERNAL_ERROR) while Wine's driver host comes up. Load the
  // driver once under another service name first, so the installer's start
  // measures the installer, not Wine's warm-up.
  const image = run('wine', ['winepath', '-w', join(driver, 'sharedmemory.sys')]).output.trim();
  wine('sc', 'create', 'SharedMemoryWarmUp', 'type=', 'kernel', 'start=', 'demand', 'binPath=', image);
  let warm = false;
  for (let i = 0; i < 5 && !warm; i++) warm = wine('sc', 'start', 'SharedMemoryWarmUp').status === 0;
  assert.ok(warm, 'Wine loads the cross-built driver');
  for (let i = 0; i < 20 && wine('sc', 'stop', 'SharedMemoryWarmUp').status === 0; i++);
  wine('sc', 'delete', 'SharedMemoryWarmUp');
  clearLogs();
});

after(() => {
  if (!skip) run('wineserver', ['-k']);
  rmSync(work, { recursive: true, force: true });
});

test('install: adds the package, records oemN.inf, creates and starts the service (the driver loads)', { skip }, () => {
  clearLogs();
  const r = wine(installer, '/S', '/D=C:\\SharedMemory');
  assert.equal(r.status, 0, r.output);
  assert.equal(logOf('pnputil-calls.txt'), '/add-driver C:\\SharedMemory\\resources\\driver\\sharedmemory.inf /install\n');
  const sc = logOf('sc-calls.txt');
  // Nothing to remove first, then the fallback create (the stand-in pnputil adds no service), then start.
  assert.match(sc, /^stop SharedMemory => 1060\ndelete SharedMemory => 1060\nquery SharedMemory => 1060\ncreate SharedMemory type= kernel start= demand error= normal binPath= C:\\SharedMemory\\resources\\driver\\sharedmemory\.sys DisplayName= SharedMemory => 0\nstart SharedMemory => 0\n$/, sc);
  assert.equal(serviceState(), '4', 'the service is RUNNING');
  assert.match(wine('reg', 'query', 'HKLM\\Software\\SharedMemory\\Driver', '/v', 'PublishedInf').output, /oem7\.inf/);
});

/** The app's Windows driver-service control, its sc.exe and whoami.exe run through wine. */
async function appDriverService() {
  const bundle = join(work, 'windows-driver-service.mjs');
  await esbuild({
    entryPoints: [join(root, 'electron/driver-service/windows-driver-service.ts')],
    bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: bundle, logLevel: 'error',
  });
  const { createWindowsDriverService } = await import(pathToFileURL(bundle).href);
  const run = (file, args, timeoutMs) => {
    const r = spawnSync('wine', [file, ...args], { env, encoding: 'utf8', timeout: timeoutMs });
    // wine passes on only the low 8 bits of the exit code; the tool's failure
    // line carries the whole Win32 error, which the control reads first.
    return Promise.resolve({ exitCode: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', failure: r.error ? r.error.message : null });
  };
  return createWindowsDriverService({ run, systemRoot: 'C:\\Windows' });
}

test('the app\'s driver-service control sees the installed driver running, stopped, and starts it', { skip }, async () => {
  const service = await appDriverService();
  assert.deepEqual(await service.status(), { state: 'running', detail: 'Service SharedMemory is running.', canStart: false });
  assert.equal(wine('sc', 'stop', 'SharedMemory').status, 0);
  const stopped = await service.status();
  assert.equal(stopped.state, 'stopped', JSON.stringify(stopped));
  assert.match(stopped.detail, /installed but stopped/);
  // Wine's whoami does not list groups, so this process does not count as elevated.
  assert.equal(stopped.canStart, false);
  await service.start();
  assert.equal((await service.status()).state, 'running');
});

test('update: installing over it stops and removes the old driver first, then installs and starts the new one', { skip }, () => {
  clearLogs();
  const r = wine(installer, '/S', '/D=C:\\SharedMemory');
  assert.equal(r.status, 0, r.output);
  assert.equal(logOf('pnputil-calls.txt'),
    '/delete-driver oem7.inf /uninstall /force\n/add-driver C:\\SharedMemory\\resources\\driver\\sharedmemory.inf /install\n');
  const sc = logOf('sc-calls.txt').split('\n');
  // stop until Windows says "not active" (1062), delete, then the fresh install.
  assert.deepEqual(sc.slice(0, 2), ['stop SharedMemory => 0', 'stop SharedMemory => 1062'], sc.join('\n'));
  assert.ok(sc.includes('delete SharedMemory => 0'), sc.join('\n'));
  assert.equal(sc.filter(Boolean).at(-1), 'start SharedMemory => 0', sc.join('\n'));
  assert.equal(serviceState(), '4');
});

test('uninstall: stops the driver, removes the package and the service, forgets oemN.inf', { skip }, () => {
  clearLogs();
  const r = wine('C:\\SharedMemory\\Uninstall.exe', '/S', '_?=C:\\SharedMemory');
  assert.equal(r.status, 0, r.output);
  assert.equal(logOf('pnputil-calls.txt'), '/delete-driver oem7.inf /uninstall /force\n');
  assert.match(logOf('sc-calls.txt'), /^stop SharedMemory => 0\nstop SharedMemory => 1062\ndelete SharedMemory => 0\n$/);
  assert.equal(serviceState(), 'absent');
  assert.match(wine('sc', 'query', 'SharedMemory').output, /FAILED 1060/);
  assert.notEqual(wine('reg', 'query', 'HKLM\\Software\\SharedMemory').status, 0, 'the registry keys are gone');
  assert.ok(!existsSync(join(driveC, 'SharedMemory/resources')), 'the driver files are gone');
});

test('after the uninstall the app\'s control reports the driver not installed', { skip }, async () => {
  const service = await appDriverService();
  const status = await service.status();
  assert.equal(status.state, 'not-installed', JSON.stringify(status));
  await assert.rejects(service.start(), /not installed \(error 1060\)/);
});

test('a driver that will not start does not fail the install; the service stays, stopped, for the app to report', { skip }, () => {
  clearLogs();
  const r = wine(brokenInstaller, '/S', '/D=C:\\SharedMemoryBroken');
  assert.equal(r.status, 0, r.output);
  const sc = logOf('sc-calls.txt');
  const start = /^start SharedMemory => (\d+)$/m.exec(sc);
  assert.ok(start, sc);
  assert.notEqual(start[1], '0', `Wine refused the bogus image:\n${sc}`);
  assert.equal(serviceState(), '1', 'installed but STOPPED');
  const un = wine('C:\\SharedMemoryBroken\\Uninstall.exe', '/S', '_?=C:\\SharedMemoryBroken');
  assert.equal(un.status, 0, un.output);
  assert.equal(serviceState(), 'absent');
});

// Keep the fixtures honest: the stand-ins are built from source in this test.
test('the stand-in tools compiled and are the ones Wine ran', { skip }, () => {
  assert.ok(existsSync(join(driveC, 'windows/system32/pnputil.exe')));
  assert.match(wine('sc', 'query', 'PlugPlay').output, /STATE\s*:\s*4\r?\n/);
  assert.match(logOf('sc-calls.txt'), /^query PlugPlay => 0$/m);
});
