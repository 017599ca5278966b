// `npm run dev`: the window loads the renderer from Vite's dev server (hot
// reload) instead of app://. Only an unpackaged app honours it, and only for
// a plain http URL on this machine's loopback, so a packaged or a tampered
// environment cannot point the window anywhere else.

/** The dev server's origin (http://127.0.0.1:5173), or null when the window uses app://. */
export function devServerOrigin(url: string | undefined, isPackaged: boolean): string | null {
  if (isPackaged || !url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  return parsed.protocol === 'http:' && loopback && !parsed.username && !parsed.password ? parsed.origin : null;
}

/** True for a frame URL on the dev server's origin. */
export function isDevServerFrame(url: string | undefined | null, origin: string): boolean {
  if (!url) return false;
  try {
    return new URL(url).origin === origin;
  } catch {
    return false;
  }
}
