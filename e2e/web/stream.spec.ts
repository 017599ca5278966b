// The Stream section in Chromium against browser mode on the simulated
// driver: records flow at the set rate with none dropped, Stop stream freezes
// them, two tabs stay in step, and a million records a second leaves the
// window responsive (frame times measured and printed).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { frameDeltas } from '../../bench/lib/frame-times.mjs';
import { counter, expectModerateStream, runStreamFlow, streamParts } from '../support/stream-flow.js';
import { ROOT } from '../support/web-server.js';
import { expectState, windowParts } from '../support/window-flow.js';
import { expect, test } from './fixtures.js';

const OUTPUT = join(ROOT, 'e2e', 'output');

test('records flow at the set rate, none dropped, and Stop stream freezes them', async ({ page, server }) => {
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
  await page.goto(server.url);
  const s = streamParts(page);
  await expect(s.start).toBeDisabled();
  await expect(page.getByText(/Allocate memory of at least 8192 bytes \(two pages\) to stream/)).toBeVisible();

  const result = await runStreamFlow(page, {
    size: '256K',
    rateHz: 2000,
    seconds: 4,
    afterFlowing: async () => {
      mkdirSync(OUTPUT, { recursive: true });
      await s.plot.screenshot({ path: join(OUTPUT, 'live-signal.png') });
      await page.screenshot({ path: join(OUTPUT, 'window-streaming.png'), fullPage: true });
    },
  });
  console.log(`stream 2000/s (simulated): ${result.observedRate.toFixed(0)} records/s seen by the window over ${result.seconds.toFixed(1)} s; ${result.records} records, ${result.dropped} dropped`);
  console.log(result.statisticsText);
  // The window counts what arrives; the rate holds within a loaded machine's jitter.
  expectModerateStream(result, 2000);
  expect(pageErrors).toEqual([]);
});

test('a one-page allocation cannot stream, and says why', async ({ page, server }) => {
  await page.goto(server.url);
  const w = windowParts(page);
  await w.allocate.click(); // the default 4096 bytes: one page
  await expectState(w.status, 'Allocated');
  await expect(streamParts(page).start).toBeDisabled();
  await expect(page.getByText(/This allocation is one page; streaming needs at least 8192 bytes/)).toBeVisible();
});

test('two tabs stay in step: allocation, stream start and stop, release', async ({ page, server, context }) => {
  const other: Page = await context.newPage();
  await page.goto(server.url);
  await other.goto(server.url);
  const a = { ...windowParts(page), ...streamParts(page) };
  const b = { ...windowParts(other), ...streamParts(other) };
  await expectState(b.status, 'Not allocated');

  await a.size.fill('64K');
  await a.allocate.click();
  await expectState(a.status, 'Allocated');
  // The second tab was never touched: the push brought it up to date.
  await expectState(b.status, 'Allocated');
  await expect(b.status).toContainText('65536 bytes');
  await expect(b.allocate).toBeDisabled();

  await a.rate.fill('500');
  await a.start.click();
  await expect(b.stop).toBeEnabled();
  await expect.poll(() => counter(b.statistics, 'Records'), { timeout: 15_000 }).toBeGreaterThan(100);

  await b.stop.click();
  await expect(a.stop).toBeDisabled();
  await expect(a.statistics).toContainText('State: stopped');
  await expect.poll(async () => (await counter(a.statistics, 'Records')) === (await counter(b.statistics, 'Records'))).toBe(true);

  await b.release.click();
  await expectState(a.status, 'Not allocated');
  await expect(a.allocate).toBeEnabled();
  await other.close();
});

function summary(frames: number[]): { p50: number; p95: number; max: number; text: string } {
  const sorted = [...frames].sort((x, y) => x - y);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const result = { p50: at(0.5), p95: at(0.95), max: sorted[sorted.length - 1] ?? 0 };
  return { ...result, text: `${frames.length} frames, p50 ${result.p50.toFixed(1)} ms, p95 ${result.p95.toFixed(1)} ms, max ${result.max.toFixed(1)} ms` };
}

test('a million records a second leaves the window responsive (frame times)', async ({ page, server }) => {
  await page.goto(server.url);
  // The same page, idle, on the same machine: the floor the stream is measured against.
  const idle = summary(await frameDeltas(page, 3000));
  const w = windowParts(page);
  const s = streamParts(page);
  await w.size.fill('32M');
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await s.rate.fill('1M');
  await s.start.click();
  await expect.poll(() => counter(s.statistics, 'Records'), { timeout: 15_000 }).toBeGreaterThan(10_000);
  const before = await counter(s.statistics, 'Records');
  const t0 = Date.now();
  // requestAnimationFrame deltas over 5 s while the stream runs.
  const frames = await frameDeltas(page, 5000);
  const after = await counter(s.statistics, 'Records');
  const rate = (after - before) / ((Date.now() - t0) / 1000);
  const streaming = summary(frames);
  const p95 = streaming.p95;
  console.log(`frame times idle: ${idle.text}`);
  console.log(
    `frame times at 1000000 records/s (simulated): ${streaming.text} (target p95 <= 16.7 ms, performance.now() steps 0.1 ms: ${p95 <= 16.8 ? 'met' : 'not met'}); ` +
      `the window counted ${rate.toFixed(0)} records/s`,
  );
  await page.screenshot({ path: join(OUTPUT, 'window-1M.png'), fullPage: true });
  // Responsive: the window keeps painting and answers a click at once.
  expect(frames.length).toBeGreaterThanOrEqual(100);
  expect(rate).toBeGreaterThan(100_000);
  const clicked = Date.now();
  await s.stop.click();
  await expect(s.statistics).toContainText('State: stopped', { timeout: 5000 });
  const answered = Date.now() - clicked;
  console.log(`Stop stream answered in ${answered} ms`);
  // The 16.7 ms target is reported above, beside the idle page's own figures
  // on the same machine (the simulated producer shares its two cores). What
  // must hold anywhere: the page kept painting (20 frames a second or more)
  // and a click was answered within a second.
  expect(answered).toBeLessThan(1000);
});
