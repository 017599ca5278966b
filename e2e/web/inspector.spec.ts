// The memory inspector and Watch in Chromium against browser mode: the hex
// dump of a 64 MiB mapping paged without rendering it, the type switch,
// selecting and copying a range, exporting as a download, an edit through
// writeValues, and Watch highlighting what another client writes.
import { once } from 'node:events';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from '@playwright/test';
import WebSocket from 'ws';
import { ROOT } from '../support/web-server.js';
import { expectState, windowParts } from '../support/window-flow.js';
import { expect, test } from './fixtures.js';

const OUTPUT = join(ROOT, 'e2e', 'output');

const inspectorParts = (page: Page) => {
  const region = page.getByRole('region', { name: 'Memory inspector' });
  const grid = region.getByRole('grid', { name: 'Hex dump' });
  return {
    region,
    grid,
    rows: grid.getByRole('row'),
    cells: grid.getByRole('gridcell'),
    range: page.getByTestId('inspector-range'),
    selection: page.getByTestId('inspector-selection'),
    type: region.getByLabel('Value type'),
    radix: region.getByLabel('Number base'),
    jump: region.getByLabel('Jump to offset'),
  };
};

/** Clicks an export button and returns the downloaded file's name and bytes. */
async function exported(page: Page, button: Locator, saveAs: string): Promise<{ name: string; bytes: Buffer }> {
  const downloading = page.waitForEvent('download');
  await button.click();
  const download = await downloading;
  mkdirSync(OUTPUT, { recursive: true });
  const saved = join(OUTPUT, saveAs);
  await download.saveAs(saved);
  return { name: download.suggestedFilename(), bytes: readFileSync(saved) };
}

const SEED_BYTES = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1].flatMap((v) => [v, 0]);

async function allocate(page: Page, size: string): Promise<void> {
  const w = windowParts(page);
  await expectState(w.status, 'Not allocated');
  await w.size.fill(size);
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
}

test('pages through 64 MiB, switches types, copies and exports a range, and edits a value', async ({ page, context, server }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.origin });
  await page.goto(server.url);
  await allocate(page, '64M');
  const i = inspectorParts(page);
  await expect(i.range).toHaveText('0x0–0xff of 67108864 bytes');
  await expect(i.rows).toHaveCount(17); // the header and 16 rows, not 4 Mi of them
  await expect(i.cells.first()).toHaveText('0a');

  await i.grid.focus();
  await page.keyboard.press('End');
  await expect(i.range).toHaveText('0x3ffff00–0x3ffffff of 67108864 bytes');
  await expect(i.rows.nth(16).getByRole('rowheader')).toHaveText('03fffff0');
  await page.keyboard.press('PageUp');
  await expect(i.rows.nth(1).getByRole('rowheader')).toHaveText('03fffe00');
  await i.grid.hover();
  await page.mouse.wheel(0, 300);
  await expect(i.rows.nth(1).getByRole('rowheader')).toHaveText('03fffe30');
  await expect(i.rows).toHaveCount(17);

  await i.jump.fill('0x10');
  await i.region.getByRole('button', { name: 'Go' }).click();
  await expect(i.rows.nth(1).getByRole('rowheader')).toHaveText('00000010');
  await i.type.selectOption('u16');
  await i.radix.selectOption('dec');
  await expect(i.cells.first()).toHaveText('2');
  await i.type.selectOption('i32');
  await i.radix.selectOption('hex');
  await expect(i.cells.first()).toHaveText('00010002');

  // Select 0x0..0x13 (u8 cells): click, then shift-click.
  await i.type.selectOption('u8');
  await i.jump.fill('0');
  await i.region.getByRole('button', { name: 'Go' }).click();
  await i.grid.locator('[data-offset="0"]').click();
  await i.grid.locator('[data-offset="19"]').click({ modifiers: ['Shift'] });
  await expect(i.selection).toHaveText('Selected 0x0–0x13 (20 bytes)');
  await i.region.getByRole('button', { name: 'Copy', exact: true }).click();
  await expect(i.region.getByText('Copied 20 bytes from 0x0 as a hex dump')).toBeVisible();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied.split('\n')[0]).toBe('00000000  0a 00 09 00 08 00 07 00 06 00 05 00 04 00 03 00  ................');
  expect(copied.split('\n')[1]).toMatch(/^00000010 {2}02 00 01 00 {38}\.\.\.\.$/);

  const selection = await exported(page, i.region.getByRole('button', { name: 'Export selection' }), 'inspector-export.bin');
  expect(selection.name).toBe('sharedmemory-0x0-20.bin');
  expect([...selection.bytes]).toEqual(SEED_BYTES);

  // An edit of one byte goes out as one u16 write, keeping its neighbour.
  const sent: string[] = [];
  page.on('websocket', (ws) => ws.on('framesent', (f) => sent.push(String(f.payload))));
  await i.grid.locator('[data-offset="3"]').click();
  await i.region.getByLabel('New u8 at 0x3').fill('7f');
  await i.region.getByRole('button', { name: 'Write value' }).click();
  await expect(i.grid.locator('[data-offset="3"]')).toHaveText('7f');
  await expect(i.grid.locator('[data-offset="2"]')).toHaveText('09');
  await expect(windowParts(page).status).toContainText('Wrote 1 value at 0x2');
  await page.screenshot({ path: join(OUTPUT, 'inspector.png') });
});

test('Watch highlights what another client writes, at the chosen interval, and stops when unticked', async ({ page, server }) => {
  await page.goto(server.url);
  await allocate(page, '4096');
  const i = inspectorParts(page);
  await i.region.getByLabel('Watch interval').selectOption('250');
  await i.region.getByLabel('Watch', { exact: true }).check();
  await expect(page.getByTestId('watch-summary')).toContainText('Watching every 250 ms: 0 bytes changed');

  // Another client of the same server writes 0xbeef at 0x20 (as the driver or a stream would).
  const other = new WebSocket(`ws://${new URL(server.origin).host}/api?token=${server.token}`, { headers: { Origin: server.origin } });
  await once(other, 'open');
  other.send(JSON.stringify({ id: 1, name: 'writeValues', request: { offset: 0x20, values: [0xbeef] } }));
  await once(other, 'message');

  await expect(i.grid.locator('.is-changed')).toHaveCount(2);
  await expect(i.grid.locator('[data-offset="32"]')).toHaveText('ef');
  await expect(i.grid.locator('[data-offset="33"]')).toHaveClass(/is-changed/);
  await expect(page.getByTestId('watch-summary')).toContainText('2 bytes changed');
  mkdirSync(OUTPUT, { recursive: true });
  await page.screenshot({ path: join(OUTPUT, 'inspector-watch.png') });
  // Nothing else changes: the next refresh clears the highlight.
  await expect(i.grid.locator('.is-changed')).toHaveCount(0);

  await i.region.getByLabel('Watch', { exact: true }).uncheck();
  other.send(JSON.stringify({ id: 2, name: 'writeValues', request: { offset: 0x20, values: [0x1111] } }));
  await once(other, 'message');
  await page.waitForTimeout(800);
  await expect(i.grid.locator('[data-offset="32"]')).toHaveText('ef');
  await i.region.getByRole('button', { name: 'Refresh' }).click();
  await expect(i.grid.locator('[data-offset="32"]')).toHaveText('11');
  other.close();
});

test('Export mapping downloads the whole mapping, byte for byte', async ({ page, server }) => {
  await page.goto(server.url);
  await allocate(page, '1M');
  const i = inspectorParts(page);
  const { name, bytes } = await exported(page, i.region.getByRole('button', { name: 'Export mapping' }), 'inspector-export-mapping.bin');
  expect(name).toBe('sharedmemory-0x0-1048576.bin');
  expect(bytes.length).toBe(1024 * 1024);
  expect([...bytes.subarray(0, 20)]).toEqual(SEED_BYTES);
  expect(bytes.subarray(20).every((b) => b === 0)).toBe(true);
  await expect(i.region.getByText('Exported 1048576 bytes as sharedmemory-0x0-1048576.bin')).toBeVisible();
});
