// @vitest-environment jsdom
import { cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from './app.js';
import { createFakeApi, type FakeApi } from './testing/fake-shared-memory-api.js';

// The default 1 s for findBy/waitFor is tight when the two CPU cores are busy.
configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const button = (name: string) => screen.getByRole('button', { name });
const view = () => screen.getByRole<HTMLTextAreaElement>('textbox', { name: 'Shared memory view' });
const statusRegion = () => screen.getByRole('status', { name: 'Status' });
const field = (label: string) => screen.getByLabelText<HTMLInputElement>(label);
const type = (label: string, value: string) => fireEvent.change(field(label), { target: { value } });

async function renderApp(api: FakeApi = createFakeApi()) {
  render(<App api={api} transport="web-socket" />);
  await waitFor(() => expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy());
  return api;
}

async function allocate(api: FakeApi) {
  fireEvent.click(button('Allocate memory'));
  await waitFor(() => expect(within(statusRegion()).getByText('Allocated')).toBeTruthy());
  // The inspector reads its first rows after that; wait, so later counts of calls are the test's own.
  await waitFor(() => expect(screen.getAllByRole('gridcell').length).toBeGreaterThan(0));
  return api;
}

describe('the window, as the original dialog', () => {
  it('starts with only Allocate memory enabled and a read-only, empty view', async () => {
    await renderApp();
    expect(button('Allocate memory')).toHaveProperty('disabled', false);
    for (const name of ['Fill view', 'Release memory', 'Write values', 'Verify in driver']) {
      expect(button(name)).toHaveProperty('disabled', true);
    }
    expect(view().readOnly).toBe(true);
    expect(view().value).toBe('');
    expect(field('Size (bytes)').value).toBe('4096');
  });

  it('says plainly when the driver is simulated, and how to get the real one', async () => {
    await renderApp();
    expect(screen.getByText('Simulated driver — the kernel driver is not installed')).toBeTruthy();
    expect(screen.getByText(/For the real driver, install it/)).toBeTruthy();
  });

  it('Allocate memory -> Fill view shows 10 … 1 -> Release memory disables Fill view', async () => {
    const api = await allocate(await renderApp());
    expect(api.calls.find((c) => c.name === 'allocate')?.request).toEqual({ size: 4096 });
    const status = statusRegion();
    expect(within(status).getByText('0x7f0000001000')).toBeTruthy();
    expect(within(status).getAllByText('4096 bytes (0x1000)')).toHaveLength(2);
    expect(within(status).getByText('4096 bytes in 1 allocation')).toBeTruthy();
    expect(button('Allocate memory')).toHaveProperty('disabled', true);

    fireEvent.click(button('Fill view'));
    await waitFor(() => expect(view().value).toBe('10\n9\n8\n7\n6\n5\n4\n3\n2\n1'));
    expect(screen.getByText('10 values (u16, decimal) from byte offset 0x0')).toBeTruthy();

    fireEvent.click(button('Release memory'));
    await waitFor(() => expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy());
    expect(button('Fill view')).toHaveProperty('disabled', true);
    expect(button('Allocate memory')).toHaveProperty('disabled', false);
    expect(view().value).toBe('');
  });

  it('views any range, with offsets in hex', async () => {
    const api = await allocate(await renderApp());
    type('Offset (bytes)', '0x10');
    type('Count (values)', '3');
    fireEvent.click(button('Fill view'));
    await waitFor(() => expect(view().value).toBe('2\n1\n0'));
    expect(api.calls.at(-1)).toEqual({ name: 'readValues', request: { offset: 16, count: 3 } });
    expect(document.querySelector('.memory-view__offsets')?.textContent).toBe('0x0010\n0x0012\n0x0014');
  });

  it('writes values, shows them in the view, and Verify in driver reports a match', async () => {
    const api = await allocate(await renderApp());
    fireEvent.click(button('Fill view'));
    await waitFor(() => expect(view().value).toContain('10'));
    type('Values to write', '1000 0x7d0 3000');
    fireEvent.click(button('Write values'));
    await waitFor(() => expect(view().value).toBe('1000\n2000\n3000\n7\n6\n5\n4\n3\n2\n1'));
    expect(api.calls.at(-1)).toEqual({ name: 'writeValues', request: { offset: 0, values: [1000, 2000, 3000] } });
    expect(within(statusRegion()).getByText('Wrote 3 values at 0x0')).toBeTruthy();

    fireEvent.click(button('Verify in driver'));
    await waitFor(() => expect(screen.getByTestId('verify-summary').textContent).toBe('Match: the driver reads the same 10 values through its kernel mapping.'));
    expect(screen.getAllByText('✓ match')).toHaveLength(10);
  });

  it('shows a mismatch per value when the driver reads something else', async () => {
    const api = await allocate(await renderApp());
    api.corruptDriverAt = 2;
    fireEvent.click(button('Verify in driver'));
    await waitFor(() => expect(screen.getByTestId('verify-summary').textContent).toBe('Mismatch: 1 of 10 values differ between the mapping and the driver.'));
    expect(screen.getAllByText('✗ differs')).toHaveLength(1);
  });
});

describe('bad input is stopped in the window', () => {
  it.each([
    ['0', /at least 1 byte/],
    ['-1', /cannot be negative/],
    ['abc', /"abc" is not a size/],
    ['1.5', /whole number/],
    ['99999999999999999999', /too large to request/],
    ['', /Enter a size/],
  ])('size %j gives an inline error and sends nothing', async (text, why) => {
    const api = await renderApp();
    const before = api.calls.length;
    type('Size (bytes)', text);
    fireEvent.click(button('Allocate memory'));
    expect(screen.getByText(why)).toBeTruthy();
    expect(field('Size (bytes)').getAttribute('aria-invalid')).toBe('true');
    expect(api.calls.length).toBe(before);
    expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy();
    // Editing the field clears the message; a good size then goes through.
    type('Size (bytes)', '8K');
    expect(screen.queryByText(why)).toBeNull();
    fireEvent.click(button('Allocate memory'));
    await waitFor(() => expect(within(statusRegion()).getByText('Allocated')).toBeTruthy());
    // (The inspector reads its first rows after it.)
    expect(api.calls.filter((c) => c.name === 'allocate')).toEqual([{ name: 'allocate', request: { size: 8192 } }]);
  });

  it('checks ranges against the mapping and values against u16', async () => {
    const api = await allocate(await renderApp());
    const before = api.calls.length;
    type('Offset (bytes)', '4095');
    fireEvent.click(button('Fill view'));
    expect(screen.getByText(/must be even/)).toBeTruthy();
    type('Offset (bytes)', '4094');
    type('Count (values)', '2');
    fireEvent.click(button('Verify in driver'));
    expect(screen.getByText('The count must be at most 1: the mapping ends 1 value after offset 0xffe.')).toBeTruthy();
    type('Values to write', '1 70000');
    fireEvent.click(button('Write values'));
    expect(screen.getByText(/Value 2 \("70000"\) is not a 16-bit value/)).toBeTruthy();
    expect(api.calls.length).toBe(before);
  });
});

describe('errors show in the window and lose nothing', () => {
  it('shows the EBUSY row error when another window took the allocation first', async () => {
    const api = await renderApp();
    // Another client allocates behind this window's back: its status is stale.
    await api.allocate({ size: 4096 });
    fireEvent.click(button('Allocate memory'));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('allocate failed: this handle already holds an allocation (EBUSY, 16)')).toBeTruthy();
    expect(within(alert).getByText('EBUSY 16')).toBeTruthy();
    expect(within(alert).getByText('Release memory first.')).toBeTruthy();
    // The window then catches up with the allocation it did not know about.
    await waitFor(() => expect(within(statusRegion()).getByText('Allocated')).toBeTruthy());
    expect(button('Allocate memory')).toHaveProperty('disabled', true);
    expect(screen.getByRole('alert')).toBe(alert);
    fireEvent.click(within(alert).getByRole('button', { name: 'Dismiss' }));
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("sends a size above the driver's maximum, notes it first, and shows the driver's refusal", async () => {
    const api = await renderApp();
    type('Size (bytes)', '65M');
    expect(screen.getByText("Above the driver's maximum of 64 MiB: the driver will refuse it.")).toBeTruthy();
    fireEvent.click(button('Allocate memory'));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText('EINVAL 22')).toBeTruthy();
    expect(api.calls.filter((c) => c.name === 'allocate')).toEqual([{ name: 'allocate', request: { size: 65 * 1024 * 1024 } }]);
    expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy();
    expect(field('Size (bytes)').value).toBe('65M');
    expect(button('Allocate memory')).toHaveProperty('disabled', false);
  });

  it('keeps the view and the controls after a failed request', async () => {
    const api = await allocate(await renderApp());
    fireEvent.click(button('Fill view'));
    await waitFor(() => expect(view().value).toContain('10'));
    type('Values to write', '5 6');
    api.failNext.writeValues = { operation: 'write', kind: 'os-error', message: 'write failed: the operating system reported an error (EIO, 5)', osName: 'EIO', osCode: 5 };
    fireEvent.click(button('Write values'));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(/EIO, 5/)).toBeTruthy();
    expect(view().value).toBe('10\n9\n8\n7\n6\n5\n4\n3\n2\n1');
    expect(field('Values to write').value).toBe('5 6');
    expect(button('Write values')).toHaveProperty('disabled', false);
    expect(within(statusRegion()).getByText('Allocated')).toBeTruthy();
  });

  it('does not repeat a hint the message already ends with', async () => {
    const api = await allocate(await renderApp());
    api.failNext.release = {
      operation: 'release',
      kind: 'nothing-allocated',
      message: 'release failed: nothing is allocated (ENODATA, 61). Allocate memory first.',
      osName: 'ENODATA',
      osCode: 61,
      hint: 'Allocate memory first.',
    };
    fireEvent.click(button('Release memory'));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getAllByText(/Allocate memory first\./)).toHaveLength(1);
    expect(within(alert).getByText('ENODATA 61')).toBeTruthy();
  });

  it('shows a failed first status and can retry', async () => {
    const api = createFakeApi();
    api.failNext.getStatus = { operation: 'getStatus', kind: 'transport', message: 'getStatus failed: the server refused the connection', hint: 'Check that `npm run start:web` is still running.' };
    render(<App api={api} transport="web-socket" />);
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(/Check that/)).toBeTruthy();
    expect(within(statusRegion()).getByText('Not connected')).toBeTruthy();
    expect(button('Allocate memory')).toHaveProperty('disabled', true);
    fireEvent.click(button('Refresh status'));
    await waitFor(() => expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy());
    expect(screen.queryByRole('alert')).toBeNull();
  });
});

describe('driver service', () => {
  it('offers Start driver when the service can start, and shows the switch', async () => {
    const api = createFakeApi();
    api.driverService = { state: 'stopped', detail: 'Service SharedMemory is installed but stopped', canStart: true };
    await renderApp(api);
    expect(screen.getByText(/installed but stopped/)).toBeTruthy();
    fireEvent.click(button('Start driver'));
    await waitFor(() => expect(screen.getByText('Kernel driver (linux) — the device opened')).toBeTruthy());
    expect(screen.queryByRole('button', { name: 'Start driver' })).toBeNull();
    expect(within(statusRegion()).getByText('Switched to the linux driver')).toBeTruthy();
  });
});

describe('keyboard shortcuts and what is announced', () => {
  it('Alt+Shift+A, F and R run Allocate memory, Fill view and Release memory, named in the titles', async () => {
    const api = await renderApp();
    expect(button('Allocate memory').title).toBe('Allocate memory (Alt+Shift+A)');
    expect(button('Fill view').title).toBe('Fill view (Alt+Shift+F)');
    expect(button('Release memory').title).toBe('Release memory (Alt+Shift+R)');
    expect(button('Fill view').getAttribute('aria-keyshortcuts')).toBe('Alt+Shift+F');
    // Without Shift it is not ours (Alt+F is the browser's menu).
    fireEvent.keyDown(window, { code: 'KeyA', altKey: true });
    expect(api.calls.some((c) => c.name === 'allocate')).toBe(false);
    fireEvent.keyDown(window, { code: 'KeyA', altKey: true, shiftKey: true });
    await waitFor(() => expect(within(statusRegion()).getByText('Allocated')).toBeTruthy());
    fireEvent.keyDown(window, { code: 'KeyF', altKey: true, shiftKey: true });
    await waitFor(() => expect(view().value).toBe('10\n9\n8\n7\n6\n5\n4\n3\n2\n1'));
    fireEvent.keyDown(window, { code: 'KeyR', altKey: true, shiftKey: true });
    await waitFor(() => expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy());
    // A shortcut for a disabled button does nothing.
    const calls = api.calls.length;
    fireEvent.keyDown(window, { code: 'KeyR', altKey: true, shiftKey: true });
    expect(api.calls.length).toBe(calls);
  });

  it('announces what changed in Status, not the whole panel', async () => {
    await renderApp();
    // role=status is atomic by default: every change would read out all of it.
    expect(statusRegion().getAttribute('aria-atomic')).toBe('false');
  });

  it('words the banner for browser mode and for the driver service state', async () => {
    const api = createFakeApi();
    api.driverService = { state: 'not-installed', detail: 'Service SharedMemory is not installed', canStart: false };
    await renderApp(api);
    const banner = screen.getByRole('region', { name: 'Driver' });
    expect(banner.textContent).toContain('Driver service: not installed');
    expect(banner.textContent).not.toContain('not-installed');
    expect(banner.textContent).toContain('npm run start:web');
    expect(banner.textContent).not.toContain('start the app again');
  });
});
