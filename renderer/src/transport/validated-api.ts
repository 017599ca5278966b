// Builds a SharedMemoryApi from a raw "call this channel" function, with the
// checks every transport needs: the request is validated against the shared
// API definition before anything is sent, the answer is validated against the
// channel's response schema, and nothing ever throws: every failure comes back
// as an ApiError the window can show.
import {
  apiDefinition,
  apiErrorSchema,
  apiEventDefinition,
  apiNames,
  type ApiError,
  type ApiEventName,
  type ApiEventPayload,
  type ApiName,
  type ApiResult,
  type RawSubscribe,
  type SharedMemoryApi,
  type Unsubscribe,
} from '../../../api/shared-memory-api.js';
import { z } from 'zod';

/** Sends one call and resolves with the transport's raw `{ ok, value | error }`. */
export type RawCall = (name: ApiName, request: unknown) => Promise<unknown>;

const rawResultSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: apiErrorSchema }),
]);

/** Thrown by a RawCall when the transport itself failed (no answer at all). */
export class TransportError extends Error {
  readonly hint: string;
  constructor(message: string, hint: string) {
    super(message);
    this.name = 'TransportError';
    this.hint = hint;
  }
}

const describeIssues = (error: z.ZodError): string =>
  error.issues.map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ');

async function callChecked(raw: RawCall, name: ApiName, request: unknown): Promise<ApiResult<unknown>> {
  const parsedRequest = apiDefinition[name].request.safeParse(request);
  if (!parsedRequest.success) {
    return {
      ok: false,
      error: {
        operation: name,
        kind: 'invalid-request',
        message: `${name} was not sent: ${describeIssues(parsedRequest.error)}`,
      },
    };
  }
  let answer: unknown;
  try {
    answer = await raw(name, parsedRequest.data);
  } catch (e) {
    const error: ApiError = {
      operation: name,
      kind: 'transport',
      message: `${name} failed: ${e instanceof Error ? e.message : String(e)}`,
    };
    if (e instanceof TransportError) error.hint = e.hint;
    return { ok: false, error };
  }
  const result = rawResultSchema.safeParse(answer);
  if (!result.success) {
    return {
      ok: false,
      error: { operation: name, kind: 'invalid-response', message: `${name} got a malformed answer: ${describeIssues(result.error)}` },
    };
  }
  if (!result.data.ok) return { ok: false, error: result.data.error };
  const value = apiDefinition[name].response.safeParse(result.data.value);
  if (!value.success) {
    return {
      ok: false,
      error: { operation: name, kind: 'invalid-response', message: `${name} got a malformed answer: ${describeIssues(value.error)}` },
    };
  }
  return { ok: true, value: value.data };
}

/** A push checked against its event's schema: the payload, or an error the window can show. */
export function checkedPush<N extends ApiEventName>(name: N, payload: unknown): ApiResult<ApiEventPayload<N>> {
  const parsed = apiEventDefinition[name].safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data as ApiEventPayload<N> };
  return {
    ok: false,
    error: { operation: name, kind: 'invalid-push', message: `The app sent a malformed ${name} update: ${describeIssues(parsed.error)}` },
  };
}

export function createValidatedApi(raw: RawCall, rawSubscribe: RawSubscribe): SharedMemoryApi {
  const entries = apiNames.map((name) => [name, (request: unknown) => callChecked(raw, name, request)] as const);
  const subscribe = <N extends ApiEventName>(
    name: N,
    listener: (event: ApiResult<ApiEventPayload<N>>) => void,
  ): Unsubscribe => rawSubscribe(name, (payload) => listener(checkedPush(name, payload)));
  // Each entry's request and response types follow from its schema pair; the
  // map over the names cannot express that per key, hence the one cast.
  return { ...Object.fromEntries(entries), subscribe } as unknown as SharedMemoryApi;
}
