// The whole app on a real kernel: the window in Chromium on this machine, the
// browser-mode server with --backend linux inside a QEMU guest, the
// sharedmemory module loaded there. Every value the window shows comes from
// pages the guest's kernel allocated and wrote.
//
// The tests share one guest and run in order: each one starts from the state
// the previous one left (nothing allocated) and checks it first. The driver's
// totals are read by a second process in the guest (query-device.c), not by
// the app, so a leak in the app's code cannot hide itself.
import { type Page } from '@playwright/test';
import path from 'node:path';
import { dropPushes } from '../support/stale-window.js';
import { expectModerateStream, runStreamFlow, streamParts } from '../support/stream-flow.js';
import type { windowParts } from '../support/window-flow.js';
import { expectState, openWindowAt, runWindowFlow, SEED_VIEW, shownUserAddress } from '../support/window-flow.js';
import { expect, test } from './vm-app-fixtures.js';
import { isTotals, PROJECT_ROOT, type DeviceTotals, type GuestReply, type VmAppSession } from './vm-app-session.js';

test.describe.configure({ mode: 'serial' });

const SCREENSHOT = path.join(PROJECT_ROOT, 'e2e/output/vm-window-after-fill.png');
const BUSY_SCREENSHOT = path.join(PROJECT_ROOT, 'e2e/output/vm-window-busy-refusal.png');
const STREAM_SCREENSHOT = path.join(PROJECT_ROOT, 'e2e/output/vm-live-signal.png');
const MiB = 1024 * 1024;
const DRIVER_MAX_SIZE = 64 * MiB;
// Canonical x86-64 user space ends below this address.
const USER_SPACE_END = 0x8000_0000_0000n;

function totalsOf(reply: GuestReply): DeviceTotals {
  if (!isTotals(reply.device)) throw new Error(`the guest's QUERY probe failed: ${JSON.stringify(reply.device)}`);
  return reply.device;
}

/** What the guest's kernel says now: QUERY from a fresh process, and the server's mappings. */
async function guestView(vmApp: VmAppSession): Promise<{ totals: DeviceTotals; serverMappings: string[] }> {
  const reply = await vmApp.request('query');
  expect(reply.server, 'the server in the guest is still running').toBe('running');
  expect(reply.kernelProblems, "problem lines in the guest's kernel log").toBe(0);
  return { totals: totalsOf(reply), serverMappings: reply.serverMappings };
}

/** A line of the server's /proc/PID/maps for the device: shared, read-write. */
function deviceMapping(address: bigint, size: number): string {
  return `${address.toString(16)}-${(address + BigInt(size)).toString(16)} rw-s`;
}

/** The kernel holds exactly this one allocation, mapped in the server at the address the window shows. */
async function expectHeld(vmApp: VmAppSession, address: bigint, size: number): Promise<void> {
  const { totals, serverMappings } = await guestView(vmApp);
  expect({ totalBytes: totals.totalBytes, allocations: totals.allocations }).toEqual({ totalBytes: size, allocations: 1 });
  expect(serverMappings, "the server's mappings of /dev/sharedmemory").toEqual([deviceMapping(address, size)]);
}

async function expectNothingAllocated(vmApp: VmAppSession): Promise<void> {
  const { totals, serverMappings } = await guestView(vmApp);
  expect({ totalBytes: totals.totalBytes, allocations: totals.allocations }).toEqual({ totalBytes: 0, allocations: 0 });
  expect(serverMappings, "the server's mappings of /dev/sharedmemory").toEqual([]);
}

async function openWindow(page: Page, vmApp: VmAppSession): Promise<ReturnType<typeof windowParts>> {
  return openWindowAt(page, vmApp.url);
}


test('the window is served from the guest and talks to the Linux kernel driver', async ({ page, vmApp }) => {
  const w = await openWindow(page, vmApp);
  await expectState(w.status, 'Not allocated');
  await expect(page.getByRole('region', { name: 'Driver' })).toContainText('Kernel driver (linux)');
  await expect(w.status).toContainText(/Backend\s*linux/);
  await expect(w.status).not.toContainText('simulated');
  // The Status region's driver line is QUERY's answer from the kernel module.
  await expect(w.status).toContainText('ABI 1, version 1.1, page 4096 bytes, max 64 MiB');
  await expect(w.status).toContainText('0 bytes in 0 allocations');

  const { totals, serverMappings } = await guestView(vmApp);
  expect(serverMappings).toEqual([]);
  expect(totals).toEqual({
    abiVersion: 1,
    driverVersion: 0x1_0001,
    pageSize: 4096,
    maxSize: DRIVER_MAX_SIZE,
    totalBytes: 0,
    allocations: 0,
  });
});

test('Allocate, Fill view, write, Verify in driver and Release run on pages the kernel owns', async ({ page, vmApp }) => {
  await openWindow(page, vmApp);
  await runWindowFlow(page, {
    afterFill: async () => {
      // The view shows 10..1: the module wrote them into fresh pages at ALLOCATE.
      const address = await shownUserAddress(page);
      expect(address % 4096n, 'the mapping is page aligned').toBe(0n);
      expect(address > 0n && address < USER_SPACE_END, `0x${address.toString(16)} is a user-space address`).toBe(true);
      // ...and it is the server's own mapping of the device, as the guest's kernel lists it.
      await expectHeld(vmApp, address, 4096);
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    },
  });
  await expectNothingAllocated(vmApp);
});

test('a 16 MiB allocation: seeded, zero to its last value, writes on its last and across its first page seen by the kernel', async ({ page, vmApp }) => {
  const w = await openWindow(page, vmApp);
  await expectState(w.status, 'Not allocated');
  await w.size.fill('16M');
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await expect(w.status).toContainText(`Mapped size${16 * MiB} bytes (0x1000000)`);
  await expectHeld(vmApp, await shownUserAddress(page), 16 * MiB);

  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);

  // The last ten u16 of the 16 MiB: zeroed by the kernel, never old data.
  const lastTen = 16 * MiB - 20;
  await page.getByRole('textbox', { name: 'Offset (bytes)', exact: true }).fill(`0x${lastTen.toString(16)}`);
  await w.fill.click();
  await expect(page.getByText(`10 values (u16, decimal) from byte offset 0x${lastTen.toString(16)}`)).toBeVisible();
  await expect(w.view).toHaveValue(Array(10).fill('0').join('\n'));
  // ...and the driver reads the same zeros through its own kernel mapping.
  await w.verify.click();
  await expect(page.getByTestId('verify-summary')).toHaveText(
    'Match: the driver reads the same 10 values through its kernel mapping.',
  );

  // One value past the end is refused by the window before anything is sent.
  const count = page.getByRole('textbox', { name: 'Count (values)', exact: true });
  await count.fill('11');
  await w.fill.click();
  await expect(count).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/The count must be at most 10\b/)).toBeVisible();
  await expect(w.view).toHaveValue(Array(10).fill('0').join('\n'));
  await count.fill('10');

  // The very last u16, written through the app's mapping, is what the kernel reads there.
  const writeAt = page.getByRole('textbox', { name: 'Write at offset (bytes)', exact: true });
  await writeAt.fill(`0x${(16 * MiB - 2).toString(16)}`);
  await w.values.fill('0xffff');
  await w.write.click();
  await expect(w.status).toContainText(`Wrote 1 value at 0x${(16 * MiB - 2).toString(16)}`);
  await expect(w.view).toHaveValue([...Array<string>(9).fill('0'), '65535'].join('\n'));
  await w.verify.click();
  await expect(page.getByTestId('verify-summary')).toHaveText(
    'Match: the driver reads the same 10 values through its kernel mapping.',
  );

  // Two values across the first page boundary: user and kernel mappings agree on both pages.
  await page.getByRole('textbox', { name: 'Offset (bytes)', exact: true }).fill('0xffc');
  await count.fill('4');
  await writeAt.fill('0xffe');
  await w.values.fill('0xbeef 0xcafe');
  await w.write.click();
  await expect(w.status).toContainText('Wrote 2 values at 0xffe');
  await w.fill.click();
  await expect(w.view).toHaveValue('0\n48879\n51966\n0');
  await w.verify.click();
  await expect(page.getByTestId('verify-summary')).toHaveText(
    'Match: the driver reads the same 4 values through its kernel mapping.',
  );

  await w.release.click();
  await expectState(w.status, 'Not allocated');
  await expectNothingAllocated(vmApp);
});

test("a size above the driver maximum: the kernel's EINVAL shows in the window and nothing changes", async ({ page, vmApp }) => {
  const parts = await openWindow(page, vmApp);
  await expectState(parts.status, 'Not allocated');

  // The window knows the limit from QUERY and says so, but leaves the decision
  // to the driver: the request reaches the kernel, which refuses it.
  await parts.size.fill(String(DRIVER_MAX_SIZE + 1));
  await expect(page.getByText("Above the driver's maximum of 64 MiB: the driver will refuse it.")).toBeVisible();
  await parts.allocate.click();
  await expect(parts.alert).toContainText('EINVAL 22');
  await expect(parts.alert).toContainText('Allocate memory failed');
  await expectState(parts.status, 'Not allocated');
  await expectNothingAllocated(vmApp);

  // Nothing was lost: the field keeps what was typed, and a good size then works.
  await expect(parts.size).toHaveValue(String(DRIVER_MAX_SIZE + 1));
  await parts.size.fill('4096');
  await parts.allocate.click();
  await expectState(parts.status, 'Allocated');
  await parts.release.click();
  await expectState(parts.status, 'Not allocated');
  await expect(parts.status).toContainText('0 bytes in 0 allocations');
  await expectNothingAllocated(vmApp);
});

test("the driver's own refusal shows in the window: a stale window's Allocate gets EBUSY", async ({ page, browser, vmApp }) => {
  // A second window opened before the first allocates, missing the pushes (a
  // lagging connection), still offers Allocate; the app does not second-guess
  // the driver, so the kernel answers it.
  const stale = await browser.newPage();
  await dropPushes(stale);
  const s = await openWindow(stale, vmApp);
  await expectState(s.status, 'Not allocated');

  const w = await openWindow(page, vmApp);
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  const address = await shownUserAddress(page);

  await s.allocate.click();
  await expect(s.alert).toContainText('EBUSY 16');
  await stale.screenshot({ path: BUSY_SCREENSHOT, fullPage: true });
  // Nothing changed: one allocation of one page, mapped once, at the same address.
  await expectHeld(vmApp, address, 4096);
  await page.getByRole('button', { name: 'Refresh status', exact: true }).click();
  await expectState(w.status, 'Allocated');
  expect(await shownUserAddress(page)).toBe(address);
  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);
  await stale.close();

  await w.release.click();
  await expectState(w.status, 'Not allocated');
  await expectNothingAllocated(vmApp);
});

test('the Stream section on the kernel\'s producer: records flow at the set rate, none dropped, Stop freezes them', async ({ page, vmApp }) => {
  const w = await openWindow(page, vmApp);
  await expectState(w.status, 'Not allocated');
  const result = await runStreamFlow(page, {
    size: '1M',
    rateHz: 1000,
    seconds: 5,
    afterFlowing: async () => {
      await streamParts(page).plot.screenshot({ path: STREAM_SCREENSHOT });
    },
  });
  console.log(
    `e2e-vm: stream 1000/s on the kernel module: ${result.observedRate.toFixed(0)} records/s seen by the window over ` +
      `${result.seconds.toFixed(1)} s; ${result.records} records, ${result.dropped} dropped\n${result.statisticsText}`,
  );
  expectModerateStream(result, 1000);
  // The kernel holds the ring's allocation until Release memory.
  await expectHeld(vmApp, await shownUserAddress(page), MiB);
  await w.release.click();
  await expectState(w.status, 'Not allocated');
  await expectNothingAllocated(vmApp);
});

test('the server killed with SIGKILL while holding an allocation leaks nothing', async ({ page, vmApp }) => {
  const w = await openWindow(page, vmApp);
  await w.size.fill('1M');
  await w.allocate.click();
  await expectState(w.status, 'Allocated');
  await w.fill.click();
  await expect(w.view).toHaveValue(SEED_VIEW);
  // The probe sees the server's allocation, so a leak could not pass unseen.
  await expectHeld(vmApp, await shownUserAddress(page), MiB);

  const reply = await vmApp.request('kill-server');
  expect(reply.server, 'the server died of SIGKILL').toBe('exited:137');
  const after = totalsOf(reply);
  expect({ totalBytes: after.totalBytes, allocations: after.allocations }).toEqual({ totalBytes: 0, allocations: 0 });
  expect(reply.kernelProblems, "problem lines in the guest's kernel log").toBe(0);

  // The window survives its server: the next action reports the lost connection.
  await w.fill.click();
  await expect(w.alert).toBeVisible();
});

test('the guest powers off with the driver empty and a clean kernel log', async ({ vmApp }) => {
  const { reply, result } = await vmApp.finish();
  const totals = totalsOf(reply);
  expect({ totalBytes: totals.totalBytes, allocations: totals.allocations }).toEqual({ totalBytes: 0, allocations: 0 });
  expect(result.kernelProblems).toEqual([]);
  expect(result.timedOut, 'the guest ended before its time limit').toBe(false);
  expect(result.exitCode, 'the guest supervisor ended normally').toBe(0);
});
