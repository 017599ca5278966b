// The service's streaming over the simulated driver with real timers: records
// flow at the set rate and all verify, Stop stream reads what is left and
// freezes the count, the pushes every window gets, each 5.4 error as the
// window shows it (and a refused start changes nothing), release and a
// faulted ring while streaming.
import { describe, expect, it } from 'vitest';
import { SEED_VALUES } from '../../api/device.js';
import { RING_OFFSET } from '../../api/device.js';
import type { StateChange, StreamUpdate } from '../../api/shared-memory-api.js';
import { createSimulatedBackend } from '../simulated/simulated-backend.js';
import type { OsFlavour } from '../simulated/simulated-driver.js';
import { setU64 } from '../stream/u64-field.js';
import { err, ok } from './api-results-for-tests.js';
import { SharedMemoryService } from './shared-memory-service.js';


const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function newService(flavour: OsFlavour) {
  const backend = createSimulatedBackend({ flavour });
  const service = new SharedMemoryService({ backend, reason: 'Simulated driver — test' });
  const changes: StateChange['change'][] = [];
  const updates: StreamUpdate[] = [];
  service.subscribe('stateChanged', (event) => {
    if (event.ok) changes.push(event.value.change);
  });
  service.subscribe('streamUpdate', (event) => {
    if (event.ok) updates.push(event.value);
  });
  return { service, backend, changes, updates };
}

describe.each(['linux', 'windows'] as const)('streaming through the service, %s flavour', (flavour) => {
  it('records flow at the set rate, all verified; Stop stream freezes them', async () => {
    const { service, changes, updates } = newService(flavour);
    ok(await service.allocate({ size: 64 * 1024 }));
    const started = ok(await service.startStream({ rateHz: 2000 }));
    expect(started.stream).toMatchObject({ state: 'running', rateHz: 2000, batch: 100, capacity: 1024 });
    await sleep(600);
    const stopped = ok(await service.stopStream({}));
    expect(stopped.stream?.state).toBe('stopped');
    const last = updates[updates.length - 1];
    if (!last) throw new Error('no stream update');
    const { statistics } = last;
    expect(last.state).toBe('stopped');
    // 600 ms at 2000/s is 1200 records; allow for loaded CI timers.
    expect(statistics.records).toBeGreaterThan(600);
    expect(statistics.records).toBeLessThan(2000);
    expect(statistics, JSON.stringify(statistics)).toMatchObject({ dropped: 0, skipped: 0, invalid: 0, firstProblem: null });
    expect(statistics.latencyNs?.p50).toBeGreaterThan(0);
    expect(statistics.latencyNs!.p99).toBeGreaterThanOrEqual(statistics.latencyNs!.p50);
    // Updates come at most ~30 a second, with the decimated signal.
    expect(updates.length).toBeLessThan(40);
    const points = updates.flatMap((u) => u.points.sequence);
    expect(points.length).toBeGreaterThan(100);
    expect(points).toEqual([...points].sort((a, b) => a - b));
    // Frozen: nothing more arrives after Stop.
    const frozen = statistics.records;
    await sleep(150);
    expect(updates[updates.length - 1]?.statistics.records).toBe(frozen);
    expect(changes).toEqual(['allocated', 'stream-started', 'stream-stopped']);
    ok(await service.release({}));
    expect(changes).toEqual(['allocated', 'stream-started', 'stream-stopped', 'released']);
    await service.dispose();
  });

  it('a refused Start stream keeps the allocation and its contents, with the driver\'s own error', async () => {
    const { service, changes } = newService(flavour);
    ok(await service.allocate({ size: 4096 }));
    const onePage = err(await service.startStream({ rateHz: 1000 }));
    expect(onePage.message).toMatch(/^Start stream failed: the driver refused the rate or batch, or the allocation is a single page/);
    expect(onePage.osName).toBe(flavour === 'linux' ? 'EINVAL' : 'ERROR_INVALID_PARAMETER');
    expect(onePage.hint).toMatch(/at least two pages/);
    expect(ok(await service.readValues({ offset: 0, count: 10 })).values).toEqual(SEED_VALUES);
    const status = ok(await service.getStatus({}));
    expect(status.allocation?.mappedSize).toBe(4096);
    expect(status.stream).toBeNull();
    // A batch the driver refuses (above the rate).
    ok(await service.release({}));
    ok(await service.allocate({ size: 8192 }));
    const badBatch = err(await service.startStream({ rateHz: 10, batch: 11 }));
    expect(badBatch.kind).toBe('invalid-parameter');
    expect(ok(await service.readValues({ offset: 0, count: 10 })).values).toEqual(SEED_VALUES);
    expect(changes).toEqual(['allocated', 'released', 'allocated']);
    await service.dispose();
  });

  it('says what to do for every other row: nothing allocated, a stream already there, Stop without a stream', async () => {
    const { service } = newService(flavour);
    const nothing = err(await service.startStream({ rateHz: 1000 }));
    expect(nothing.kind).toBe('nothing-allocated');
    expect(nothing.message).toMatch(/^Start stream failed: nothing is allocated/);
    expect(nothing.hint).toMatch(/Allocate memory \(at least two pages\) first/);
    ok(await service.allocate({ size: 8192 }));
    const noStream = err(await service.stopStream({}));
    expect(noStream.message).toMatch(/^Stop stream failed: no stream was started on this allocation/);
    ok(await service.startStream({ rateHz: 1000 }));
    const busy = err(await service.startStream({ rateHz: 1000 }));
    expect(busy.kind).toBe('busy');
    expect(busy.message).toMatch(/a stream already exists on this allocation/);
    expect(busy.hint).toMatch(/Stop the running stream first/);
    // Stopping twice succeeds and changes nothing.
    ok(await service.stopStream({}));
    expect(ok(await service.stopStream({})).stream?.state).toBe('stopped');
    await service.dispose();
  });

  it('Release memory while streaming stops the consumer before the pages go', async () => {
    const { service, backend, changes } = newService(flavour);
    ok(await service.allocate({ size: 16 * 1024 }));
    ok(await service.startStream({ rateHz: 5000 }));
    await sleep(100);
    const released = ok(await service.release({}));
    expect(released.allocation).toBeNull();
    expect(released.stream).toBeNull();
    expect(backend.driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
    expect(changes).toEqual(['allocated', 'stream-started', 'stream-stopped', 'released']);
    await service.dispose();
  });

  it('a ring the app broke ends the stream as faulted, pushed to the windows', async () => {
    const { service, backend, changes, updates } = newService(flavour);
    const status = ok(await service.allocate({ size: 16 * 1024 }));
    ok(await service.startStream({ rateHz: 1000 }));
    await sleep(100);
    const memory = backend.driver.mappedMemory(BigInt(status.allocation!.userAddress));
    setU64(new DataView(memory!.buffer), RING_OFFSET.tail, 2 ** 40); // tail > head
    await sleep(200);
    expect(changes).toContain('stream-stopped');
    expect(updates[updates.length - 1]?.state).toBe('faulted');
    expect(ok(await service.getStatus({})).stream?.state).toBe('faulted');
    await service.dispose();
  });
});
