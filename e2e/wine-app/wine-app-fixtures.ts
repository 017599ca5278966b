// The worker-scoped fixture that owns the Wine session: one prefix, driver and
// server per worker, set up before the first test and stopped after the last
// one — also when a test fails. Its teardown fails the run on any bug-check
// line of the memory manager, even when the tests themselves failed.
import { test as base } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { OUTPUT_DIR, WineAppSession } from './wine-app-session.js';

export const test = base.extend<object, { wineApp: WineAppSession }>({
  wineApp: [
    // Playwright requires the destructuring pattern for the fixture's own fixtures.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const session = await WineAppSession.start();
      console.log(`e2e-wine: the window on the Windows driver: ${session.url}`);
      try {
        await use(session);
      } finally {
        writeFileSync(path.join(OUTPUT_DIR, 'server.txt'), session.serverOutput());
        session.stop();
      }
      const bugchecks = session.bugchecks();
      if (bugchecks.length > 0) throw new Error(`the memory manager reported driver bugs:\n${bugchecks.join('\n')}`);
    },
    { scope: 'worker', timeout: 300_000 },
  ],
});

export { expect } from '@playwright/test';
