// The Stream section's flow, shared by browser mode on the simulated driver
// (e2e/web/) and on the real module in the VM (e2e/vm-app/): records flow at
// the set rate, none dropped at a moderate rate, Stop stream freezes them.
import { expect, type Locator, type Page } from '@playwright/test';
import { expectState, windowParts } from './window-flow.js';

export const streamParts = (page: Page) => ({
  rate: page.getByLabel('Rate (records/s)'),
  start: page.getByRole('button', { name: 'Start stream', exact: true }),
  stop: page.getByRole('button', { name: 'Stop stream', exact: true }),
  plot: page.getByRole('img', { name: 'Live signal' }),
  statistics: page.getByRole('region', { name: 'Stream statistics' }),
});

/** The number after "<label>: " on its line of Stream statistics (plain digits). */
export async function counter(statistics: Locator, label: 'Records' | 'Dropped'): Promise<number> {
  const text = await statistics.getByText(new RegExp(`^${label}: \\d+$`)).textContent();
  const match = /(\d+)$/.exec(text ?? '');
  if (!match?.[1]) throw new Error(`no "${label}: N" line in Stream statistics: ${text ?? ''}`);
  return Number(match[1]);
}

export interface StreamFlowResult {
  records: number;
  dropped: number;
  seconds: number;
  /** Records a second the window saw, from its own counter. */
  observedRate: number;
  statisticsText: string;
}

/**
 * Allocates `size`, streams at `rateHz` for `seconds`, checks the count
 * against the rate, stops, and checks the count no longer moves.
 */
export async function runStreamFlow(
  page: Page,
  options: { size: string; rateHz: number; seconds: number; afterFlowing?: () => Promise<void> },
): Promise<StreamFlowResult> {
  const w = windowParts(page);
  const s = streamParts(page);
  await w.size.fill(options.size);
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await expect(s.start).toBeEnabled();
  await expect(s.stop).toBeDisabled();
  await s.rate.fill(String(options.rateHz));
  await s.start.click();
  await expect(s.stop).toBeEnabled();
  await expect(s.start).toBeDisabled();
  // The first records arrive; then measure over the window's own counter.
  await expect.poll(() => counter(s.statistics, 'Records'), { timeout: 15_000 }).toBeGreaterThan(0);
  const first = await counter(s.statistics, 'Records');
  const t0 = Date.now();
  await page.waitForTimeout(options.seconds * 1000);
  const last = await counter(s.statistics, 'Records');
  const seconds = (Date.now() - t0) / 1000;
  const observedRate = (last - first) / seconds;
  await options.afterFlowing?.();

  await s.stop.click();
  await expect(s.stop).toBeDisabled();
  await expect(s.statistics).toContainText('State: stopped');
  const frozen = await counter(s.statistics, 'Records');
  await page.waitForTimeout(1000);
  expect(await counter(s.statistics, 'Records'), 'Stop stream freezes the count').toBe(frozen);
  const dropped = await counter(s.statistics, 'Dropped');
  const statisticsText = (await s.statistics.innerText()).trim();
  return { records: frozen, dropped, seconds, observedRate, statisticsText };
}

/** What a moderate rate must give on any driver: the set rate within 40%, nothing dropped, every record verified. */
export function expectModerateStream(result: StreamFlowResult, rateHz: number): void {
  expect(result.observedRate).toBeGreaterThan(rateHz * 0.6);
  expect(result.observedRate).toBeLessThan(rateHz * 1.4);
  expect(result.dropped).toBe(0);
  expect(result.statisticsText).toContain('Verified: every record');
}
