// Playwright: the window in Debian's Chromium against browser mode with the
// simulated driver (`web`), and the same flow in the real Electron app where
// its runtime is installed (`electron`, skipped with the reason otherwise).
// No browser is downloaded: Chromium is the system's /usr/bin/chromium.
import { defineConfig, type Project } from '@playwright/test';

export const CHROMIUM_PATH = process.env.SHAREDMEMORY_CHROMIUM ?? '/usr/bin/chromium';

// Headless system Chromium; the flags keep it off the network (updates,
// sync) and let it run as root.
const chromiumUse: Project['use'] = {
    browserName: 'chromium',
    headless: true,
    viewport: { width: 1100, height: 860 },
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  };

// The same window on the real Linux driver: server and module in a QEMU guest
// (e2e/vm-app/). `npm run test:e2e:vm` sets SHAREDMEMORY_E2E_VM=1 and runs it.
const vmProject: Project = {
  name: 'vm',
  testDir: 'e2e/vm-app',
  testMatch: '*.vm-spec.ts',
  outputDir: 'e2e/output/vm-app/test-results',
  workers: 1,
  // One guest for the whole file; TCG makes every round trip slower.
  timeout: 240_000,
  expect: { timeout: 30_000 },
  use: chromiumUse,
};

// The same window on the real Windows driver: the server in Windows Node and the
// driver under Wine with its memory manager (e2e/wine-app/). `npm run test:e2e:wine`
// sets SHAREDMEMORY_E2E_WINE=1 and runs it.
const wineProject: Project = {
  name: 'wine',
  testDir: 'e2e/wine-app',
  testMatch: '*.wine-spec.ts',
  outputDir: 'e2e/output/wine-app/test-results',
  workers: 1,
  timeout: 180_000,
  expect: { timeout: 30_000 },
  use: chromiumUse,
};

export default defineConfig({
  outputDir: 'e2e/output/test-results',
  fullyParallel: false,
  // Two shared CPU cores; each test starts its own server.
  workers: 1,
  retries: 0,
  forbidOnly: true,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: 'e2e/output/results.json' }]],
  projects: [
    {
      name: 'web',
      testDir: 'e2e/web',
      use: chromiumUse,
    },
    {
      name: 'electron',
      testDir: 'e2e/electron',
    },
    // The real-kernel project boots a QEMU guest for minutes: only on request.
    ...(process.env.SHAREDMEMORY_E2E_VM === '1' ? [vmProject] : []),
    // The same for Windows: a Wine prefix and Windows Node, only on request.
    ...(process.env.SHAREDMEMORY_E2E_WINE === '1' ? [wineProject] : []),
  ],
});
