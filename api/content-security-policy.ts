// The window's one Content-Security-Policy: its own scripts and styles, no
// inline code, no plugins, no frames, no forms. Only the network differs by
// where the page runs, so that is the one parameter: Electron's app protocol
// allows none (the window talks to main over IPC), browser mode's server
// allows its own WebSocket, and the page's <meta> (Vite build) allows its own
// origin.

const POLICY: readonly (readonly [string, string])[] = [
  ['default-src', "'none'"],
  ['script-src', "'self'"],
  ['style-src', "'self'"],
  ['img-src', "'self' data:"],
  ['font-src', "'self'"],
  ['connect-src', ''], // filled in per transport
  ['base-uri', "'none'"],
  ['form-action', "'none'"],
  ['frame-ancestors', "'none'"],
  ['object-src', "'none'"],
];

export interface PolicyOptions {
  /** Sources for connect-src, e.g. ["'none'"] or ["'self'", 'ws://127.0.0.1:5199']. */
  connect: readonly string[];
  /** A <meta> policy may not carry frame-ancestors (browsers ignore it there, with a warning). */
  forMetaTag?: boolean;
  /**
   * Vite's dev server (`npm run dev` only, never a build): its React refresh
   * preamble is an inline script.
   */
  devServer?: boolean;
}

export function contentSecurityPolicy({ connect, forMetaTag = false, devServer = false }: PolicyOptions): string {
  if (connect.length === 0) throw new Error('connect-src needs at least one source (use "\'none\'")');
  const valueOf = (name: string, value: string): string => {
    if (name === 'connect-src') return connect.join(' ');
    if (name === 'script-src' && devServer) return `${value} 'unsafe-inline'`;
    return value;
  };
  return POLICY.filter(([name]) => !(forMetaTag && name === 'frame-ancestors'))
    .map(([name, value]) => `${name} ${valueOf(name, value)}`)
    .join('; ');
}
