// `server`: a fresh browser-mode server (simulated driver) for each test, so
// no allocation leaks from one test into the next.
import { test as base } from '@playwright/test';
import { startWebServer, type WebServer } from '../support/web-server.js';

export const test = base.extend<{ server: WebServer }>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads a fixture's dependencies from this pattern
  server: async ({}, use, testInfo) => {
    const server = await startWebServer('simulated');
    await use(server);
    await server.stop();
    await testInfo.attach('server output', { body: server.output(), contentType: 'text/plain' });
  },
});
export { expect } from '@playwright/test';
