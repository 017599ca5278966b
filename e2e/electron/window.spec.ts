// The same flow in the real Electron app (preload bridge, IPC, main-process
// service with the simulated driver). Runs wherever the Electron runtime is
// installed; elsewhere it is reported as skipped, with the reason.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { _electron as electron, expect, test } from '@playwright/test';
import { ROOT } from '../support/web-server.js';
import { runWindowFlow } from '../support/window-flow.js';
import { findElectronRuntime } from './electron-runtime.js';

const runtime = findElectronRuntime();
const MAIN = join(ROOT, 'dist', 'electron', 'main.js');

test('Allocate memory, Fill view, write, Verify in driver, Release memory (Electron)', async () => {
  test.skip(runtime.path === null, `Electron app not tested: ${runtime.missing ?? ''}`);
  expect(existsSync(MAIN), `${MAIN} is built by npm run build`).toBe(true);

  const app = await electron.launch({
    executablePath: runtime.path ?? undefined,
    args: [MAIN, '--backend', 'simulated', ...(process.getuid?.() === 0 ? ['--no-sandbox'] : [])],
    cwd: ROOT,
  });
  try {
    const page = await app.firstWindow();
    await expect(page.locator('html')).toHaveAttribute('data-transport', 'electron');
    await runWindowFlow(page, {
      afterFill: async () => {
        mkdirSync(join(ROOT, 'e2e', 'output'), { recursive: true });
        await page.screenshot({ path: join(ROOT, 'e2e', 'output', 'electron-window-after-fill.png') });
      },
    });
  } finally {
    await app.close();
  }
});
