// One API definition, three transports: every API function has an Electron
// IPC channel with a main-process handler, a preload function, and a route in
// browser mode's wire protocol that the server answers.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createSimulatedBackend } from '../electron/simulated/simulated-backend.js';
import { registerApiHandlers } from '../electron/ipc/api-handlers.js';
import { SharedMemoryService } from '../electron/service/shared-memory-service.js';
import { createBridge } from '../preload/bridge.js';
import { startWebServer } from '../server/web-server.js';
import { apiDefinition, apiEventDefinition, apiNames, ipcChannel, type ApiName } from './shared-memory-api.js';
import { callMessageSchema, eventMessageSchema, resultMessageSchema } from './web-protocol.js';

/** A valid request for each channel, so every route is exercised for real. */
const SAMPLE: { [N in ApiName]: unknown } = {
  getStatus: {},
  allocate: { size: 4096 },
  readValues: { offset: 0, count: 10 },
  writeValues: { offset: 0, values: [1, 2] },
  verify: { offset: 0, count: 10 },
  release: {},
  startDriver: {},
  startStream: { rateHz: 1000 },
  stopStream: {},
};

describe('the API definition shared by both transports', () => {
  it('lists the API functions the window needs', () => {
    expect(apiNames).toEqual([
      'getStatus',
      'allocate',
      'readValues',
      'writeValues',
      'verify',
      'release',
      'startDriver',
      'startStream',
      'stopStream',
    ]);
    for (const name of apiNames) expect(apiDefinition[name].request.safeParse(SAMPLE[name]).success).toBe(true);
  });

  it('gives every function its own IPC channel and a main-process handler', () => {
    const channels = apiNames.map(ipcChannel);
    expect(new Set(channels).size).toBe(apiNames.length);
    const registered: string[] = [];
    registerApiHandlers(
      { handle: (channel) => registered.push(channel), removeHandler: () => undefined },
      { invoke: () => Promise.resolve({ ok: true, value: null }) },
    );
    expect(registered.sort()).toEqual([...channels].sort());
  });

  it('gives every function a preload function that calls exactly its channel', async () => {
    const sent: [string, unknown][] = [];
    const bridge = createBridge(
      (channel, request) => {
        sent.push([channel, request]);
        return Promise.resolve({ ok: true, value: channel });
      },
      () => () => undefined,
    );
    expect(Object.keys(bridge).sort()).toEqual([...apiNames, 'subscribe'].sort());
    expect(Object.isFrozen(bridge)).toBe(true);
    for (const name of apiNames) {
      const call = bridge[name] as (request: unknown) => Promise<unknown>;
      expect(await call(SAMPLE[name])).toEqual({ ok: true, value: ipcChannel(name) });
    }
    expect(sent).toEqual(apiNames.map((name) => [ipcChannel(name), SAMPLE[name]]));
  });

  it('turns a failing IPC call into an error result in the preload', async () => {
    const bridge = createBridge(
      () => Promise.reject(new Error('reply was never sent')),
      () => () => undefined,
    );
    expect(await bridge.getStatus({})).toMatchObject({
      ok: false,
      error: { operation: 'getStatus', kind: 'transport', message: expect.stringContaining('reply was never sent') as string },
    });
  });

  it('gives every function a route in the wire protocol that the server answers', async () => {
    for (const name of apiNames) {
      expect(callMessageSchema.safeParse({ id: 1, name, request: SAMPLE[name] }).success).toBe(true);
    }
    expect(callMessageSchema.safeParse({ id: 1, name: 'unknown', request: {} }).success).toBe(false);

    const staticDir = mkdtempSync(join(tmpdir(), 'shm-static-'));
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html>');
    const service = new SharedMemoryService({ backend: createSimulatedBackend(), reason: 'test' });
    const server = await startWebServer({ service, events: service, staticDir, port: 0 });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api?token=${server.token}`, {
        origin: `http://127.0.0.1:${server.port}`,
      });
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const replies = new Map<number, unknown>();
      const pushes: string[] = [];
      const done = new Promise<void>((resolve) =>
        ws.on('message', (data: Buffer) => {
          const message = JSON.parse(data.toString('utf8')) as object;
          const push = eventMessageSchema.safeParse(message);
          if (push.success) {
            const payload = apiEventDefinition[push.data.event].parse(push.data.payload);
            if ('change' in payload) pushes.push(payload.change);
            return;
          }
          const reply = resultMessageSchema.parse(message);
          replies.set(reply.id ?? -1, reply.result);
          if (replies.size === apiNames.length) resolve();
        }),
      );
      apiNames.forEach((name, id) => ws.send(JSON.stringify({ id, name, request: SAMPLE[name] })));
      await done;
      ws.close();
      // The connection heard the state changes its calls made.
      expect(pushes).toEqual(['allocated', 'released']);
      apiNames.forEach((name, id) => {
        const result = replies.get(id) as { ok: boolean; value?: unknown; error?: { kind: string } };
        if (name === 'startDriver') {
          // No driver service in this test: a clear refusal, still a routed answer.
          expect(result).toMatchObject({ ok: false, error: { kind: 'unsupported' } });
        } else if (name === 'startStream' || name === 'stopStream') {
          // Released just before: the driver's own refusal, routed.
          expect(result, name).toMatchObject({ ok: false, error: { kind: 'nothing-allocated' } });
        } else {
          expect(result.ok, name).toBe(true);
          expect(apiDefinition[name].response.safeParse(result.value).success, name).toBe(true);
        }
      });
    } finally {
      await server.close();
      await service.dispose();
      rmSync(staticDir, { recursive: true, force: true });
    }
  });
});
