#!/usr/bin/env node
// Proves that each of the Wine memory manager's bug-check detectors can fire,
// as e2e/vm/self-test.mjs proves the VM harness's verdicts: mm-misuse.sys
// breaks one rule per case, and the driver log must then hold exactly one
// SHM-WINE-BUGCHECK line saying which; the correct case must hold none.
//
//   node e2e/wine/mm-self-test.mjs        in a fresh prefix of its own
//   runMmSelfTest(prefix, work)            in an existing prefix (the windows-wine stage)
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUGCHECK_MARKER, PROJECT_ROOT, WinePrefix, buildWin32Program } from './wine-prefix.mjs';
import { winRun } from './windows-node.mjs';

const here = join(dirname(fileURLToPath(import.meta.url)), 'mm-self-test');
const SERVICE = 'ShmMmMisuse';

/** Each case and the one bug-check line it must cause (null: none). */
export const MISUSE_CASES = [
  ['correct', null],
  ['foreign-unmap', /MmUnmapLockedPages: the user mapping \S+ of MDL \S+ is in process \S+, not in process/],
  ['double-unmap', /MmUnmapLockedPages: \S+ is not a live mapping of MDL \S+ \(unmapped twice\?\)/],
  ['free-kernel', /MmFreePagesFromMdl: MDL \S+ is still mapped in system space/],
  ['free-user', /MmFreePagesFromMdl: MDL \S+ freed with a user mapping left behind/],
  ['system-map', /MmMapLockedPagesSpecifyCache: UserMode mapping of MDL \S+ from a system thread/],
  ['iofreemdl', /IoFreeMdl: MDL \S+ holds pages from MmAllocatePagesForMdl/],
  ['exfreepool', /ExFreePool: MDL \S+ still holds its pages/],
  ['double-free', /MmFreePagesFromMdl: MDL \S+ does not hold pages from MmAllocatePagesForMdl \(freed twice\?\)/],
  ['raise', null],
  ['handle', null],
];

function build(out) {
  mkdirSync(out, { recursive: true });
  const mingw = '/usr/x86_64-w64-mingw32';
  const sys = join(out, 'mm-misuse.sys');
  const steps = [
    ['clang', ['--target=x86_64-w64-windows-gnu', '-std=c11', '-O2', '-Wall', '-Wextra', '-Werror', '-fms-extensions',
      '-ffreestanding', '-fno-stack-protector', '-mno-red-zone', '-fasynchronous-unwind-tables', '-D_AMD64_',
      '-DNTDDI_VERSION=0x0A000000', '-D_WIN32_WINNT=0x0A00', '-isystem', `${mingw}/include/ddk`, '-isystem', `${mingw}/include`,
      '-c', join(here, 'mm-misuse.c'), '-o', join(out, 'mm-misuse.o')]],
    ['clang', ['--target=x86_64-w64-windows-gnu', '-fuse-ld=lld', '-nostdlib', '-shared', '-Wl,--subsystem,native',
      '-Wl,--entry,DriverEntry', '-Wl,--dynamicbase', '-Wl,--nxcompat', '-Wl,--image-base,0x140000000', '-L', `${mingw}/lib`, join(out, 'mm-misuse.o'), '-lntoskrnl', '-o', sys]],
  ];
  for (const [command, args] of steps) {
    const r = spawnSync(command, args, { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} failed:\n${r.stdout}${r.stderr}`);
  }
  buildWin32Program(join(here, 'mm-misuse-client.c'), join(out, 'mm-misuse-client.exe'));
  return sys;
}

/**
 * Installs and starts mm-misuse.sys in `prefix` and runs every case.
 * @returns {{ checks: { ok: boolean, what: string }[] }}
 */
export function runMmSelfTest(prefix, work) {
  const checks = [];
  const check = (ok, what) => {
    checks.push({ ok, what });
    return ok;
  };
  const sys = build(work);
  copyFileSync(sys, join(prefix.dir, 'drive_c', 'windows', 'system32', 'drivers', 'mm-misuse.sys'));
  const key = `HKLM\\System\\CurrentControlSet\\Services\\${SERVICE}`;
  for (const [name, type, data] of [['Type', 'REG_DWORD', '1'], ['Start', 'REG_DWORD', '3'], ['ErrorControl', 'REG_DWORD', '1'],
    ['ImagePath', 'REG_EXPAND_SZ', '\\SystemRoot\\System32\\drivers\\mm-misuse.sys']]) {
    prefix.wine(['reg', 'add', key, '/v', name, '/t', type, '/d', data, '/f'], { timeout: 60 });
  }
  const log = join(work, 'driver.log');
  rmSync(log, { force: true });
  const started = prefix.startDriver(log, SERVICE);
  if (!check(/RUNNING/.test(started.state), `memory-manager self-test: ${SERVICE} (mm-misuse.sys) started`)) {
    return { checks };
  }
  const bugchecks = () => (existsSync(log) ? readFileSync(log, 'utf8') : '').split('\n').filter((l) => l.includes(BUGCHECK_MARKER));
  for (const [name, expected] of MISUSE_CASES) {
    const before = bugchecks().length;
    const r = winRun(prefix, work, `mm-${name}`, `mm-misuse-client.exe ${name}`, 120);
    const counts = r.output.match(/^mm-[\w-]+: (\d+) passed, (\d+) failed/m);
    check(counts !== null && counts[2] === '0', `memory-manager self-test ${name}: the client's checks (${counts?.[0] ?? r.output.trim()})`);
    for (const l of r.output.split('\n')) if (/^FAIL/.test(l)) check(false, `  mm-${name}: ${l}`);
    const lines = bugchecks().slice(before);
    if (expected === null) {
      check(lines.length === 0, `memory-manager self-test ${name}: no bug check${lines.length ? `, but:\n${lines.join('\n')}` : ''}`);
    } else {
      check(lines.length === 1 && expected.test(lines[0] ?? ''),
        `memory-manager self-test ${name}: exactly one bug check, the right one (${lines.join(' | ') || 'none'})`);
    }
  }
  prefix.stopServer();
  return { checks };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const work = join(PROJECT_ROOT, 'dist', 'wine', 'mm-self-test');
  const prefix = new WinePrefix(join(work, 'prefix'));
  let failed = 0;
  try {
    prefix.create();
    for (const { ok, what } of runMmSelfTest(prefix, work).checks) {
      console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
      if (!ok) failed++;
    }
  } catch (error) {
    console.log(`FAIL the self-test stopped: ${error instanceof Error ? error.message : String(error)}`);
    failed++;
  } finally {
    prefix.stopServer();
  }
  process.exit(failed ? 1 : 0);
}
