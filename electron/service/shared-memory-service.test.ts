// SharedMemoryService over the simulated driver: every API function, every
// row of the contract's error table as the window would see it (both OS
// flavours), and the service's own refusals. Results only, never throws.
import { describe, expect, it, vi } from 'vitest';
import { SEED_VALUES } from '../../api/device.js';
import { apiDefinition, type ApiError } from '../../api/shared-memory-api.js';
import type { DeviceBackend, DeviceHandle } from '../backends/device-backend.js';
import { DeviceError } from '../backends/device-backend.js';
import type { DriverServiceControl } from '../driver-service/driver-service.js';
import { createSimulatedBackend } from '../simulated/simulated-backend.js';
import { simulatedError, type OsFlavour } from '../simulated/simulated-driver.js';
import { err, ok } from './api-results-for-tests.js';
import { SharedMemoryService } from './shared-memory-service.js';

const MiB = 1024 * 1024;

function newService(flavour: OsFlavour, options: { maxSize?: number; totalCap?: number } = {}) {
  const backend = createSimulatedBackend({ flavour, ...options });
  const service = new SharedMemoryService({ backend, reason: 'Simulated driver — test' });
  return { service, backend, driver: backend.driver };
}


const OS = {
  linux: {
    invalid: ['EINVAL', 22],
    busy: ['EBUSY', 16],
    nothing: ['ENODATA', 61],
    resources: ['ENOMEM', 12],
  },
  windows: {
    invalid: ['ERROR_INVALID_PARAMETER', 87],
    busy: ['ERROR_BUSY', 170],
    nothing: ['ERROR_BAD_COMMAND', 22],
    resources: ['ERROR_NO_SYSTEM_RESOURCES', 1450],
  },
} as const;

describe.each(['linux', 'windows'] as const)('SharedMemoryService, %s flavour', (flavour) => {
  const expectOs = (error: ApiError, [name, code]: readonly [string, number]) => {
    expect(error.osName).toBe(name);
    expect(error.osCode).toBe(code);
    // The sentence for the window names the OS error and its number.
    expect(error.message).toContain(`${name}, ${code}`);
  };

  it('allocates, shows the seed, writes, verifies through the driver and releases', async () => {
    const { service, driver } = newService(flavour);
    const status = ok(await service.allocate({ size: 4096 }));
    expect(status.backend).toEqual({ kind: 'simulated', reason: 'Simulated driver — test', simulated: true });
    expect(status.allocation).toMatchObject({ requestedSize: 4096, mappedSize: 4096 });
    expect(status.allocation?.userAddress).toMatch(/^0x[0-9a-f]+$/);
    expect(status.device).toMatchObject({ totalBytes: 4096, allocations: 1 });
    expect(apiDefinition.allocate.response.safeParse(status).success).toBe(true);

    expect(ok(await service.readValues({ offset: 0, count: 10 }))).toEqual({ offset: 0, values: SEED_VALUES });
    expect(ok(await service.writeValues({ offset: 4, values: [500, 65535] }))).toEqual({
      offset: 4,
      values: [500, 65535],
    });
    const verification = ok(await service.verify({ offset: 0, count: 200 }));
    expect(verification.matches).toBe(true);
    expect(verification.driver).toEqual(verification.mapping);
    expect(verification.mapping.slice(0, 4)).toEqual([10, 9, 500, 65535]);
    expect(verification.driver).toHaveLength(200); // INSPECT ran in chunks of 64

    const released = ok(await service.release({}));
    expect(released.allocation).toBeNull();
    expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
  });

  it('verify reports a mismatch when the driver sees something else', async () => {
    const { backend } = newService(flavour);
    const handle = backend.open();
    const lying: DeviceHandle = {
      ...handle,
      query: () => handle.query(),
      allocate: (size) => handle.allocate(size),
      readValues: (o, c) => handle.readValues(o, c),
      inspect: (o, c) => handle.inspect(o, c).map((v, i) => (i === 0 ? v + 1 : v)),
    };
    const service = new SharedMemoryService({ backend, handle: lying, reason: 'test' });
    ok(await service.allocate({ size: 4096 }));
    const v = ok(await service.verify({ offset: 0, count: 3 }));
    expect(v.matches).toBe(false);
    expect(v.mapping).toEqual([10, 9, 8]);
    expect(v.driver).toEqual([11, 9, 8]);
  });

  it('size 0 and above max_size: the driver\'s invalid-parameter error, nothing changes', async () => {
    const { service, driver } = newService(flavour);
    const tooBig = err(await service.allocate({ size: 64 * MiB + 1 }));
    expect(tooBig).toMatchObject({ operation: 'allocate', kind: 'invalid-parameter' });
    expectOs(tooBig, OS[flavour].invalid);
    expect(tooBig.message).toMatch(/^Allocate memory failed: /);
    // size 0 never reaches the driver: the API schema refuses it first.
    expect(err(await service.invoke('allocate', { size: 0 }))).toMatchObject({ kind: 'invalid-request' });
    expect(driver.totals.allocations).toBe(0);
    expect(ok(await service.getStatus({})).allocation).toBeNull();
  });

  it('a second Allocate while one is held: busy, with what to do, first allocation kept', async () => {
    const { service } = newService(flavour);
    const first = ok(await service.allocate({ size: 4096 }));
    const busy = err(await service.allocate({ size: 8192 }));
    expect(busy.kind).toBe('busy');
    expectOs(busy, OS[flavour].busy);
    expect(busy.hint).toMatch(/Release the current allocation first/);
    expect(ok(await service.getStatus({})).allocation).toEqual(first.allocation);
  });

  it('Release with nothing allocated: the driver\'s nothing-allocated error', async () => {
    const { service } = newService(flavour);
    const error = err(await service.release({}));
    expect(error.kind).toBe('nothing-allocated');
    expectOs(error, OS[flavour].nothing);
    expect(error.hint).toMatch(/Allocate memory first/);
  });

  it('the global cap: no-resources across services sharing one driver', async () => {
    const backend = createSimulatedBackend({ flavour, maxSize: 4 * MiB, totalCap: 6 * MiB });
    const a = new SharedMemoryService({ backend, reason: 'a' });
    const b = new SharedMemoryService({ backend, reason: 'b' });
    ok(await a.allocate({ size: 4 * MiB }));
    const error = err(await b.allocate({ size: 4 * MiB }));
    expect(error.kind).toBe('no-resources');
    expectOs(error, OS[flavour].resources);
    await a.dispose();
    ok(await b.allocate({ size: 4 * MiB }));
    await b.dispose();
    expect(backend.driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
  });

  it('reads, writes and verifies only inside the allocation', async () => {
    const { service } = newService(flavour);
    const none = err(await service.readValues({ offset: 0, count: 1 }));
    expect(none).toMatchObject({ kind: 'nothing-allocated', operation: 'readValues' });
    expect(none.message).toMatch(/Allocate memory first/);
    ok(await service.allocate({ size: 100 })); // one page: 4096 bytes
    expect(err(await service.readValues({ offset: 4094, count: 2 }))).toMatchObject({ kind: 'out-of-range' });
    expect(err(await service.verify({ offset: 4096, count: 1 }))).toMatchObject({ kind: 'out-of-range' });
    const write = err(await service.writeValues({ offset: 4092, values: [1, 2, 3] }));
    expect(write.message).toContain('outside the 4096-byte allocation');
    // Nothing was written past or before the refusal.
    expect(ok(await service.readValues({ offset: 4092, count: 2 })).values).toEqual([0, 0]);
    expect(ok(await service.readValues({ offset: 4094, count: 1 })).values).toEqual([0]);
  });

  it('dispose releases and closes; later calls fail cleanly', async () => {
    const { service, driver } = newService(flavour);
    ok(await service.allocate({ size: 3 * 4096 }));
    await service.dispose();
    expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
    expect(err(await service.getStatus({}))).toMatchObject({ kind: 'handle-closed' });
    await service.dispose(); // idempotent
  });
});

/** The simulated driver, except that allocate throws `error` (as a kernel backend would). */
function backendWhoseAllocateThrows(kind: DeviceBackend['kind'], error: unknown): DeviceBackend {
  return {
    kind,
    open: () => {
      const handle = createSimulatedBackend().open();
      // The handle is a class instance: its methods are bound one by one.
      return {
        ...handle,
        query: () => handle.query(),
        allocate: () => {
          throw error;
        },
        release: () => handle.release(),
        close: () => handle.close(),
      };
    },
  };
}

describe('SharedMemoryService.invoke', () => {
  it('validates every request against the channel schema before anything happens', async () => {
    const { service, driver } = newService('linux');
    const cases: [Parameters<SharedMemoryService['invoke']>[0], unknown][] = [
      ['allocate', { size: '4096' }],
      ['allocate', { size: Number.NaN }],
      ['allocate', { size: Number.POSITIVE_INFINITY }],
      ['allocate', { size: -1 }],
      ['allocate', { size: 1.5 }],
      ['allocate', { size: 4096, extra: true }],
      ['allocate', null],
      ['allocate', []],
      ['readValues', { offset: 1, count: 1 }],
      ['readValues', { offset: 0, count: 0 }],
      ['readValues', { offset: 0, count: 1e9 }],
      ['writeValues', { offset: 0, values: [65536] }],
      ['writeValues', { offset: 0, values: [-1] }],
      ['writeValues', { offset: 0, values: [] }],
      ['writeValues', { offset: 0, values: 'abc' }],
      ['verify', { offset: -2, count: 1 }],
      ['release', { now: true }],
      ['getStatus', undefined],
    ];
    for (const [name, request] of cases) {
      const error = err(await service.invoke(name, request));
      expect(error.kind, `${name} ${JSON.stringify(request)}`).toBe('invalid-request');
      expect(error.operation).toBe(name);
      expect(error.message).toMatch(/refused an invalid request: .+/);
    }
    expect(driver.totals.allocations).toBe(0);
    expect(ok(await service.invoke('allocate', { size: 4096 }))).toMatchObject({ allocation: { mappedSize: 4096 } });
  });

  it('turns an unexpected exception into an error result', async () => {
    const backend = backendWhoseAllocateThrows('simulated', new TypeError('boom'));
    const service = new SharedMemoryService({ backend, reason: 'test' });
    expect(err(await service.allocate({ size: 1 }))).toMatchObject({
      kind: 'internal',
      message: 'Allocate memory failed: unexpected error: boom.',
    });
  });

  it('runs calls one at a time in arrival order', async () => {
    const { service } = newService('linux');
    const results = await Promise.all([
      service.allocate({ size: 4096 }),
      service.writeValues({ offset: 0, values: [1] }),
      service.readValues({ offset: 0, count: 1 }),
      service.release({}),
      service.readValues({ offset: 0, count: 1 }),
    ]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true, false]);
    expect(results[2]).toEqual({ ok: true, value: { offset: 0, values: [1] } });
  });
});

describe('SharedMemoryService.startDriver', () => {
  const kernelBackend = (): { backend: DeviceBackend; handle: DeviceHandle } => {
    // A stand-in for the kernel backend: the same model, reporting kind 'linux'.
    const simulated = createSimulatedBackend({ flavour: 'linux' });
    const backend: DeviceBackend = { kind: 'linux', open: () => simulated.open() };
    return { backend, handle: backend.open() };
  };

  const control = (overrides: Partial<DriverServiceControl> = {}): DriverServiceControl => ({
    status: vi.fn(() => Promise.resolve({ state: 'stopped' as const, detail: 'The module is not loaded', canStart: true })),
    start: vi.fn(() => Promise.resolve()),
    ...overrides,
  });

  it('starts the driver and switches from simulated to the kernel backend', async () => {
    const start = vi.fn(() => Promise.resolve());
    const driverService = control({ start });
    const { service } = (() => {
      const backend = createSimulatedBackend({ flavour: 'linux' });
      return {
        service: new SharedMemoryService({
          backend,
          reason: 'Simulated driver — the kernel driver is not installed',
          driverService,
          platform: 'linux',
          openReal: () => Promise.resolve(kernelBackend()),
        }),
      };
    })();
    expect(ok(await service.getStatus({})).driverService).toMatchObject({ state: 'stopped', canStart: true });
    const status = ok(await service.startDriver({}));
    expect(start).toHaveBeenCalledOnce();
    expect(status.backend).toMatchObject({ kind: 'linux', simulated: false });
    expect(status.backend.reason).toMatch(/Kernel driver \(linux\)/);
    expect(ok(await service.allocate({ size: 1 })).allocation?.mappedSize).toBe(4096);
  });

  it('says why when starting fails, and stays on the simulated driver', async () => {
    const service = new SharedMemoryService({
      backend: createSimulatedBackend(),
      reason: 'sim',
      platform: 'linux',
      driverService: control({ start: () => Promise.reject(new Error('modprobe: FATAL: Module sharedmemory not found')) }),
      openReal: () => Promise.reject(new Error('must not be called')),
    });
    const error = err(await service.startDriver({}));
    expect(error.message).toBe('Starting the kernel driver failed: modprobe: FATAL: Module sharedmemory not found.');
    expect(ok(await service.getStatus({})).backend.kind).toBe('simulated');
  });

  it('refuses while simulated memory is held, and where the app cannot control the driver', async () => {
    const held = new SharedMemoryService({
      backend: createSimulatedBackend(),
      reason: 'sim',
      platform: 'linux',
      driverService: control(),
      openReal: () => Promise.resolve(kernelBackend()),
    });
    ok(await held.allocate({ size: 1 }));
    expect(err(await held.startDriver({}))).toMatchObject({ kind: 'busy', hint: 'Release memory first, then start the driver' });

    const none = new SharedMemoryService({ backend: createSimulatedBackend(), reason: 'sim', platform: 'linux' });
    const error = err(await none.startDriver({}));
    expect(error.kind).toBe('unsupported');
    expect(error.hint).toMatch(/modprobe sharedmemory/);
  });

  it('shows an unreadable driver state as unknown instead of failing the status', async () => {
    const service = new SharedMemoryService({
      backend: createSimulatedBackend(),
      reason: 'sim',
      driverService: control({ status: () => Promise.reject(new Error('sc.exe timed out')) }),
    });
    expect(ok(await service.getStatus({})).driverService).toEqual({
      state: 'unknown',
      detail: "The driver's state could not be read: sc.exe timed out",
      canStart: false,
    });
  });
});

describe('error messages from the kernel backends', () => {
  it('keep the backend\'s own hint (Linux EACCES: the group; Windows access denied: administrator)', async () => {
    const failing = (error: DeviceError): DeviceBackend => backendWhoseAllocateThrows('linux', error);
    const eacces = new DeviceError({
      operation: 'allocate',
      kind: 'access-denied',
      osName: 'EACCES',
      osCode: 13,
      hint: 'Add yourself to the group sharedmemory (sudo usermod -aG sharedmemory $USER), then log out and in again',
    });
    const service = new SharedMemoryService({ backend: failing(eacces), reason: 'test' });
    const error = err(await service.allocate({ size: 1 }));
    expect(error.message).toBe(
      'Allocate memory failed: access to the device was denied (EACCES, 13). Add yourself to the group ' +
        'sharedmemory (sudo usermod -aG sharedmemory $USER), then log out and in again.',
    );
  });
});

describe.each(['linux', 'windows'] as const)('every row of the error table as the window shows it, %s', (flavour) => {
  const rows = [
    ['invalid-parameter', flavour === 'linux' ? 'EINVAL, 22' : 'ERROR_INVALID_PARAMETER, 87'],
    ['buffer-too-small', flavour === 'linux' ? 'EFAULT, 14' : 'ERROR_INSUFFICIENT_BUFFER, 122'],
    ['busy', flavour === 'linux' ? 'EBUSY, 16' : 'ERROR_BUSY, 170'],
    ['nothing-allocated', flavour === 'linux' ? 'ENODATA, 61' : 'ERROR_BAD_COMMAND, 22'],
    ['no-resources', flavour === 'linux' ? 'ENOMEM, 12' : 'ERROR_NO_SYSTEM_RESOURCES, 1450'],
    ['unknown-request', flavour === 'linux' ? 'ENOTTY, 25' : 'ERROR_INVALID_FUNCTION, 1'],
    // A handle not open for reading and writing (2026-11-29).
    ['access-denied', flavour === 'linux' ? 'EBADF, 9' : 'ERROR_ACCESS_DENIED, 5'],
  ] as const;

  it.each(rows)('%s: what failed, the OS error, what to do', async (row, os) => {
    const model = createSimulatedBackend({ flavour });
    const backend: DeviceBackend = {
      kind: 'simulated',
      open: () => {
        const handle = model.open();
        return {
          ...handle,
          query: () => handle.query(),
          allocate: () => {
            throw simulatedError(flavour, 'allocate', row);
          },
          close: () => handle.close(),
        };
      },
    };
    const service = new SharedMemoryService({ backend, reason: 'test' });
    const error = err(await service.allocate({ size: 4096 }));
    expect(error.kind).toBe(row);
    expect(error.message).toMatch(new RegExp(`^Allocate memory failed: .+ \\(${os}\\)\\. .+\\.$`));
    expect(error.hint?.length).toBeGreaterThan(10);
  });
});
