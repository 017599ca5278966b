// The window in Chromium against browser mode with the simulated driver.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { dropPushes } from '../support/stale-window.js';
import { ROOT } from '../support/web-server.js';
import { expectState, openAllocatedAndFilled, runWindowFlow, SEED_VIEW, windowParts } from '../support/window-flow.js';
import { expect, test } from './fixtures.js';

const OUTPUT = join(ROOT, 'e2e', 'output');
const SCREENSHOT = join(OUTPUT, 'window-after-fill.png');

test('Allocate memory, Fill view, write, Verify in driver, Release memory', async ({ page, server }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(`${m.text()} ${m.location().url}`);
  });
  await page.goto(server.url);
  await expect(page.locator('html')).toHaveAttribute('data-transport', 'web-socket');
  // The server was started with --backend simulated, and the banner says so once.
  await expect(page.getByText('Simulated driver — chosen with --backend simulated', { exact: true })).toBeVisible();

  await runWindowFlow(page, {
    afterFill: async () => {
      mkdirSync(join(ROOT, 'e2e', 'output'), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    },
    afterVerify: async () => {
      await page.screenshot({ path: join(OUTPUT, 'window-after-verify.png'), fullPage: true });
    },
  });
  // No CSP violations, no uncaught errors.
  expect(pageErrors).toEqual([]);
});

test('views any range with hex input, and offsets in hex', async ({ page, server }) => {
  await page.goto(server.url);
  const w = windowParts(page);
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await page.getByLabel('Offset (bytes)', { exact: true }).fill('0x10');
  await page.getByLabel('Count (values)', { exact: true }).fill('4');
  await w.fill.click();
  await expect(w.view).toHaveValue('2\n1\n0\n0');
  await expect(page.locator('.memory-view__offsets')).toHaveText('0x0010\n0x0012\n0x0014\n0x0016');
  // The last value of the page, and one past it refused in the window.
  await page.getByLabel('Offset (bytes)', { exact: true }).fill('4094');
  await page.getByLabel('Count (values)', { exact: true }).fill('2');
  await w.fill.click();
  await expect(page.getByText('The count must be at most 1: the mapping ends 1 value after offset 0xffe.')).toBeVisible();
});

for (const [input, message] of [
  ['0', 'The size must be at least 1 byte.'],
  ['-1', 'The size cannot be negative (bytes, e.g. 4096).'],
  ['abc', '"abc" is not a size: use bytes in decimal (4096), hex (0x1000) or with K/M (4K).'],
  ['1.5', 'The size must be a whole number (bytes, e.g. 4096).'],
  ['99999999999999999999', 'The size is too large to request: at most 9007199254740991 bytes.'],
] as const) {
  test(`size ${JSON.stringify(input)} is refused inline and nothing is sent`, async ({ page, server }) => {
    const sent: string[] = [];
    page.on('websocket', (ws) => ws.on('framesent', (frame) => sent.push(String(frame.payload))));
    await page.goto(server.url);
    const w = windowParts(page);
    await expectState(w.status, 'Not allocated');
    const before = sent.length;
    expect(before).toBeGreaterThan(0); // the first getStatus went over the socket

    await w.size.fill(input);
    await w.allocate.click();
    await expect(page.getByText(message, { exact: true })).toBeVisible();
    await expect(w.size).toHaveAttribute('aria-invalid', 'true');
    // Give a stray request time to show up before asserting there was none.
    await page.waitForTimeout(300);
    expect(sent.slice(before)).toEqual([]);
    await expectState(w.status, 'Not allocated');
    await expect(w.status).toContainText('Driver totals0 bytes in 0 allocations');
    await expect(w.alert).toHaveCount(0);

    // The field recovers: a good size goes through.
    await w.size.fill('4K');
    await expect(page.getByText(message, { exact: true })).toHaveCount(0);
    await w.allocate.click();
    await expectState(w.status, 'Allocated');
    expect(sent.slice(before).some((f) => f.includes('"name":"allocate"') && f.includes('"size":4096'))).toBe(true);
  });
}

test('a second Allocate is refused while one is held', async ({ page, context, server }) => {
  // A second window on the same server, opened before the first allocates,
  // that misses the pushes (a lagging connection): it still believes nothing is held.
  const stale = await context.newPage();
  await dropPushes(stale);
  await stale.goto(server.url);
  await expectState(windowParts(stale).status, 'Not allocated');

  await page.goto(server.url);
  const w = windowParts(page);
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await expect(w.allocate).toBeDisabled();

  // A direct call over the page's own transport (its socket, its token) gets
  // the driver's busy error.
  const direct = await page.evaluate(async () => {
    const url = `ws://${location.host}/api${location.search}`;
    const ws = new WebSocket(url);
    await new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('socket refused'));
    });
    const answer = new Promise<string>((resolve) => (ws.onmessage = (e) => resolve(String(e.data))));
    ws.send(JSON.stringify({ id: 7, name: 'allocate', request: { size: 4096 } }));
    const text = await answer;
    ws.close();
    return JSON.parse(text) as { id: number; result: { ok: boolean; error?: { kind: string; osName?: string; osCode?: number; message: string } } };
  });
  expect(direct.id).toBe(7);
  expect(direct.result.ok).toBe(false);
  expect(direct.result.error?.kind).toBe('busy');
  expect(direct.result.error?.message).toContain('already holds an allocation');

  // The stale window's button still says Allocate; the refusal shows in it.
  const s = windowParts(stale);
  await expect(s.allocate).toBeEnabled();
  await s.allocate.click();
  await expect(s.alert).toContainText('already holds an allocation');
  await expect(s.alert).toContainText(`${direct.result.error?.osName} ${direct.result.error?.osCode}`);
  // ...and it catches up: Allocate disabled, the existing allocation shown.
  await expectState(s.status, 'Allocated');
  await expect(s.allocate).toBeDisabled();
  await expect(s.alert).toBeVisible();
  mkdirSync(OUTPUT, { recursive: true });
  await stale.screenshot({ path: join(OUTPUT, 'window-busy-refused.png'), fullPage: true });

  // Nothing was lost in the first window: its allocation still holds the seed.
  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);
  await expect(w.status).toContainText('Driver totals4096 bytes in 1 allocation');
});

test('works from the keyboard: Enter submits, Tab reaches the buttons', async ({ page, server }) => {
  await page.goto(server.url);
  const w = windowParts(page);
  await expectState(w.status, 'Not allocated');
  await w.size.focus();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type('8K');
  await page.keyboard.press('Enter');
  await expectState(w.status, 'Allocated');
  await expect(w.status).toContainText('Mapped size8192 bytes (0x2000)');

  await page.getByLabel('Count (values)', { exact: true }).focus();
  await page.keyboard.press('Enter');
  await expect(w.view).toHaveValue(SEED_VIEW);

  // From the count field, Tab goes to Fill view, then Verify in driver.
  await page.keyboard.press('Tab');
  await expect(w.fill).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(w.verify).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('verify-summary')).toContainText('Match');
});

test('a server that goes away is reported in the window, and nothing shown is lost', async ({ page, server }) => {
  const w = await openAllocatedAndFilled(page, server.url);

  // The idle socket closes with the server; the next call tries to reconnect.
  await server.stop();
  await w.fill.click();
  await expect(w.alert).toContainText('readValues failed: the server at ws://');
  await expect(w.alert).toContainText('is not running or refused the connection');
  await expect(w.alert).toContainText('npm run start:web');
  await expect(w.alert).not.toContainText(server.token);
  await expect(w.view).toHaveValue(SEED_VIEW);
  await expectState(w.status, 'Allocated');
  await expect(w.fill).toBeEnabled();
  await expect(page.getByLabel('Count (values)', { exact: true })).toHaveValue('10');
});
