// SharedMemoryService owns the open device handle, the current allocation and
// its mapped address, and implements every function of the app's API on top
// of a DeviceBackend. Both transports (Electron IPC and browser mode's
// WebSocket) call invoke(), which validates the request against the API
// definition first. Nothing here throws across that boundary: every failure
// becomes an ApiResult with a message for the window.
import { SHM_INSPECT_MAX } from '../../api/device.js';
import {
  apiDefinition,
  type ApiEventName,
  type ApiEventPayload,
  type ApiName,
  type ApiRequest,
  type ApiResponse,
  type ApiResult,
  type DriverServiceStatus,
  type SharedMemoryApi,
  type StateChange,
  type Status,
  type Unsubscribe,
  type Values,
  type Verification,
} from '../../api/shared-memory-api.js';
import type { Allocation, DeviceBackend, DeviceHandle } from '../backends/device-backend.js';
import type { DriverServiceControl } from '../driver-service/driver-service.js';
import { defaultBatch } from '../../api/stream-signal.js';
import { StreamSession } from '../stream/stream-session.js';
import { appApiError, invalidRequestError, unexpectedApiError } from './api-errors.js';
import { openRealBackend, platformBackendKind, type RealBackendKind } from './backend-selection.js';

export interface SharedMemoryServiceOptions {
  backend: DeviceBackend;
  /** An already open handle on `backend` (backend selection opens one); else opened now. */
  handle?: DeviceHandle;
  /** Why this backend is in use, for the window. */
  reason: string;
  /** Controls the installed kernel driver; null where the app cannot. */
  driverService?: DriverServiceControl | null;
  /** Opens the kernel backend after startDriver (tests substitute fakes). */
  openReal?: (kind: RealBackendKind) => Promise<{ backend: DeviceBackend; handle: DeviceHandle }>;
  platform?: NodeJS.Platform;
}

type Handlers = { [N in ApiName]: (request: ApiRequest<N>) => Promise<ApiResult<ApiResponse<N>>> };
type EventListener<N extends ApiEventName> = (event: ApiResult<ApiEventPayload<N>>) => void;
type Listeners = { [N in ApiEventName]: Set<EventListener<N>> };

export class SharedMemoryService implements SharedMemoryApi {
  private backend: DeviceBackend;
  private handle: DeviceHandle | null;
  private reason: string;
  private allocation: Allocation | null = null;
  private driverServiceStatus: DriverServiceStatus | null = null;
  /** The stream on the current allocation, from Start stream until Release memory. */
  private stream: StreamSession | null = null;
  private readonly listeners: Listeners = { stateChanged: new Set(), streamUpdate: new Set() };
  private readonly driverService: DriverServiceControl | null;
  private readonly openReal: NonNullable<SharedMemoryServiceOptions['openReal']>;
  private readonly platform: NodeJS.Platform;
  /** Calls run one at a time, in arrival order: the device has one state. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  /** One entry per channel; the type makes a missing one a compile error. */
  private readonly handlers: Handlers = {
    getStatus: (r) => this.getStatus(r),
    allocate: (r) => this.allocate(r),
    readValues: (r) => this.readValues(r),
    writeValues: (r) => this.writeValues(r),
    verify: (r) => this.verify(r),
    release: (r) => this.release(r),
    startDriver: (r) => this.startDriver(r),
    startStream: (r) => this.startStream(r),
    stopStream: (r) => this.stopStream(r),
  };

  constructor(options: SharedMemoryServiceOptions) {
    this.backend = options.backend;
    this.handle = options.handle ?? options.backend.open();
    this.reason = options.reason;
    this.driverService = options.driverService ?? null;
    this.openReal = options.openReal ?? ((kind) => openRealBackend(kind));
    this.platform = options.platform ?? process.platform;
  }

  /** Validates `request` against the channel's schema, then calls it. Never throws. */
  async invoke(name: ApiName, request: unknown): Promise<ApiResult<ApiResponse<ApiName>>> {
    const parsed = apiDefinition[name].request.safeParse(request);
    if (!parsed.success) return { ok: false, error: invalidRequestError(name, parsed.error) };
    // parsed.data is exactly this channel's request type (zod checked it).
    const handler = this.handlers[name] as (r: unknown) => Promise<ApiResult<ApiResponse<ApiName>>>;
    return handler(parsed.data);
  }

  getStatus(_request: ApiRequest<'getStatus'> = {}): Promise<ApiResult<Status>> {
    return this.run('getStatus', async () => {
      await this.refreshDriverService();
      return this.status();
    });
  }

  allocate(request: ApiRequest<'allocate'>): Promise<ApiResult<Status>> {
    return this.run('allocate', () => {
      const handle = this.openHandle();
      // The driver decides (size range, EBUSY while one is held, the cap):
      // the app shows the driver's own answer.
      this.allocation = handle.allocate(request.size);
      return this.changed('allocated');
    });
  }

  readValues(request: ApiRequest<'readValues'>): Promise<ApiResult<Values>> {
    return this.run('readValues', () => {
      const { handle } = this.mappedRange(request.offset, request.count);
      return { offset: request.offset, values: Array.from(handle.readValues(request.offset, request.count)) };
    });
  }

  writeValues(request: ApiRequest<'writeValues'>): Promise<ApiResult<Values>> {
    return this.run('writeValues', () => {
      const { handle } = this.mappedRange(request.offset, request.values.length);
      handle.writeValues(request.offset, request.values);
      // Answer with what the mapping holds now, not with what was sent.
      return {
        offset: request.offset,
        values: Array.from(handle.readValues(request.offset, request.values.length)),
      };
    });
  }

  verify(request: ApiRequest<'verify'>): Promise<ApiResult<Verification>> {
    return this.run('verify', () => {
      const { handle } = this.mappedRange(request.offset, request.count);
      const mapping = Array.from(handle.readValues(request.offset, request.count));
      const driver: number[] = [];
      // INSPECT returns at most SHM_INSPECT_MAX values per call.
      for (let done = 0; done < request.count; done += SHM_INSPECT_MAX) {
        const n = Math.min(SHM_INSPECT_MAX, request.count - done);
        driver.push(...handle.inspect(request.offset + 2 * done, n));
      }
      const matches = mapping.length === driver.length && mapping.every((v, i) => v === driver[i]);
      return { offset: request.offset, mapping, driver, matches };
    });
  }

  release(_request: ApiRequest<'release'> = {}): Promise<ApiResult<Status>> {
    return this.run('release', async () => {
      const handle = this.openHandle();
      // The consumer reads the mapping: it ends before the pages go.
      await this.endStream(handle);
      // Ask the driver even when the app thinks nothing is held: its answer
      // (ENODATA / ERROR_BAD_COMMAND) is the truth the window shows.
      handle.release();
      this.allocation = null;
      return this.changed('released');
    });
  }

  startStream(request: ApiRequest<'startStream'>): Promise<ApiResult<Status>> {
    return this.run('startStream', () => {
      const handle = this.openHandle();
      const batch = request.batch ?? defaultBatch(request.rateHz);
      // The driver decides (parameters, nothing allocated, one page, a stream
      // already there) and the window shows its answer; a refusal changes nothing.
      const channel = handle.startStream(request.rateHz, batch);
      const session = new StreamSession({
        channel,
        rateHz: request.rateHz,
        batch,
        onUpdate: (update) => this.emit('streamUpdate', update),
        onEnd: (ended) => {
          if (this.stream === ended) this.changed('stream-stopped');
        },
      });
      this.stream = session;
      return this.changed('stream-started');
    });
  }

  stopStream(_request: ApiRequest<'stopStream'> = {}): Promise<ApiResult<Status>> {
    return this.run('stopStream', async () => {
      // STREAM_STOP is synchronous; then the consumer reads what is left and ends.
      this.openHandle().stopStream();
      await this.stream?.requestStop();
      return this.status();
    });
  }

  /** Pushes to `listener` until the returned function is called. */
  subscribe<N extends ApiEventName>(name: N, listener: EventListener<N>): Unsubscribe {
    const set = this.listeners[name] as Set<EventListener<N>>;
    set.add(listener);
    return () => set.delete(listener);
  }

  startDriver(_request: ApiRequest<'startDriver'> = {}): Promise<ApiResult<Status>> {
    return this.run('startDriver', async () => {
      const kind = platformBackendKind(this.platform);
      if (!this.driverService || !kind) {
        throw new ServiceRefusal(
          'unsupported',
          'this app cannot control the kernel driver on this system',
          kind ? `Start it by hand: ${kind === 'linux' ? 'sudo modprobe sharedmemory' : 'sc start SharedMemory (as administrator)'}` : undefined,
        );
      }
      if (this.backend.kind !== 'simulated') {
        await this.refreshDriverService();
        return this.status(); // already on the kernel driver
      }
      if (this.allocation) {
        throw new ServiceRefusal(
          'busy',
          'memory from the simulated driver is still allocated',
          'Release memory first, then start the driver',
        );
      }
      try {
        await this.driverService.start();
      } catch (error) {
        await this.refreshDriverService();
        throw new ServiceRefusal('os-error', error instanceof Error ? error.message : String(error));
      }
      const opened = await this.openReal(kind);
      this.handle?.close();
      this.backend = opened.backend;
      this.handle = opened.handle;
      this.reason = `Kernel driver (${kind}) — started from the app`;
      await this.refreshDriverService();
      return this.changed('driver-service-changed');
    });
  }

  /** Releases and closes the device (on quit). Later calls fail cleanly. */
  async dispose(): Promise<void> {
    await this.queue.catch(() => undefined);
    if (this.disposed) return;
    this.disposed = true;
    const handle = this.handle;
    try {
      if (handle) await this.endStream(handle);
    } catch {
      // Closing stops the stream anyway.
    }
    this.handle = null;
    try {
      if (handle && this.allocation) handle.release();
    } catch {
      // Closing frees the allocation anyway.
    } finally {
      this.allocation = null;
      handle?.close();
    }
  }

  get backendKind(): DeviceBackend['kind'] {
    return this.backend.kind;
  }

  private openHandle(): DeviceHandle {
    if (this.disposed) throw new ServiceRefusal('handle-closed', 'the app is shutting down');
    this.handle ??= this.backend.open();
    return this.handle;
  }

  /** Checks that `count` u16 values at byte `offset` lie inside the allocation. */
  private mappedRange(offset: number, count: number): { handle: DeviceHandle } {
    const handle = this.openHandle();
    if (!this.allocation) {
      throw new ServiceRefusal('nothing-allocated', 'nothing is allocated', 'Press Allocate memory first');
    }
    const end = offset + 2 * count;
    if (end > this.allocation.mappedSize) {
      throw new ServiceRefusal(
        'out-of-range',
        `bytes ${offset}..${end - 1} are outside the ${this.allocation.mappedSize}-byte allocation`,
        `Choose an offset and count inside 0..${this.allocation.mappedSize - 1}`,
      );
    }
    return { handle };
  }

  /** Stops the stream (if one runs) and waits until the consumer has let go of the mapping. */
  private async endStream(handle: DeviceHandle): Promise<void> {
    const session = this.stream;
    if (!session) return;
    if (session.state === 'running') {
      try {
        handle.stopStream();
      } catch {
        // RELEASE and close stop the producer too; the consumer still ends below.
      }
    }
    await session.requestStop();
    this.stream = null;
  }

  /** The status now, pushed to every window as `change`. */
  private changed(change: StateChange['change']): Status {
    const status = this.status();
    this.emit('stateChanged', { change, status });
    return status;
  }

  private emit<N extends ApiEventName>(name: N, payload: ApiEventPayload<N>): void {
    for (const listener of this.listeners[name] as Set<EventListener<N>>) {
      try {
        listener({ ok: true, value: payload });
      } catch {
        // One broken window must not stop the others from hearing it.
      }
    }
  }

  private status(): Status {
    let device: Status['device'] = null;
    try {
      device = this.handle ? this.handle.query() : null;
    } catch {
      device = null; // the status still shows what the app knows
    }
    return {
      backend: { kind: this.backend.kind, reason: this.reason, simulated: this.backend.kind === 'simulated' },
      device,
      allocation: this.allocation && {
        userAddress: `0x${this.allocation.userAddress.toString(16)}`,
        requestedSize: this.allocation.requestedSize,
        mappedSize: this.allocation.mappedSize,
      },
      driverService: this.driverServiceStatus,
      stream: this.stream?.status() ?? null,
    };
  }

  private async refreshDriverService(): Promise<void> {
    if (!this.driverService) return;
    const before = JSON.stringify(this.driverServiceStatus);
    try {
      this.driverServiceStatus = await this.driverService.status();
      // Someone else started or stopped the driver: tell every window.
      if (before !== 'null' && before !== JSON.stringify(this.driverServiceStatus)) this.changed('driver-service-changed');
    } catch (error) {
      this.driverServiceStatus = {
        state: 'unknown',
        detail: `The driver's state could not be read: ${error instanceof Error ? error.message : String(error)}`,
        canStart: false,
      };
    }
  }

  private run<T>(name: ApiName, body: () => T | Promise<T>): Promise<ApiResult<T>> {
    const result = this.queue.then(async (): Promise<ApiResult<T>> => {
      try {
        if (this.disposed) throw new ServiceRefusal('handle-closed', 'the app is shutting down');
        return { ok: true, value: await body() };
      } catch (error) {
        if (error instanceof ServiceRefusal) {
          return { ok: false, error: appApiError(name, error.kind, error.message, error.hint) };
        }
        return { ok: false, error: unexpectedApiError(name, error) };
      }
    });
    this.queue = result;
    return result;
  }
}

/** A request the service itself turns down, before or instead of asking the driver. */
class ServiceRefusal extends Error {
  constructor(
    readonly kind: string,
    reason: string,
    readonly hint?: string,
  ) {
    super(reason);
  }
}
