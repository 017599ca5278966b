// The one definition of the app's API. The Electron main process (IPC
// handlers), the preload bridge, the browser-mode WebSocket server and client,
// and the renderer all derive their channels and types from this object, so a
// channel cannot exist on one side only, and every request is validated
// against the same schema wherever it arrives.
import { z } from 'zod';
import type { ApiName } from './api-names.js';

export { apiNames, BRIDGE_KEY, ipcChannel, type ApiName } from './api-names.js';

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
});

export const driverServiceSchema = z.object({
  /** The kernel driver as the OS sees it: Windows service / Linux module. */
  state: z.enum(['running', 'stopped', 'not-installed', 'unknown']),
  /** One sentence for the window, e.g. "Service SharedMemory is installed but stopped". */
  detail: z.string(),
  /** True when this process may start it now (elevated on Windows, root on Linux). */
  canStart: z.boolean(),
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
} as const;

// Both directions: a channel in the definition but not in the name list, or
// the other way round, does not compile.
type DefinedName = keyof typeof apiDefinition;
type SameNames = [ApiName] extends [DefinedName] ? ([DefinedName] extends [ApiName] ? true : false) : false;
const namesMatchDefinition: SameNames = true;
void namesMatchDefinition;
export type ApiRequest<N extends ApiName> = z.infer<(typeof apiDefinition)[N]['request']>;
export type ApiResponse<N extends ApiName> = z.infer<(typeof apiDefinition)[N]['response']>;

export type Status = z.infer<typeof statusSchema>;
export type DriverServiceStatus = z.infer<typeof driverServiceSchema>;
export type Values = z.infer<typeof valuesSchema>;
export type Verification = z.infer<typeof verificationSchema>;

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
export type SharedMemoryApi = {
  [N in ApiName]: (request: ApiRequest<N>) => Promise<ApiResult<ApiResponse<N>>>;
};
