// The browser-mode command line as shipped: the server bundled by esbuild,
// run with plain node, its one URL line, its refusals of bad arguments, and a
// clean stop on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
let bundle: string;
let staticDir: string;

beforeAll(() => {
  const root = join(import.meta.dirname, '..');
  // Inside the repository, so the bundle resolves koffi from node_modules as dist/ does.
  mkdirSync(join(root, 'node_modules', '.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules', '.cache', 'shm-server-cli-'));
  bundle = join(dir, 'server', 'server.js');
  staticDir = join(dir, 'renderer');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>SharedMemory</title>');
  // The real build script, into a private output directory.
  const r = spawnSync(process.execPath, ['scripts/build-node.mjs', '--quiet', '--out', dir], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  spawnSync(process.execPath, [bundle, ...args], { encoding: 'utf8', timeout: 10_000, cwd: join(import.meta.dirname, '..') });

describe('node dist/server/server.js', () => {
  it('prints exactly the URL line, serves the page, and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [bundle, '--port', '0', '--backend', 'simulated', '--static', staticDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) resolve(stdout.split('\n')[0] ?? '');
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    expect(line).toMatch(/^SharedMemory web UI: http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{32}$/);
    const url = line.replace('SharedMemory web UI: ', '');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('SharedMemory');
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stdout).toBe(`${line}\n`); // one line, nothing else
    expect(stderr).toBe('');
  });

  it.each([
    [['--port', 'abc'], /--port must be 0\.\.65535, not "abc"/],
    [['--port', '70000'], /--port must be 0\.\.65535/],
    [['--backend', 'kernel'], /--backend must be one of auto, simulated, linux, windows, not "kernel"/],
    [['--frobnicate'], /Unknown option '--frobnicate'/],
    [['--backend', 'windows'], /The windows backend needs Windows; this is linux/],
    [['--static', '/nonexistent-dir'], /the window is not built .* run npm run build/],
    [['--allow-host', '127.0.0.1'], /--allow-host must be host:port, not "127\.0\.0\.1"/],
    [['--allow-host', 'http://x:1/'], /--allow-host must be host:port/],
  ])('refuses %j with a clear message and exit code 2', (args, message) => {
    const r = run([...(args.includes('--static') ? [] : ['--static', staticDir]), '--port', '0', ...args]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it.skipIf(process.platform !== 'linux' || existsSync('/dev/sharedmemory'))(
    'explicit --backend linux without the kernel driver exits with the OS error and how to install it',
    () => {
      const r = run(['--static', staticDir, '--port', '0', '--backend', 'linux']);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/The linux kernel driver cannot be opened \(ENOENT 2\)\..*Install it: /);
    },
  );
});
