// Starts browser mode (the built dist/server/server.js) on a free port with
// the simulated driver, for one test, and reads the URL line it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const URL_LINE = /^SharedMemory web UI: (http:\/\/\S+)$/m;

export interface WebServer {
  /** The printed URL, token included. */
  url: string;
  /** http://127.0.0.1:PORT */
  origin: string;
  token: string;
  /** Everything the server wrote to stdout and stderr so far. */
  output: () => string;
  stop: () => Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export async function startWebServer(backend = 'simulated'): Promise<WebServer> {
  const port = await freePort();
  const child = spawn(process.execPath, ['dist/server/server.js', '--port', String(port), '--backend', backend], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('no URL line within 15 s')), 15_000);
    const check = () => {
      const m = URL_LINE.exec(output);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`browser-mode server did not start: ${e.message}\n${output}`));
    };
    child.stdout.on('data', check);
    child.once('exit', (code, signal) => fail(new Error(`exited (${code ?? signal})`)));
    child.once('error', fail);
  });

  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    output: () => output,
    stop: () => stop(child),
  };
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
