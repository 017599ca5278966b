// Browser mode's wire protocol: the same API as the Electron preload, carried
// as JSON over one WebSocket. The server is server/; the client is the
// renderer's web transport. Both validate with these schemas.
//
//   page:      GET  /?token=TOKEN          (the token is also accepted as the
//                                            `shm_token_PORT` cookie the server sets)
//   socket:    GET  /api?token=TOKEN       (WebSocket; Origin must equal
//                                            http://<Host header>)
//   client -> server   { id, name, request }
//   server -> client   { id, result }        id null when the message was unreadable
//   server -> client   { event, payload }    a push to every connection (apiEventDefinition)
import { z } from 'zod';
import { apiEventNames, apiNames } from './api-names.js';
import { apiErrorSchema } from './shared-memory-api.js';

export const WEB_SOCKET_PATH = '/api';
export const TOKEN_QUERY_PARAM = 'token';
/**
 * The token cookie's name. Cookies are not tied to a port, so each server
 * names its own: a second server on another port of the same host neither
 * overwrites nor reads the first one's.
 */
export const tokenCookieName = (port: number): string => `shm_token_${port}`;
/** Larger messages are refused; the largest legal request is a 4096-value write. */
export const MAX_MESSAGE_BYTES = 64 * 1024;

export const callMessageSchema = z
  .object({
    id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    name: z.enum(apiNames),
    request: z.unknown(),
  })
  .strict();
export type CallMessage = z.infer<typeof callMessageSchema>;

export const resultMessageSchema = z.object({
  id: z.number().int().nullable(),
  result: z.union([
    z.object({ ok: z.literal(true), value: z.unknown() }),
    z.object({ ok: z.literal(false), error: apiErrorSchema }),
  ]),
});
export type ResultMessage = z.infer<typeof resultMessageSchema>;

/** A push; the client validates `payload` against the event's schema. */
export const eventMessageSchema = z
  .object({
    event: z.enum(apiEventNames),
    payload: z.unknown(),
  })
  .strict();
export type EventMessage = z.infer<typeof eventMessageSchema>;
