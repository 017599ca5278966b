// Export in the main process, for real: the simulated driver behind the
// service, files in a temporary directory, the IPC handler's checks.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EXPORT_CHANNEL } from '../../api/api-names.js';
import type { ExportResult } from '../../api/export-api.js';
import { isAppFrameUrl } from '../ipc/api-handlers.js';
import { SharedMemoryService } from '../service/shared-memory-service.js';
import { createSimulatedBackend } from '../simulated/simulated-backend.js';
import { exportRange, exportSourceOf, registerExportHandler, type ExportDependencies } from './export-handler.js';

const dir = mkdtempSync(join(tmpdir(), 'shm-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let service: SharedMemoryService | null = null;
afterEach(async () => {
  await service?.dispose();
  service = null;
});

async function setUp(size: number | null, chosen: string | null): Promise<{ deps: ExportDependencies; asked: string[] }> {
  service = new SharedMemoryService({ backend: createSimulatedBackend({ flavour: 'linux' }), reason: 'test' });
  const s = service;
  if (size !== null) expect((await s.invoke('allocate', { size })).ok).toBe(true);
  const asked: string[] = [];
  return {
    asked,
    deps: {
      ...exportSourceOf(s),
      chooseFile: (name) => {
        asked.push(name);
        return Promise.resolve(chosen);
      },
      isTrustedFrame: isAppFrameUrl,
    },
  };
}

describe('Export to a file (Electron main)', () => {
  it('writes the range the user chose, byte for byte, where the dialog said', async () => {
    const path = join(dir, 'range.bin');
    const { deps, asked } = await setUp(4096, path);
    const result = await exportRange(deps, { offset: 0, length: 20, suggestedName: 'sharedmemory-0x0-20.bin' });
    expect(result).toEqual({ ok: true, value: { saved: true, path, bytes: 20 } });
    expect(asked).toEqual(['sharedmemory-0x0-20.bin']);
    // The seed 10, 9, ..., 1 as little-endian u16.
    expect([...readFileSync(path)]).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1].flatMap((v) => [v, 0]));
  });

  it('exports a whole 1 MiB mapping, odd offsets too', async () => {
    const path = join(dir, 'whole.bin');
    const { deps } = await setUp(1024 * 1024, path);
    expect(await exportRange(deps, { offset: 0, length: 1024 * 1024, suggestedName: 'a.bin' })).toMatchObject({ ok: true, value: { saved: true } });
    expect(readFileSync(path).length).toBe(1024 * 1024);
    await exportRange(deps, { offset: 1, length: 3, suggestedName: 'a.bin' });
    expect([...readFileSync(path)]).toEqual([0, 9, 0]);
  });

  it('writes nothing when the user cancels the dialog', async () => {
    const { deps } = await setUp(4096, null);
    expect(await exportRange(deps, { offset: 0, length: 16, suggestedName: 'a.bin' })).toEqual({ ok: true, value: { saved: false } });
  });

  it('refuses bad requests and ranges past the mapping before asking where', async () => {
    const { deps, asked } = await setUp(4096, join(dir, 'never.bin'));
    const refused = async (request: unknown): Promise<ExportResult> => exportRange(deps, request);
    expect(await refused({ offset: -1, length: 1, suggestedName: 'a.bin' })).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(await refused({ offset: 0, length: 1, suggestedName: '../../etc/passwd' })).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(await refused({ offset: 0, length: 1, suggestedName: 'a.bin', extra: 1 })).toMatchObject({ ok: false });
    expect(await refused({ offset: 4000, length: 97, suggestedName: 'a.bin' })).toMatchObject({
      ok: false,
      error: { message: "export refused: 0xfa0 + 97 bytes is past the mapping's end (4096 bytes)." },
    });
    expect(asked).toEqual([]);
    expect(existsSync(join(dir, 'never.bin'))).toBe(false);
  });

  it('says so when nothing is allocated, and when the file cannot be written', async () => {
    const none = await setUp(null, join(dir, 'x.bin'));
    expect(await exportRange(none.deps, { offset: 0, length: 1, suggestedName: 'a.bin' })).toMatchObject({
      ok: false,
      error: { kind: 'not-allocated', hint: 'Allocate memory first' },
    });
    await service?.dispose();
    const unwritable = await setUp(4096, join(dir, 'no-such-dir', 'x.bin'));
    expect(await exportRange(unwritable.deps, { offset: 0, length: 1, suggestedName: 'a.bin' })).toMatchObject({
      ok: false,
      error: { kind: 'file', message: expect.stringContaining('ENOENT') as unknown },
    });
  });

  it('removes a partial file when the mapping goes away part-way', async () => {
    const path = join(dir, 'partial.bin');
    const { deps } = await setUp(64 * 1024, path);
    let calls = 0;
    const failing: ExportDependencies = {
      ...deps,
      read: async (request) => {
        calls += 1;
        if (calls === 3) await service?.invoke('release', {});
        return deps.read(request);
      },
    };
    const result = await exportRange(failing, { offset: 0, length: 64 * 1024, suggestedName: 'a.bin' });
    expect(result).toMatchObject({ ok: false, error: { operation: 'export' } });
    expect(existsSync(path)).toBe(false);
  });

  it('answers only the app\'s own page over IPC', async () => {
    const { deps } = await setUp(4096, join(dir, 'ipc.bin'));
    const handlers = new Map<string, (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<unknown>>();
    const remove = registerExportHandler({ handle: (c, l) => handlers.set(c, l), removeHandler: (c) => handlers.delete(c) }, deps);
    const handler = handlers.get(EXPORT_CHANNEL);
    if (!handler) throw new Error('no handler');
    const request = { offset: 0, length: 2, suggestedName: 'a.bin' };
    expect(await handler({ senderFrame: { url: 'https://evil.example/' } }, request)).toMatchObject({ ok: false, error: { kind: 'forbidden-sender' } });
    expect(await handler({ senderFrame: { url: 'app://sharedmemory/index.html' } }, request, 'extra')).toMatchObject({ ok: false, error: { kind: 'invalid-request' } });
    expect(await handler({ senderFrame: { url: 'app://sharedmemory/index.html' } }, request)).toMatchObject({ ok: true, value: { saved: true } });
    remove();
    expect(handlers.size).toBe(0);
  });
});
