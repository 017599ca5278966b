// The window's one SharedMemoryApi: the Electron preload's bridge when the
// page runs inside the app, otherwise the browser-mode WebSocket client.
import { apiNames, BRIDGE_KEY, type ApiName, type SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { createValidatedApi } from './validated-api.js';
import { createWebSocketApi, webSocketUrl } from './web-socket-api.js';

type BridgeFunction = (request: unknown) => Promise<unknown>;

function findBridge(host: object): Record<ApiName, BridgeFunction> | null {
  const bridge: unknown = Reflect.get(host, BRIDGE_KEY);
  if (typeof bridge !== 'object' || bridge === null) return null;
  const complete = apiNames.every((name) => typeof Reflect.get(bridge, name) === 'function');
  return complete ? (bridge as Record<ApiName, BridgeFunction>) : null;
}

export type TransportKind = 'electron' | 'web-socket';

export function createApi(host: Window = window): { api: SharedMemoryApi; transport: TransportKind } {
  const bridge = findBridge(host);
  if (bridge) {
    return { api: createValidatedApi((name, request) => bridge[name](request)), transport: 'electron' };
  }
  return { api: createWebSocketApi({ url: webSocketUrl(host.location) }), transport: 'web-socket' };
}
