// The Host headers browser mode answers, against DNS rebinding: a page on
// evil.example that re-points its name at 127.0.0.1 reaches this server with
// "Host: evil.example:PORT" and an Origin to match, so the Origin check alone
// proves nothing. Only the names the server is really served under pass: the
// loopback names on its port, the --host it was given, and any extra
// host:port a port forward puts in front of it (--allow-host).

export interface AllowlistOptions {
  /** The address the server binds (--host), e.g. 127.0.0.1, 0.0.0.0, ::1, myhost.lan. */
  bindHost: string;
  port: number;
  /** Further "host:port" names, e.g. the host side of a VM port forward. */
  extra?: readonly string[];
}

/** host[:port] lower-cased, an IPv6 literal in brackets; null when it is not a plain host. */
export function normaliseHost(value: string): string | null {
  const host = value.trim().toLowerCase();
  if (!/^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/.test(host)) return null;
  return host;
}

/** A --allow-host value as the allowlist holds it; throws the message for the command line. */
export function parseAllowedHost(value: string): string {
  const host = normaliseHost(value);
  if (!host || !/:\d{1,5}$/.test(host)) throw new Error(`--allow-host must be host:port, not "${value}"`);
  return host;
}

const bracketed = (host: string): string => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** Every Host header value this server answers. */
export function allowedHosts({ bindHost, port, extra = [] }: AllowlistOptions): ReadonlySet<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', bracketed(bindHost)].map((h) => `${h.toLowerCase()}:${port}`);
  const hosts = new Set(names);
  for (const e of extra) hosts.add(parseAllowedHost(e));
  return hosts;
}

/** True when the request's Host header is one of the allowed names (with its port: browsers always send it here). */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (header === undefined) return false;
  const host = normaliseHost(header);
  return host !== null && allowed.has(host);
}
