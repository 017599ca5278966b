// The window at the Electron window's default content size (the Electron
// runtime cannot run here; this is the same page in Chromium at that size):
// the buttons, the Shared memory view, Status and the inspector are all on
// screen together, without scrolling, after Fill view.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { DEFAULT_WINDOW_SIZE } from '../../electron/window-defaults.js';
import { ROOT } from '../support/web-server.js';
import { openAllocatedAndFilled } from '../support/window-flow.js';
import { expect, test } from './fixtures.js';

const OUTPUT = join(ROOT, 'e2e', 'output');

async function expectOnScreen(page: Page, what: string, locator: Locator): Promise<void> {
  const box = await locator.boundingBox();
  expect(box, `${what} is rendered`).not.toBeNull();
  if (!box) return;
  const { width, height } = DEFAULT_WINDOW_SIZE;
  expect(box.y + box.height, `${what} ends above the bottom of the window`).toBeLessThanOrEqual(height);
  expect(box.x + box.width, `${what} ends left of the window's right edge`).toBeLessThanOrEqual(width);
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
}

test.use({ viewport: DEFAULT_WINDOW_SIZE });

test('at the default window size, the buttons, the view and Status are on screen together', async ({ page, server }) => {
  const w = await openAllocatedAndFilled(page, server.url);

  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  for (const [what, locator] of [
    ['Allocate memory', w.allocate],
    ['Fill view', w.fill],
    ['Release memory', w.release],
    ['the Shared memory view', w.view],
    ['Status', w.status],
    ['the hex dump', page.getByRole('grid', { name: 'Hex dump' })],
  ] as const) {
    await expectOnScreen(page, what, locator);
  }
  // The hex dump fits its panel: offsets, 16 bytes and the ASCII column, nothing cut off.
  const grid = page.getByRole('grid', { name: 'Hex dump' });
  expect(await grid.evaluate((e) => e.scrollWidth - e.clientWidth)).toBeLessThanOrEqual(0);
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, 'window-default-size.png') });
});
