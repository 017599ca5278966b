// The worker-scoped fixture that owns the guest: one VM per worker, booted
// before the first test and powered off after the last one — also when a test
// fails (Playwright tears the worker down) or the run is interrupted.
import { test as base } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { OUTPUT_DIR, VmAppSession } from './vm-app-session.js';

export const test = base.extend<object, { vmApp: VmAppSession }>({
  vmApp: [
    // Playwright requires the destructuring pattern for the fixture's own fixtures.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const session = await VmAppSession.start();
      console.log(`e2e-vm: the window on the guest's driver: ${session.url}`);
      const stopOnSignal = (): void => {
        void session.stop();
      };
      process.once('SIGINT', stopOnSignal);
      process.once('SIGTERM', stopOnSignal);
      let result: Awaited<ReturnType<typeof session.stop>>;
      try {
        await use(session);
      } finally {
        process.off('SIGINT', stopOnSignal);
        process.off('SIGTERM', stopOnSignal);
        result = await session.stop();
      }
      // Test failures are recorded by Playwright, not thrown by use(), so these
      // checks run after failed tests too: a failed run must not hide a kernel problem.
      if (!result) throw new Error('the VM harness gave no result after the guest was stopped');
      writeFileSync(path.join(OUTPUT_DIR, 'kernel.log'), result.kernelLog);
      if (result.kernelProblems.length > 0) {
        throw new Error(`the guest's kernel log has problems:\n${result.kernelProblems.join('\n')}`);
      }
    },
    { scope: 'worker', timeout: 420_000 },
  ],
});

export { expect } from '@playwright/test';
