// The window's one SharedMemoryApi: the Electron preload's bridge when the
// page runs inside the app, otherwise the browser-mode WebSocket client.
// Inside the app (the app:// page) without a bridge, the preload failed:
// every call says so, rather than trying a socket the app's CSP forbids and
// blaming a browser-mode server that was never involved.
import { apiNames, BRIDGE_KEY, type ApiName, type RawSubscribe, type SharedMemoryApi } from '../../../api/shared-memory-api.js';
import { createValidatedApi, TransportError } from './validated-api.js';
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

/** The page the Electron app serves (electron/app-protocol.ts). */
const APP_PAGE_PROTOCOL = 'app:';

export const MISSING_BRIDGE_MESSAGE =
  "This window runs inside the SharedMemory app, but the app's preload bridge is missing, so it cannot reach the driver.";
const MISSING_BRIDGE_HINT = 'Quit SharedMemory and start it again; if this stays, reinstall it (the app is incomplete).';

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
  if (host.location.protocol === APP_PAGE_PROTOCOL) {
    return {
      api: createValidatedApi(
        () => Promise.reject(new TransportError(MISSING_BRIDGE_MESSAGE, MISSING_BRIDGE_HINT)),
        // No bridge, no pushes: every call already says why.
        () => () => undefined,
      ),
      transport: 'electron',
    };
  }
  return { api: createWebSocketApi({ url: webSocketUrl(host.location) }), transport: 'web-socket' };
}
