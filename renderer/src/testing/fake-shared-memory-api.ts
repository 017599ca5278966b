// A SharedMemoryApi for renderer tests: a small in-memory model of the
// service (one allocation, page rounding, the 10..1 seed, the busy and
// nothing-allocated errors), recording every call so tests can check what
// was, and was not, sent.
import type {
  ApiError,
  ApiEventName,
  ApiEventPayload,
  ApiName,
  ApiResult,
  SharedMemoryApi,
  Status,
  StreamStatus,
} from '../../../api/shared-memory-api.js';
import { defaultBatch } from '../../../api/stream-signal.js';
import { SEED_VALUES } from '../../../api/device.js';

const PAGE = 4096;
const MAX = 64 * 1024 * 1024;

export interface FakeApi extends SharedMemoryApi {
  calls: { name: ApiName; request: unknown }[];
  memory: Uint16Array | null;
  /** Makes the driver's view differ from the mapping at this value index. */
  corruptDriverAt: number | null;
  /** The next call to this channel fails with this error. */
  failNext: Partial<Record<ApiName, ApiError>>;
  simulated: boolean;
  driverService: Status['driverService'];
  stream: StreamStatus | null;
  /** Delivers a push to this window's subscribers, as another window or the driver would cause. */
  push<N extends ApiEventName>(name: N, event: ApiResult<ApiEventPayload<N>>): void;
  /** The status the fake would report now. */
  status(): Status;
}

export function createFakeApi(): FakeApi {
  let requested = 0;
  const listeners = new Map<ApiEventName, Set<(event: ApiResult<unknown>) => void>>();
  const fake: FakeApi = {
    calls: [],
    memory: null,
    corruptDriverAt: null,
    failNext: {},
    simulated: true,
    driverService: null,
    stream: null,
    push: (name, event) => {
      for (const listener of [...(listeners.get(name) ?? [])]) listener(event);
    },
    status: () => status(),
    subscribe: (name, listener) => {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const own = listener as (event: ApiResult<unknown>) => void;
      set.add(own);
      return () => set.delete(own);
    },
    getStatus: (request) => answer('getStatus', request, () => ok(status())),
    allocate: (request) =>
      answer('allocate', request, () => {
        if (request.size > MAX) return tooLarge();
        if (fake.memory) return busy();
        const mapped = Math.ceil(request.size / PAGE) * PAGE;
        fake.memory = new Uint16Array(mapped / 2);
        fake.memory.set(SEED_VALUES);
        requested = request.size;
        return ok(status());
      }),
    readValues: (request) =>
      answer('readValues', request, () =>
        fake.memory ? ok({ offset: request.offset, values: slice(request.offset, request.count) }) : nothing('readValues'),
      ),
    writeValues: (request) =>
      answer('writeValues', request, () => {
        if (!fake.memory) return nothing('writeValues');
        fake.memory.set(request.values, request.offset / 2);
        return ok({ offset: request.offset, values: slice(request.offset, request.values.length) });
      }),
    verify: (request) =>
      answer('verify', request, () => {
        if (!fake.memory) return nothing('inspect');
        const mapping = slice(request.offset, request.count);
        const driver = [...mapping];
        const at = fake.corruptDriverAt;
        if (at !== null && at < driver.length) driver[at] = ((driver[at] ?? 0) + 1) & 0xffff;
        return ok({ offset: request.offset, mapping, driver, matches: driver.every((v, i) => v === mapping[i]) });
      }),
    release: (request) =>
      answer('release', request, () => {
        if (!fake.memory) return nothing('release');
        fake.memory = null;
        fake.stream = null;
        return ok(status());
      }),
    startDriver: (request) =>
      answer('startDriver', request, () => {
        fake.simulated = false;
        fake.driverService = { state: 'running', detail: 'Service SharedMemory is running', canStart: false };
        return ok(status());
      }),
    startStream: (request) =>
      answer('startStream', request, () => {
        if (!fake.memory) return nothing('stream-start');
        if (fake.stream) return streamBusy();
        if (fake.memory.length * 2 < 2 * PAGE) return onePage();
        const capacity = 2 ** Math.floor(Math.log2((fake.memory.length * 2 - PAGE) / 32));
        fake.stream = { state: 'running', rateHz: request.rateHz, batch: request.batch ?? defaultBatch(request.rateHz), capacity };
        return ok(status());
      }),
    stopStream: (request) =>
      answer('stopStream', request, () => {
        if (!fake.memory || !fake.stream) return nothing('stream-stop');
        if (fake.stream.state === 'running') fake.stream = { ...fake.stream, state: 'stopped' };
        return ok(status());
      }),
  };

  function answer<T>(name: ApiName, request: unknown, run: () => ApiResult<T>): Promise<ApiResult<T>> {
    fake.calls.push({ name, request });
    const failure = fake.failNext[name];
    if (failure) {
      delete fake.failNext[name];
      return Promise.resolve({ ok: false, error: failure });
    }
    return Promise.resolve(run());
  }

  function slice(offset: number, count: number): number[] {
    return Array.from(fake.memory?.subarray(offset / 2, offset / 2 + count) ?? []);
  }

  function status(): Status {
    const mapped = fake.memory ? fake.memory.length * 2 : 0;
    return {
      backend: fake.simulated
        ? { kind: 'simulated', reason: 'Simulated driver — the kernel driver is not installed (/dev/sharedmemory does not exist)', simulated: true }
        : { kind: 'linux', reason: 'Kernel driver (linux) — the device opened', simulated: false },
      device: {
        abiVersion: 1,
        driverVersion: 0x10001,
        pageSize: PAGE,
        maxSize: MAX,
        totalBytes: mapped,
        allocations: fake.memory ? 1 : 0,
        features: 1,
      },
      allocation: fake.memory ? { userAddress: '0x7f0000001000', requestedSize: requested, mappedSize: mapped } : null,
      driverService: fake.driverService,
      stream: fake.stream,
    };
  }

  return fake;
}

const ok = <T>(value: T): ApiResult<T> => ({ ok: true, value });

const busy = (): ApiResult<never> => ({
  ok: false,
  error: {
    operation: 'allocate',
    kind: 'busy',
    message: 'allocate failed: this handle already holds an allocation (EBUSY, 16)',
    osName: 'EBUSY',
    osCode: 16,
    hint: 'Release memory first.',
  },
});

const tooLarge = (): ApiResult<never> => ({
  ok: false,
  error: {
    operation: 'allocate',
    kind: 'invalid-parameter',
    message: 'allocate failed: the driver rejected a parameter (EINVAL, 22)',
    osName: 'EINVAL',
    osCode: 22,
  },
});

const nothing = (operation: string): ApiResult<never> => ({
  ok: false,
  error: {
    operation,
    kind: 'nothing-allocated',
    message: `${operation} failed: nothing is allocated (ENODATA, 61)`,
    osName: 'ENODATA',
    osCode: 61,
    hint: 'Allocate memory first.',
  },
});

const streamBusy = (): ApiResult<never> => ({
  ok: false,
  error: {
    operation: 'startStream',
    kind: 'busy',
    message: 'Start stream failed: a stream already exists on this allocation (EBUSY, 16). Stop the running stream first (Stop stream), or release the memory.',
    osName: 'EBUSY',
    osCode: 16,
  },
});

const onePage = (): ApiResult<never> => ({
  ok: false,
  error: {
    operation: 'startStream',
    kind: 'invalid-parameter',
    message:
      'Start stream failed: the driver refused the rate or batch, or the allocation is a single page (streaming needs two) (EINVAL, 22).',
    osName: 'EINVAL',
    osCode: 22,
  },
});
