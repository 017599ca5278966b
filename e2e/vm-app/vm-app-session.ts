// Host side of the real-kernel end-to-end test: boots the guest with the
// browser-mode server on the Linux driver (guest-supervisor.sh), forwards its
// port to 127.0.0.1, hands out the URL, and talks to the supervisor through
// request/reply files in the output directory the guest shares.
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { startVm as untypedStartVm } from '../vm/vm.mjs';
import type { DeviceInfo } from '../../electron/backends/device-backend.js';

// The VM harness (e2e/vm/vm.mjs) is plain JavaScript; these are the parts of
// its documented interface this test uses.
export interface VmResult {
  exitCode: number;
  timedOut: boolean;
  kernelLog: string;
  kernelProblems: string[];
  durationMs: number;
  qemuStderr: string;
}
interface VmHandle {
  result: Promise<VmResult>;
  waitForOutput(regex: RegExp, timeoutMs: number): Promise<string>;
  stop(): Promise<void>;
}
interface VmOptions {
  guestCommand: string;
  outputDir: string;
  forwardPorts: { host: number; guest: number }[];
  memoryMiB: number;
  timeoutSeconds: number;
  onOutput: (line: string) => void;
}
const startVm = untypedStartVm as unknown as (options: VmOptions) => Promise<VmHandle>;

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');
export const OUTPUT_DIR = path.join(PROJECT_ROOT, 'e2e/output/vm-app');
const GUEST_LOG = path.join(OUTPUT_DIR, 'guest-console.log');
const PROBE_SOURCE = 'e2e/vm-app/query-device.c';
const PROBE_BINARY = 'dist/e2e/vm-app/query-device';
const GUEST_SERVER_PORT = 8080;

/** QUERY's answer as the guest-side probe prints it: the app's own DeviceInfo. */
export type DeviceTotals = DeviceInfo;

export type GuestVerb = 'query' | 'kill-server' | 'stop';

export interface GuestReply {
  /** The request's id, zero-padded ("0003"). */
  id: string;
  verb: GuestVerb;
  /** "running", or "exited:<status>" (137 after SIGKILL). */
  server: string;
  /** The server's mappings of /dev/sharedmemory from /proc/PID/maps: "<start>-<end> <perms>". */
  serverMappings: string[];
  device: DeviceTotals | { error: string; errno?: number; output?: string };
  /** WARNING/BUG/Oops/KASAN/general protection lines in the guest's dmesg so far. */
  kernelProblems: number;
}

export function isTotals(device: GuestReply['device']): device is DeviceTotals {
  return !('error' in device);
}

export interface VmAppOptions {
  bootTimeoutMs?: number;
  memoryMiB?: number;
  /** Hard limit for the whole guest; the harness kills QEMU past it. */
  guestTimeoutSeconds?: number;
  /**
   * The guest ends itself after this long without a request: the guard for a
   * host side killed outright (SIGKILL runs no handler that could stop QEMU).
   */
  guestIdleSeconds?: number;
}

/** A port on 127.0.0.1 that is free now (the OS picks it). */
async function freeLocalPort(): Promise<number> {
  const probe = createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const address = probe.address();
  probe.close();
  await once(probe, 'close');
  if (address === null || typeof address === 'string') throw new Error('no TCP address for the port probe');
  return address.port;
}

/** Compiles the guest's QUERY probe against the shared ioctl header. */
function buildProbe(): void {
  mkdirSync(path.dirname(path.join(PROJECT_ROOT, PROBE_BINARY)), { recursive: true });
  const result = spawnSync(
    'gcc',
    ['-std=c11', '-D_GNU_SOURCE', '-O2', '-Wall', '-Wextra', '-Werror', '-o', PROBE_BINARY, PROBE_SOURCE],
    { cwd: PROJECT_ROOT, encoding: 'utf8' },
  );
  if (result.status !== 0) throw new Error(`gcc ${PROBE_SOURCE} failed:\n${result.stderr}${result.error?.message ?? ''}`);
}

function requireBuilt(relative: string, how: string): void {
  if (!existsSync(path.join(PROJECT_ROOT, relative))) {
    throw new Error(`${relative} is missing: run ${how} first`);
  }
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Rewrites the URL the guest printed (http://0.0.0.0:8080/...) to the forwarded host port. */
export function forwardedUrl(guestUrl: string, hostPort: number): string {
  const url = new URL(guestUrl);
  url.hostname = '127.0.0.1';
  url.port = String(hostPort);
  return url.toString();
}

export class VmAppSession {
  private nextRequestId = 1;
  private stopped = false;
  private finalResult: VmResult | null = null;

  private constructor(
    private readonly vm: VmHandle,
    /** Where the host drops requests and the guest answers (shared over 9p). */
    private readonly controlDir: string,
    /** The window's URL on this machine, token included. */
    readonly url: string,
    readonly hostPort: number,
  ) {}

  static async start(options: VmAppOptions = {}): Promise<VmAppSession> {
    requireBuilt('dist/server/server.js', 'npm run build');
    requireBuilt('dist/renderer/index.html', 'npm run build');
    requireBuilt('dist/driver/linux/sharedmemory.ko', 'npm run build:driver:linux');
    buildProbe();

    // A control directory of this session's own: stale requests must not
    // reach a new guest, nor new ones a guest a killed run left behind.
    mkdirSync(OUTPUT_DIR, { recursive: true });
    for (const old of readdirSync(OUTPUT_DIR).filter((name) => name.startsWith('control-'))) {
      rmSync(path.join(OUTPUT_DIR, old), { recursive: true, force: true });
    }
    const controlDir = path.join(OUTPUT_DIR, `control-${process.pid}-${Date.now()}`);
    mkdirSync(path.join(controlDir, 'requests'), { recursive: true });
    mkdirSync(path.join(controlDir, 'replies'), { recursive: true });
    writeFileSync(GUEST_LOG, '');

    // The port is free when probed but another process may take it before
    // QEMU binds it; then QEMU exits at once and a new port is tried.
    for (let attempt = 1; ; attempt++) {
      const hostPort = await freeLocalPort();
      // The browser names the forward's host side; the server must allow it (Host allowlist).
      const guestCommand =
        `sh e2e/vm-app/guest-supervisor.sh ${shellQuote(controlDir)} ` +
        `${options.guestIdleSeconds ?? 300} 127.0.0.1:${hostPort}`;
      const vm = await startVm({
        guestCommand,
        outputDir: OUTPUT_DIR,
        forwardPorts: [{ host: hostPort, guest: GUEST_SERVER_PORT }],
        memoryMiB: options.memoryMiB ?? 1024,
        timeoutSeconds: options.guestTimeoutSeconds ?? 1200,
        onOutput: (line: string) => appendFileSync(GUEST_LOG, `${line}\n`),
      });
      try {
        const line = await vm.waitForOutput(
          /SharedMemory web UI: http:\/\/\S+|vm-app: server exited/,
          options.bootTimeoutMs ?? 300_000,
        );
        const match = /SharedMemory web UI: (http:\/\/\S+)/.exec(line);
        if (!match?.[1]) throw new Error(`the server in the guest did not start: ${line} (see ${GUEST_LOG})`);
        return new VmAppSession(vm, controlDir, forwardedUrl(match[1], hostPort), hostPort);
      } catch (error) {
        await vm.stop();
        const { qemuStderr } = await vm.result;
        if (attempt < 3 && /host forwarding rule|Address already in use/i.test(qemuStderr)) continue;
        if (qemuStderr.trim()) throw new Error(`${String(error)}\nQEMU said: ${qemuStderr.trim()}`);
        throw error;
      }
    }
  }

  /** Sends one request to the guest supervisor and waits for its reply. */
  async request(verb: GuestVerb, timeoutMs = 90_000): Promise<GuestReply> {
    if (this.stopped) throw new Error(`the guest is stopped; cannot send "${verb}"`);
    const id = String(this.nextRequestId++).padStart(4, '0');
    const requestFile = path.join(this.controlDir, 'requests', `${id}-${verb}`);
    // Written beside, then renamed: the guest never sees a half-written request.
    const staging = path.join(this.controlDir, `${id}-${verb}.new`);
    writeFileSync(staging, '');
    renameSync(staging, requestFile);
    const replyFile = path.join(this.controlDir, 'replies', `${id}.json`);
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.vm.result.then(() => { exited = true; });
    while (!existsSync(replyFile)) {
      if (exited) throw new Error(`the guest exited before answering "${verb}" (see ${GUEST_LOG})`);
      if (Date.now() > deadline) throw new Error(`no reply to "${verb}" within ${timeoutMs} ms (see ${GUEST_LOG})`);
      await delay(100);
    }
    return JSON.parse(readFileSync(replyFile, 'utf8')) as GuestReply;
  }

  /** Asks the supervisor to stop the server and end; returns the harness's verdict. */
  async finish(timeoutMs = 120_000): Promise<{ reply: GuestReply; result: VmResult }> {
    const reply = await this.request('stop', timeoutMs);
    this.stopped = true;
    const result = await Promise.race([
      this.vm.result,
      delay(timeoutMs, undefined, { ref: false }).then(() => {
        throw new Error(`the guest did not power off within ${timeoutMs} ms`);
      }),
    ]);
    this.finalResult = result;
    return { reply, result };
  }

  /** Powers the guest off (kills QEMU); safe to call at any time, more than once. */
  async stop(): Promise<VmResult | null> {
    this.stopped = true;
    await this.vm.stop();
    if (this.finalResult) return this.finalResult;
    // After stop() the harness settles the result (killed guests included).
    const settled = await Promise.race([this.vm.result, delay(30_000, null, { ref: false })]);
    this.finalResult = settled;
    return settled;
  }
}
