// The window's one SharedMemoryApi: the Electron preload's bridge when the
// page runs inside the app, otherwise the browser-mode WebSocket client.
import { apiNames, BRIDGE_KEY, type ApiName, type RawSubscribe, type SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { createValidatedApi } from './validated-api.js';
import { createWebSocketApi, webSocketUrl } from './web-socket-api.js';

type BridgeFunction = (request: unknown) => Promise<unknown>;
type Bridge = Record<ApiName, BridgeFunction> & { subscribe: RawSubscribe };

function findBridge(host: object): Bridge | null {
  const bridge: unknown = Reflect.get(host, BRIDGE_KEY);
  if (typeof bridge !== 'object' || bridge === null) return null;
  const complete = [...apiNames, 'subscribe'].every((name) => typeof Reflect.get(bridge, name) === 'function');
  return complete ? (bridge as Bridge) : null;
}

export type TransportKind = 'electron' | 'web-socket';

export function createApi(host: Window = window): { api: SharedMemoryApi; transport: TransportKind } {
  const bridge = findBridge(host);
  if (bridge) {
    return {
      api: createValidatedApi(
        (name, request) => bridge[name](request),
        (name, listener) => bridge.subscribe(name, listener),
      ),
      transport: 'electron',
    };
  }
  return { api: createWebSocketApi({ url: webSocketUrl(host.location) }), transport: 'web-socket' };
}
