// The UI round trip in browser mode: click Fill view, wait until the values
// are in the Shared memory view and the frame showing them has been painted.
// Headless Chromium through Playwright; timings are taken inside the page
// (performance.now) from the click event to the commit and to the paint, so
// the automation protocol's own latency is not counted.
import { chromium } from '@playwright/test';
import { frameDeltas } from './lib/frame-times.mjs';

// armWatcher and the waitForFunction callbacks run inside the page.
/* global document, window, requestAnimationFrame */

const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Headless Chromium on `url`; page errors are collected for the caller to report. */
async function openPage(url) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(url);
  return { browser, page, pageErrors };
}

/** Waits until the button labelled `label` is enabled (the app is idle again). */
function buttonEnabled(page, label, timeout = 30_000) {
  return page.waitForFunction(
    (text) => [...document.querySelectorAll('button')].some((b) => b.textContent?.trim() === text && !b.disabled),
    label,
    { timeout },
  );
}

// Fill view alternates between byte offsets 0 and 2, so every click changes
// what the view shows and the new values can be recognised.
const SEED = [10, 9, 8, 7, 6, 5, 4, 3, 2, 1];
const EXPECTED = { 0: SEED.join('\n'), 2: [...SEED.slice(1), 0].join('\n') };

/** Installs a watcher that resolves with the click, commit and paint times of the next Fill view. */
function armWatcher(expected) {
  const area = document.querySelector('textarea[aria-label="Shared memory view"]');
  if (!area) throw new Error('no textarea named "Shared memory view"');
  const w = { clickAt: null, committedAt: null };
  document.addEventListener('click', (e) => { w.clickAt = e.timeStamp; }, { capture: true, once: true });
  window.__shmUiBench = new Promise((resolve, reject) => {
    const channel = new MessageChannel();
    const deadline = performance.now() + 30_000;
    // Poll as often as the event loop allows: a message task per turn.
    channel.port1.onmessage = () => {
      if (w.clickAt !== null && area.value === expected) {
        w.committedAt = performance.now();
        // The rAF callback runs before the frame with the new value is
        // painted; the task it posts runs after that paint.
        requestAnimationFrame(() => {
          const after = new MessageChannel();
          after.port1.onmessage = () => resolve({ clickAt: w.clickAt, committedAt: w.committedAt, paintedAt: performance.now() });
          after.port2.postMessage(0);
        });
        return;
      }
      if (performance.now() > deadline) {
        reject(new Error(`view never showed ${JSON.stringify(expected)}; it shows ${JSON.stringify(area.value)}`));
        return;
      }
      channel.port2.postMessage(0);
    };
    channel.port2.postMessage(0);
  });
}

/**
 * Opens the UI at `url`, allocates, and times `clicks` Fill view round trips
 * after `warmup` untimed ones. Returns { backend, samples: [{ committedMs, paintedMs }] }.
 */
export async function measureUiRoundTrip({ url, clicks, warmup, backendLabel }) {
  const { browser, page, pageErrors } = await openPage(url);
  try {
    const allocate = page.getByRole('button', { name: 'Allocate memory', exact: true });
    const fill = page.getByRole('button', { name: 'Fill view', exact: true });
    const offset = page.getByLabel('Offset (bytes)', { exact: true });
    await allocate.click({ timeout: 60_000 });
    await fill.waitFor({ state: 'visible' });
    await buttonEnabled(page, 'Fill view', 60_000);

    const samples = [];
    for (let i = 0; i < warmup + clicks; i++) {
      const at = i % 2 === 0 ? 2 : 0;
      await offset.fill(String(at));
      await page.evaluate(armWatcher, EXPECTED[at]);
      await fill.click();
      const t = await page.evaluate(() => window.__shmUiBench);
      if (i >= warmup) samples.push({ committedMs: t.committedAt - t.clickAt, paintedMs: t.paintedAt - t.clickAt });
      // The button is disabled while a request is in flight; start the next
      // click only when the app is idle again.
      await buttonEnabled(page, 'Fill view');
    }
    const release = page.getByRole('button', { name: 'Release memory', exact: true });
    await release.click();
    if (pageErrors.length) throw new Error(`the page reported errors: ${pageErrors.join('; ')}`);
    return { backend: backendLabel, samples };
  } finally {
    await browser.close();
  }
}

/** The number on the "Records: N" line of Stream statistics. */
async function recordsShown(page) {
  const text = await page.getByRole('region', { name: 'Stream statistics' }).getByText(/^Records: \d+$/).textContent();
  return Number(/(\d+)$/.exec(text ?? '')?.[1] ?? NaN);
}

/**
 * The window's frame times while it streams (the Stream section, Live signal
 * plot and statistics updating): requestAnimationFrame deltas over `seconds`
 * idle first (the same page, nothing streaming), then at `rateHz`.
 * Returns { backend, rateHz, idleFrames, frames, recordsPerSecond }.
 */
export async function measureStreamFrameTimes({ url, rateHz, seconds, size, backendLabel }) {
  const { browser, page, pageErrors } = await openPage(url);
  try {
    await page.getByLabel('Size (bytes)').fill(size);
    await page.getByRole('button', { name: 'Allocate memory', exact: true }).click({ timeout: 60_000 });
    const start = page.getByRole('button', { name: 'Start stream', exact: true });
    await start.waitFor({ state: 'visible' });
    await buttonEnabled(page, 'Start stream', 60_000);
    const idleFrames = await frameDeltas(page, seconds * 1000);
    await page.getByLabel('Rate (records/s)').fill(String(rateHz));
    await start.click();
    await page.waitForFunction(
      () => /Records: [1-9]\d{3,}/.test(document.querySelector('[aria-label="Stream statistics"]')?.textContent ?? ''),
      null,
      { timeout: 60_000 },
    );
    const before = await recordsShown(page);
    const t0 = Date.now();
    const frames = await frameDeltas(page, seconds * 1000);
    const recordsPerSecond = ((await recordsShown(page)) - before) / ((Date.now() - t0) / 1000);
    await page.getByRole('button', { name: 'Stop stream', exact: true }).click();
    await page.getByRole('button', { name: 'Release memory', exact: true }).click();
    if (pageErrors.length) throw new Error(`the page reported errors: ${pageErrors.join('; ')}`);
    return { backend: backendLabel, rateHz, idleFrames, frames, recordsPerSecond };
  } finally {
    await browser.close();
  }
}
