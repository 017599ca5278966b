// The window's main flow, shared by the browser-mode and Electron projects:
// Allocate memory -> Fill view shows 10..1 -> write values -> Verify in driver
// matches -> Release memory -> Fill view disabled.
import { expect, type Locator, type Page } from '@playwright/test';

export const SEED_VIEW = '10\n9\n8\n7\n6\n5\n4\n3\n2\n1';

export const windowParts = (page: Page) => ({
  allocate: page.getByRole('button', { name: 'Allocate memory', exact: true }),
  fill: page.getByRole('button', { name: 'Fill view', exact: true }),
  release: page.getByRole('button', { name: 'Release memory', exact: true }),
  write: page.getByRole('button', { name: 'Write values', exact: true }),
  verify: page.getByRole('button', { name: 'Verify in driver', exact: true }),
  view: page.getByRole('textbox', { name: 'Shared memory view' }),
  status: page.getByRole('status', { name: 'Status' }),
  size: page.getByLabel('Size (bytes)'),
  values: page.getByLabel('Values to write'),
  alert: page.getByRole('alert'),
});

export async function expectState(status: Locator, state: 'Allocated' | 'Not allocated'): Promise<void> {
  await expect(status.getByTestId('status-state')).toHaveText(state);
}

/** Opens the window, allocates the default size and fills the view with the seed. */
export async function openAllocatedAndFilled(page: Page, url: string): Promise<ReturnType<typeof windowParts>> {
  await page.goto(url);
  const w = windowParts(page);
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);
  return w;
}

export interface FlowOptions {
  /** Called right after Fill view shows the seed, e.g. to save a screenshot. */
  afterFill?: () => Promise<void>;
  /** Called once Verify in driver has shown its match. */
  afterVerify?: () => Promise<void>;
}

export async function runWindowFlow(page: Page, options: FlowOptions = {}): Promise<void> {
  const w = windowParts(page);
  await expectState(w.status, 'Not allocated');
  await expect(w.allocate).toBeEnabled();
  for (const b of [w.fill, w.release, w.write, w.verify]) await expect(b).toBeDisabled();

  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await expect(w.status).toContainText(/User address\s*0x[0-9a-f]+/);
  await expect(w.status).toContainText('Mapped size4096 bytes (0x1000)');
  await expect(w.allocate).toBeDisabled();

  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);
  await expect(w.view).toHaveAttribute('readonly', '');
  await options.afterFill?.();

  await w.values.fill('1000, 0x7d0 3000');
  await w.write.click();
  await expect(w.status).toContainText('Wrote 3 values at 0x0');
  await expect(w.view).toHaveValue('1000\n2000\n3000\n7\n6\n5\n4\n3\n2\n1');

  await w.verify.click();
  await expect(page.getByTestId('verify-summary')).toHaveText(
    'Match: the driver reads the same 10 values through its kernel mapping.',
  );
  await expect(page.getByRole('cell', { name: '✓ match' })).toHaveCount(10);
  await expect(page.getByRole('row', { name: /0x2\s+2000\s+2000/ })).toBeVisible();
  await options.afterVerify?.();

  await w.release.click();
  await expectState(w.status, 'Not allocated');
  await expect(w.fill).toBeDisabled();
  await expect(w.allocate).toBeEnabled();
  await expect(w.view).toHaveValue('');
  await expect(w.alert).toHaveCount(0);
}

/** Opens the window at `url` and waits until its Status region shows a state. */
export async function openWindowAt(page: Page, url: string): Promise<ReturnType<typeof windowParts>> {
  await page.goto(url);
  const w = windowParts(page);
  await expect(w.status.getByTestId('status-state')).toHaveText(/^(Allocated|Not allocated)$/);
  return w;
}

/** The user address the Status region shows, as a number. */
export async function shownUserAddress(page: Page): Promise<bigint> {
  const text = await windowParts(page).status.textContent();
  const match = /User address\s*(0x[0-9a-f]+)/.exec(text ?? '');
  if (!match?.[1]) throw new Error(`no user address in the Status region: ${text}`);
  return BigInt(match[1]);
}
