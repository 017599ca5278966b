#!/usr/bin/env node
// SPDX-License-Identifier: LGPL-2.1-or-later
// Builds Wine's ntoskrnl.exe with the memory manager of this directory's patch,
// as a native PE for a prefix's system32 (see e2e/wine/README.md).
//
//   node e2e/wine/ntoskrnl/build-ntoskrnl.mjs     prints the path of the built ntoskrnl.exe
//
// The source is Debian's package of the Wine that is installed (apt-get source
// needs a deb-src entry; scripts/install-system-deps.sh adds it). Only
// dlls/ntoskrnl.exe is compiled, out of Wine's tree, with mingw-w64 and the
// Wine headers and import libraries of libwine-dev / wine64-tools: a few
// seconds. The result is cached under dist/wine/ntoskrnl/ and rebuilt when the
// patch, this script or the installed Wine change.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const work = join(root, 'dist', 'wine', 'ntoskrnl');
const PATCH = join(here, '0001-ntoskrnl.exe-Implement-a-memory-manager-for-MDL-pages.patch');
/** The Wine the patch is written against (Debian 12's package). */
const UPSTREAM_VERSION = '8.0';
const WINE_LIBS = '/usr/lib/x86_64-linux-gnu/wine/x86_64-windows';
const WINE_INCLUDE = '/usr/include/wine/wine';

function run(command, args, { cwd = work, input } = {}) {
  const r = spawnSync(command, args, { cwd, input, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${command}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${r.status}):\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function installedWineVersion() {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'wine'], { encoding: 'utf8' });
  if (r.status !== 0 || !r.stdout) throw new Error('Wine is not installed as a Debian package (scripts/install-system-deps.sh installs it)');
  const upstream = r.stdout.replace(/^\d+:/, '').replace(/[~+-].*$/, '');
  if (upstream !== UPSTREAM_VERSION) {
    throw new Error(`the memory-manager patch is for Wine ${UPSTREAM_VERSION}; the installed Wine is ${r.stdout}`);
  }
  return r.stdout;
}

/** Fetches Debian's source of the installed Wine once; returns its two tarballs. */
function fetchSource(version) {
  const dir = join(work, 'source');
  mkdirSync(dir, { recursive: true });
  const find = () => {
    const files = readdirSync(dir);
    const orig = files.find((f) => /^wine_.*\.orig\.tar\.xz$/.test(f));
    const debian = files.find((f) => f === `wine_${version.replace(/^\d+:/, '')}.debian.tar.xz`);
    return orig && debian ? { orig: join(dir, orig), debian: join(dir, debian) } : null;
  };
  const found = find();
  if (found) return found;
  const r = spawnSync('apt-get', ['source', '--download-only', '-qq', `wine=${version}`], { cwd: dir, encoding: 'utf8' });
  const fetched = find();
  if (!fetched) {
    throw new Error(
      `apt-get source wine=${version} failed; it needs a deb-src entry for Debian's archive ` +
        `(scripts/install-system-deps.sh adds one, then apt-get update):\n${r.stdout ?? ''}${r.stderr ?? ''}`,
    );
  }
  return fetched;
}

/** Unpacks what dlls/ntoskrnl.exe needs and applies the patch. */
function prepareTree(source) {
  const tree = join(work, 'tree');
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  const top = run('tar', ['-tf', source.orig], { cwd: tree }).split('\n')[0].split('/')[0];
  run('tar', ['-xf', source.orig, '--strip-components=1',
    ...['server', 'tools/make_requests', 'include', 'dlls/ntoskrnl.exe'].map((p) => `${top}/${p}`)], { cwd: tree });
  run('tar', ['-xf', source.debian, 'debian/patches/generate/request.patch', 'debian/scripts/generate'], { cwd: tree });
  // include/wine/server_protocol.h is generated; Debian's repack leaves it out.
  run('patch', ['-p1', '--batch', '--quiet', '-i', 'debian/patches/generate/request.patch'], { cwd: tree });
  for (const file of ['server/trace.generated', 'server/request.generated']) {
    run('sh', ['debian/scripts/generate', file, 'make_requests'], { cwd: tree });
  }
  run('perl', ['tools/make_requests'], { cwd: tree });
  run('patch', ['-p1', '--batch', '--quiet', '-i', PATCH], { cwd: tree });
  return tree;
}

function compile(tree, out) {
  const dll = join(tree, 'dlls', 'ntoskrnl.exe');
  const gen = join(out, 'generated');
  mkdirSync(join(gen, 'wine'), { recursive: true });
  const idl = (what, flag, output, input) => run('widl-stable', ['-m64', '--nostdinc', '-I', join(tree, 'include'), '-I', dll, flag, '-o', output, input]);
  idl('svcctl', '-h', join(gen, 'wine', 'svcctl.h'), join(tree, 'include', 'wine', 'svcctl.idl'));
  idl('plugplay', '-h', join(gen, 'plugplay.h'), join(dll, 'plugplay.idl'));
  idl('plugplay', '-c', join(gen, 'plugplay_c.c'), join(dll, 'plugplay.idl'));

  const cflags = [
    '-I', dll, '-I', gen, '-I', join(tree, 'include'), '-I', join(tree, 'include', 'msvcrt'),
    '-I', join(WINE_INCLUDE, 'windows'), '-I', join(WINE_INCLUDE, 'msvcrt'),
    '-D__WINESRC__', '-D__WINE_PE_BUILD', '-D_NTSYSTEM_', '-D_MSVCR_VER=0', '-D_ACRTIMP=',
    '-DWINAPI_FAMILY=WINAPI_FAMILY_DESKTOP_APP', '-nostdinc', '-fno-builtin', '-fshort-wchar',
    '-fasynchronous-unwind-tables', '-fno-strict-aliasing', '-O2', '-Wall', '-Werror',
  ];
  const sources = [...['ntoskrnl', 'mm', 'instr', 'pnp', 'sync'].map((f) => join(dll, `${f}.c`)), join(gen, 'plugplay_c.c')];
  const objects = sources.map((src) => {
    const obj = join(out, `${src.split('/').at(-1).replace(/\.c$/, '')}.o`);
    run('x86_64-w64-mingw32-gcc', ['-c', ...cflags, src, '-o', obj]);
    return obj;
  });
  const res = join(out, 'ntoskrnl.res');
  run('wrc-stable', ['--nostdinc', '-I', join(tree, 'include'), '-I', join(WINE_INCLUDE, 'windows'), '-o', res, join(dll, 'ntoskrnl.rc')]);
  const exe = join(out, 'ntoskrnl.exe');
  // A plain native PE: a prefix refuses a Wine builtin in system32 as native.
  run('winegcc-stable', [
    '-b', 'x86_64-w64-mingw32', '-m64', '-shared', '-nodefaultlibs', '-o', exe, join(dll, 'ntoskrnl.exe.spec'),
    ...objects, res, `-L${WINE_LIBS}`,
    '-lwinecrt0', '-ladvapi32', '-lhal', '-lmsvcrt', '-lrpcrt4', '-lsetupapi', '-lkernel32', '-lntdll',
  ]);
  return exe;
}

/** Returns the path of an ntoskrnl.exe with the memory manager, building it if needed. */
export function buildNtoskrnl() {
  const version = installedWineVersion();
  const out = join(work, 'build');
  const exe = join(out, 'ntoskrnl.exe');
  const stampFile = join(out, 'stamp');
  const stamp = createHash('sha256')
    .update(readFileSync(PATCH))
    .update(readFileSync(fileURLToPath(import.meta.url)))
    .update(version)
    .digest('hex');
  if (existsSync(exe) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return exe;

  for (const tool of ['x86_64-w64-mingw32-gcc', 'winegcc-stable', 'widl-stable', 'wrc-stable', 'perl', 'patch']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      throw new Error(`${tool} is not installed (scripts/install-system-deps.sh installs it)`);
    }
  }
  if (!existsSync(join(WINE_LIBS, 'libntdll.a'))) throw new Error(`Wine's import libraries are missing (${WINE_LIBS}: package libwine-dev)`);
  const tree = prepareTree(fetchSource(version));
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  compile(tree, out);
  writeFileSync(stampFile, stamp);
  return exe;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  try {
    console.log(buildNtoskrnl());
  } catch (error) {
    console.error(`build-ntoskrnl: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
