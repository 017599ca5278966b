// Entry point: picks the transport (Electron preload or browser-mode socket)
// and mounts the window.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app.js';
import { dropTokenFromAddress } from './transport/address-token.js';
import { createApi } from './transport/create-api.js';
import './styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html lacks #root');
const { api, transport } = createApi(window);
document.documentElement.dataset.transport = transport;
// The socket URL holds the token now; the address bar need not.
if (transport === 'web-socket') dropTokenFromAddress(window.location.href, (...args) => window.history.replaceState(...args));
createRoot(root).render(
  <StrictMode>
    <App api={api} transport={transport} />
  </StrictMode>,
);
