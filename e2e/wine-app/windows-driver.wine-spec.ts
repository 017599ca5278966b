// The window on the real Windows driver: Chromium on this machine, the
// browser-mode server in Windows Node (node.exe + koffi's win32 binary) with
// --backend windows, and sharedmemory.sys in Wine's driver host with the
// memory manager of e2e/wine/ntoskrnl/. Every value the window shows comes from
// pages the driver allocated, wrote 10…1 into and mapped into the server.
//
// The tests share one prefix and run in order, each from nothing allocated.
// The driver's totals come from shm-client.exe, a process of its own.
import { type Page } from '@playwright/test';
import path from 'node:path';
import { expectModerateStream, runStreamFlow, streamParts } from '../support/stream-flow.js';
import type { windowParts } from '../support/window-flow.js';
import { expectState, openWindowAt, runWindowFlow, SEED_VIEW, shownUserAddress } from '../support/window-flow.js';
import { expect, test } from './wine-app-fixtures.js';
import { PROJECT_ROOT, type WineAppSession } from './wine-app-session.js';

test.describe.configure({ mode: 'serial' });

const SCREENSHOT = path.join(PROJECT_ROOT, 'e2e/output/wine-window-after-fill.png');
const STREAM_SCREENSHOT = path.join(PROJECT_ROOT, 'e2e/output/wine-live-signal.png');
const DRIVER_MAX_SIZE = 64 * 1024 * 1024;
// Canonical x86-64 user space ends below this address.
const USER_SPACE_END = 0x8000_0000_0000n;

function expectTotals(wineApp: WineAppSession, totalBytes: number, allocations: number): void {
  const info = wineApp.query();
  expect({ totalBytes: info.totalBytes, allocations: info.allocations }, 'QUERY from shm-client.exe').toEqual({ totalBytes, allocations });
  expect(wineApp.bugchecks(), 'SHM-WINE-BUGCHECK lines in the driver log').toEqual([]);
}

async function openWindow(page: Page, wineApp: WineAppSession): Promise<ReturnType<typeof windowParts>> {
  return openWindowAt(page, wineApp.url);
}


test('the window is served by Windows Node and talks to the Windows driver', async ({ page, wineApp }) => {
  const w = await openWindow(page, wineApp);
  await expectState(w.status, 'Not allocated');
  await expect(page.getByRole('region', { name: 'Driver' })).toContainText('Kernel driver (windows)');
  await expect(w.status).toContainText(/Backend\s*windows/);
  await expect(w.status).not.toContainText('simulated');
  await expect(w.status).toContainText('page 4096 bytes, max 64 MiB');
  await expect(w.status).toContainText('0 bytes in 0 allocations');
  expectTotals(wineApp, 0, 0);
});

test('Allocate, Fill view, write, Verify in driver and Release run on pages the Windows driver owns', async ({ page, wineApp }) => {
  await openWindow(page, wineApp);
  await runWindowFlow(page, {
    afterFill: async () => {
      // 10..1, written by sharedmemory.sys through its kernel mapping, read at
      // the address its ALLOCATE returned into the server's process.
      const address = await shownUserAddress(page);
      expect(address % 4096n, 'the mapping is page aligned').toBe(0n);
      expect(address > 0n && address < USER_SPACE_END, `0x${address.toString(16)} is a user-space address`).toBe(true);
      expectTotals(wineApp, 4096, 1);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    },
  });
  expectTotals(wineApp, 0, 0);
});

test("a size above the driver maximum: the driver's ERROR_INVALID_PARAMETER shows in the window and nothing changes", async ({ page, wineApp }) => {
  const w = await openWindow(page, wineApp);
  await expectState(w.status, 'Not allocated');
  await w.size.fill(String(DRIVER_MAX_SIZE + 1));
  await w.allocate.click();
  await expect(w.alert).toContainText('87');
  await expect(w.alert).toContainText('Allocate memory failed');
  await expectState(w.status, 'Not allocated');
  expectTotals(wineApp, 0, 0);

  // Nothing was lost: the field keeps what was typed, and a good size then works.
  await expect(w.size).toHaveValue(String(DRIVER_MAX_SIZE + 1));
  await w.size.fill('65536');
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);
  expectTotals(wineApp, 65536, 1);
  await w.release.click();
  await expectState(w.status, 'Not allocated');
  await expect(w.status).toContainText('0 bytes in 0 allocations');
  expectTotals(wineApp, 0, 0);
});

test("the Stream section on the Windows driver's DPC producer: records flow at the set rate, none dropped, Stop freezes them", async ({ page, wineApp }) => {
  const w = await openWindow(page, wineApp);
  await expectState(w.status, 'Not allocated');
  const result = await runStreamFlow(page, {
    size: '1M',
    rateHz: 1000,
    seconds: 4,
    afterFlowing: async () => {
      await streamParts(page).plot.screenshot({ path: STREAM_SCREENSHOT });
    },
  });
  console.log(
    `e2e-wine: stream 1000/s on the Windows driver: ${result.observedRate.toFixed(0)} records/s seen by the window over ` +
      `${result.seconds.toFixed(1)} s; ${result.records} records, ${result.dropped} dropped\n${result.statisticsText}`,
  );
  expectModerateStream(result, 1000);
  expectTotals(wineApp, 1024 * 1024, 1);
  await w.release.click();
  await expectState(w.status, 'Not allocated');
  expectTotals(wineApp, 0, 0);
});
