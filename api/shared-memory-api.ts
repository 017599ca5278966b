// The one definition of the app's API. The Electron main process (IPC
// handlers), the preload bridge, the browser-mode WebSocket server and client,
// and the renderer all derive their channels and types from this object, so a
// channel cannot exist on one side only, and every request is validated
// against the same schema wherever it arrives.
import { z } from 'zod';
import type { ApiEventName, ApiName } from './api-names.js';
import { SHM_STREAM_MAX_BATCH, SHM_STREAM_MAX_RATE } from './device.js';

export { apiEventNames, apiNames, BRIDGE_KEY, ipcChannel, ipcEventChannel, type ApiEventName, type ApiName } from './api-names.js';

/** Values one read/verify/write call may cover (8 KiB of u16). */
export const MAX_VALUES_PER_CALL = 4096;

const byteOffset = z
  .number()
  .int()
  .min(0)
  .max(Number.MAX_SAFE_INTEGER)
  .refine((n) => n % 2 === 0, 'offset must be even (values are u16)');
const valueCount = z.number().int().min(1).max(MAX_VALUES_PER_CALL);
const u16 = z.number().int().min(0).max(0xffff);

export const backendKindSchema = z.enum(['simulated', 'linux', 'windows']);

export const deviceInfoSchema = z.object({
  abiVersion: z.number().int(),
  driverVersion: z.number().int(),
  pageSize: z.number().int(),
  maxSize: z.number().int(),
  totalBytes: z.number().int(),
  allocations: z.number().int(),
  /** QUERY's feature bits: SHM_FEATURE_STREAM (bit 0) when the driver streams. */
  features: z.number().int(),
});

export const driverServiceSchema = z.object({
  /** The kernel driver as the OS sees it: Windows service / Linux module. */
  state: z.enum(['running', 'stopped', 'not-installed', 'unknown']),
  /** One sentence for the window, e.g. "Service SharedMemory is installed but stopped". */
  detail: z.string(),
  /** True when this process may start it now (elevated on Windows, root on Linux). */
  canStart: z.boolean(),
});

export const streamStateSchema = z.enum(['running', 'stopped', 'faulted']);

/** The stream on the current allocation, from Start stream until Release memory. */
export const streamStatusSchema = z.object({
  state: streamStateSchema,
  rateHz: z.number().int(),
  batch: z.number().int(),
  /** Records the ring holds. */
  capacity: z.number().int(),
});

export const statusSchema = z.object({
  backend: z.object({
    kind: backendKindSchema,
    /** Why this backend is in use, in words for the window ("Simulated driver — ..."). */
    reason: z.string(),
    /** True when this is the simulated driver, not a kernel. */
    simulated: z.boolean(),
  }),
  /** QUERY's answer, or null when the device could not be queried. */
  device: deviceInfoSchema.nullable(),
  allocation: z
    .object({
      /** Hex, e.g. "0x7f12a0000000" (u64 does not fit a JS number). */
      userAddress: z.string().regex(/^0x[0-9a-f]+$/),
      requestedSize: z.number().int(),
      mappedSize: z.number().int(),
    })
    .nullable(),
  /** The installed driver's state, or null where the app cannot tell. */
  driverService: driverServiceSchema.nullable(),
  /** The stream on this allocation, or null when none was started. */
  stream: streamStatusSchema.nullable(),
});

export const valuesSchema = z.object({
  offset: z.number().int(),
  values: z.array(u16),
});

export const verificationSchema = z.object({
  offset: z.number().int(),
  /** Read through this process's mapping. */
  mapping: z.array(u16),
  /** Read by the driver through its kernel mapping (INSPECT). */
  driver: z.array(u16),
  matches: z.boolean(),
});

/** Every channel: its request schema and its response schema. */
export const apiDefinition = {
  getStatus: {
    request: z.object({}).strict(),
    response: statusSchema,
  },
  allocate: {
    request: z.object({ size: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER) }).strict(),
    response: statusSchema,
  },
  readValues: {
    request: z.object({ offset: byteOffset, count: valueCount }).strict(),
    response: valuesSchema,
  },
  writeValues: {
    request: z
      .object({ offset: byteOffset, values: z.array(u16).min(1).max(MAX_VALUES_PER_CALL) })
      .strict(),
    response: valuesSchema,
  },
  verify: {
    request: z.object({ offset: byteOffset, count: valueCount }).strict(),
    response: verificationSchema,
  },
  release: {
    request: z.object({}).strict(),
    response: statusSchema,
  },
  /** Starts the installed kernel driver and switches to it (needs privileges). */
  startDriver: {
    request: z.object({}).strict(),
    response: statusSchema,
  },
  /** STREAM_START on the current allocation; the app consumes the ring until Stop stream. */
  startStream: {
    request: z
      .object({
        rateHz: z.number().int().min(1).max(SHM_STREAM_MAX_RATE),
        /** Records per producer tick; the app picks one when absent. */
        batch: z.number().int().min(1).max(SHM_STREAM_MAX_BATCH).optional(),
      })
      .strict(),
    response: statusSchema,
  },
  /** STREAM_STOP; resolves once the app has read every record the driver wrote. */
  stopStream: {
    request: z.object({}).strict(),
    response: statusSchema,
  },
} as const;

// Both directions: a channel in the definition but not in the name list
// (api/api-names.ts), or the other way round, does not compile.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const namesMatchDefinition: Same<ApiName, keyof typeof apiDefinition> = true;
void namesMatchDefinition;
export type ApiRequest<N extends ApiName> = z.infer<(typeof apiDefinition)[N]['request']>;
export type ApiResponse<N extends ApiName> = z.infer<(typeof apiDefinition)[N]['response']>;

export type Status = z.infer<typeof statusSchema>;
export type DriverServiceStatus = z.infer<typeof driverServiceSchema>;
export type Values = z.infer<typeof valuesSchema>;
export type Verification = z.infer<typeof verificationSchema>;

const percentilesSchema = z.object({ p50: z.number(), p90: z.number(), p99: z.number() });

/** What the app measured of the current stream. */
export const streamStatisticsSchema = z.object({
  /** Records the app received and verified. */
  records: z.number().int().min(0),
  /** The ring's `dropped`: records the driver could not write. */
  dropped: z.number().int().min(0),
  /** Sequence numbers missing between received records (they add up to `dropped`). */
  skipped: z.number().int().min(0),
  /** Records whose sequence, sample, check or reserved field was wrong. */
  invalid: z.number().int().min(0),
  /** The first wrong record, in words; null while every record verified. */
  firstProblem: z.string().nullable(),
  /** Records per second received over the last second. */
  measuredRateHz: z.number().min(0),
  /** timestamp_ns to the moment the app read the record, same clock; null before any record. */
  latencyNs: percentilesSchema.nullable(),
});

/** A decimated slice of the signal for the plot: min and max of each stretch of records. */
export const streamPointsSchema = z
  .object({
    sequence: z.array(z.number().int().min(0)).max(4096),
    sample: z.array(z.number().int()).max(4096),
  })
  .refine((p) => p.sequence.length === p.sample.length, 'sequence and sample must be as long');

export type StreamStatistics = z.infer<typeof streamStatisticsSchema>;
export type StreamPoints = z.infer<typeof streamPointsSchema>;
export type StreamStatus = z.infer<typeof streamStatusSchema>;

/**
 * Everything the service pushes to every window, unasked: each event's
 * payload schema. The renderer validates every push against it, as it does
 * every answer.
 */
export const apiEventDefinition = {
  /** The device's state changed (by this window, another window, or the driver). */
  stateChanged: z.object({
    change: z.enum(['allocated', 'released', 'stream-started', 'stream-stopped', 'driver-service-changed']),
    status: statusSchema,
  }),
  /** At most ~30 a second while a stream runs, and one after it ends. */
  streamUpdate: z.object({
    state: streamStateSchema,
    statistics: streamStatisticsSchema,
    points: streamPointsSchema,
  }),
} as const;

const eventNamesMatchDefinition: Same<ApiEventName, keyof typeof apiEventDefinition> = true;
void eventNamesMatchDefinition;
export type ApiEventPayload<N extends ApiEventName> = z.infer<(typeof apiEventDefinition)[N]>;
export type StateChange = ApiEventPayload<'stateChanged'>;
export type StreamUpdate = ApiEventPayload<'streamUpdate'>;

/** A failure as it crosses IPC or the WebSocket: plain data, no Error object. */
export const apiErrorSchema = z.object({
  /** What failed, e.g. "allocate". */
  operation: z.string(),
  /** 'invalid-request' for a request that failed validation, else a DeviceErrorKind. */
  kind: z.string(),
  /** The whole sentence for the window. */
  message: z.string(),
  /** The OS's name and number for the error, when the OS reported one. */
  osName: z.string().optional(),
  osCode: z.number().int().optional(),
  /** What the user can do about it. */
  hint: z.string().optional(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** What the renderer calls: one async function per channel, never throwing. */
export type SharedMemoryCalls = {
  [N in ApiName]: (request: ApiRequest<N>) => Promise<ApiResult<ApiResponse<N>>>;
};

/** Stops a subscription. */
export type Unsubscribe = () => void;

/**
 * Pushes from the service: `listener` gets each event's payload, or an
 * ApiError when a push failed its schema (the window shows it; nothing throws).
 */
export interface SharedMemoryEvents {
  subscribe<N extends ApiEventName>(name: N, listener: (event: ApiResult<ApiEventPayload<N>>) => void): Unsubscribe;
}

/** The whole API a window holds: the calls and the subscription. */
export type SharedMemoryApi = SharedMemoryCalls & SharedMemoryEvents;

/** A transport's subscription before validation: the payload as it arrived. */
export type RawSubscribe = (name: ApiEventName, listener: (payload: unknown) => void) => Unsubscribe;
