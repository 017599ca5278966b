// A window that misses the service's pushes, as one whose connection lags
// behind: its socket still carries calls and answers, but the { event } push
// messages are dropped on the way in. Lets a test show the driver's own
// refusal (EBUSY) in a window that did not yet hear of the other window's
// allocation — with live state, no window stays stale by itself.
import type { Page } from '@playwright/test';

export async function dropPushes(page: Page): Promise<void> {
  await page.routeWebSocket(/\/api(\?|$)/, (ws) => {
    const server = ws.connectToServer();
    ws.onMessage((message) => server.send(message));
    server.onMessage((message) => {
      const text = typeof message === 'string' ? message : message.toString('utf8');
      if (!text.startsWith('{"event":')) ws.send(message);
    });
  });
}
