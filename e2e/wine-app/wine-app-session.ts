// Host side of the window-on-the-Windows-driver test: a Wine prefix with the
// memory manager and the driver installed from its INF and running, the
// browser-mode server (dist/server/) in Windows Node with --backend windows,
// and a C client for QUERY from a process of its own, so that a leak in the
// app cannot hide itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { DeviceInfo } from '../../electron/backends/device-backend.js';
import { fetchWindowsNode as untypedFetch, prepareNodeRunDirectory as untypedPrepare, winRun as untypedWinRun } from '../wine/windows-node.mjs';
import {
  BUGCHECK_MARKER as untypedMarker,
  WinePrefix as UntypedWinePrefix,
  buildClient as untypedBuildClient,
  buildDriverPackage as untypedBuildDriverPackage,
} from '../wine/wine-prefix.mjs';

// The Wine harness (e2e/wine/*.mjs) is plain JavaScript; these are the parts
// of its documented interface this test uses.
interface CommandResult {
  ok: boolean;
  out: string;
}
interface WinePrefixHandle {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  create(): { wineVersion: string };
  installDriver(packageDir: string): CommandResult;
  startDriver(logFile: string): CommandResult & { state: string };
  stopServer(): void;
}
type WinePrefixClass = new (dir: string, options?: { commandLog?: string }) => WinePrefixHandle;
const WinePrefix = UntypedWinePrefix as unknown as WinePrefixClass;
const buildClient = untypedBuildClient as unknown as (into: string) => string;
const buildDriverPackage = untypedBuildDriverPackage;
const fetchWindowsNode = untypedFetch as unknown as (prefix: WinePrefixHandle, cache: string) => string[];
const prepareNodeRunDirectory = untypedPrepare as unknown as (prefix: WinePrefixHandle, cache: string, run: string) => void;
const winRun = untypedWinRun as unknown as (
  prefix: WinePrefixHandle, run: string, name: string, commandLine: string, timeout?: number,
) => CommandResult & { output: string };
export const BUGCHECK_MARKER = untypedMarker as string;

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
export const OUTPUT_DIR = path.join(PROJECT_ROOT, 'e2e/output/wine-app');
const WORK = path.join(PROJECT_ROOT, 'dist/wine-app');

export class WineAppSession {
  private server: ChildProcess | null = null;
  private serverUrl = '';

  private constructor(
    private readonly prefix: WinePrefixHandle,
    private readonly run: string,
    readonly driverLog: string,
  ) {}

  /** The window's address, with the run's token. */
  get url(): string {
    return this.serverUrl;
  }

  /** Prefix, driver, server: returns once the server has printed its URL. */
  static async start(): Promise<WineAppSession> {
    mkdirSync(OUTPUT_DIR, { recursive: true });
    const prefix = new WinePrefix(path.join(WORK, 'prefix'), { commandLog: path.join(WORK, 'commands') });
    const run = path.join(WORK, 'run');
    fetchWindowsNode(prefix, path.join(PROJECT_ROOT, 'dist/wine/cache'));
    prepareNodeRunDirectory(prefix, path.join(PROJECT_ROOT, 'dist/wine/cache'), run);
    for (const part of ['server', 'renderer']) {
      const built = path.join(PROJECT_ROOT, 'dist', part);
      if (!existsSync(built)) throw new Error(`dist/${part} is missing: npm run build`);
      cpSync(built, path.join(run, 'app', part), { recursive: true });
    }
    buildClient(run);
    const packageDir = buildDriverPackage();
    prefix.create();
    const install = prefix.installDriver(packageDir);
    if (!install.ok) throw new Error(`installing the driver from its INF failed:\n${install.out}`);
    const driverLog = path.join(OUTPUT_DIR, 'driver.log');
    const started = prefix.startDriver(driverLog);
    if (!/RUNNING/.test(started.state)) throw new Error(`sc start SharedMemory failed:\n${started.out}\n${started.state}`);

    const session = new WineAppSession(prefix, run, driverLog);
    try {
      session.serverUrl = await session.startServer();
    } catch (error) {
      session.stop();
      throw error;
    }
    return session;
  }

  /** node.exe app\server\server.js --backend windows, its output in server.txt. */
  private async startServer(): Promise<string> {
    const output = path.join(this.run, 'server.txt');
    this.server = spawn('wine', ['cmd', '/c', 'node.exe app\\server\\server.js --backend windows --port 0 > server.txt 2>&1'], {
      cwd: this.run,
      env: this.prefix.env,
      stdio: 'ignore',
    });
    for (let i = 0; i < 240; i++) {
      const text = existsSync(output) ? readFileSync(output, 'utf8') : '';
      const match = /SharedMemory web UI: (http:\/\/127\.0\.0\.1:\d+\/\?token=\S+)/.exec(text);
      if (match?.[1]) return match[1];
      if (this.server.exitCode !== null) throw new Error(`the server in Windows Node exited:\n${text}`);
      await delay(500);
    }
    throw new Error(`the server in Windows Node printed no URL in 120 s:\n${existsSync(output) ? readFileSync(output, 'utf8') : ''}`);
  }

  /** QUERY from a fresh Windows process (shm-client.exe query). */
  query(): DeviceInfo {
    const r = winRun(this.prefix, this.run, 'query', 'shm-client.exe query', 60);
    const parsed = JSON.parse(r.output.trim()) as DeviceInfo | { error: number };
    if ('error' in parsed) throw new Error(`QUERY from shm-client.exe failed with ${parsed.error}`);
    return parsed;
  }

  /** The memory manager's bug-check lines in the driver log so far. */
  bugchecks(): string[] {
    const text = existsSync(this.driverLog) ? readFileSync(this.driverLog, 'utf8') : '';
    return text.split('\n').filter((l) => l.includes(BUGCHECK_MARKER));
  }

  serverOutput(): string {
    const output = path.join(this.run, 'server.txt');
    return existsSync(output) ? readFileSync(output, 'utf8') : '';
  }

  /** Stops the server, the driver host and the prefix's wineserver. */
  stop(): void {
    this.prefix.stopServer();
    this.server?.kill('SIGKILL');
  }
}
