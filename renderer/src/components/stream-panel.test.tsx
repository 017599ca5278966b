// @vitest-environment jsdom
// The Stream section and live state in the window, against the fake API:
// when Start and Stop are enabled and why not, what is sent, the statistics
// one per line from pushes, a refused start shown with its OS error and
// nothing lost, and state pushed from another window.
import { act, cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SEED_VALUES } from '../../../api/device.js';
import type { StreamUpdate } from '../../../api/shared-memory-api.js';
import { App } from '../app.js';
import { createFakeApi, type FakeApi } from '../testing/fake-shared-memory-api.js';

configure({ asyncUtilTimeout: 5000 });
afterEach(cleanup);

const button = (name: string) => screen.getByRole('button', { name });
const statusRegion = () => screen.getByRole('status', { name: 'Status' });
const statistics = () => screen.getByRole('region', { name: 'Stream statistics' });
const type = (label: string, value: string) => fireEvent.change(screen.getByLabelText(label), { target: { value } });

async function renderApp(api: FakeApi = createFakeApi()) {
  render(<App api={api} transport="web-socket" />);
  await waitFor(() => expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy());
  return api;
}

async function allocate(size: string) {
  type('Size (bytes)', size);
  fireEvent.click(button('Allocate memory'));
  await waitFor(() => expect(within(statusRegion()).getByText('Allocated')).toBeTruthy());
}

const update = (records: number, state: StreamUpdate['state'] = 'running'): StreamUpdate => ({
  state,
  statistics: {
    records,
    dropped: 3,
    skipped: 3,
    invalid: 0,
    firstProblem: null,
    measuredRateHz: 998,
    latencyNs: { p50: 120_000, p90: 480_000, p99: 2_500_000 },
  },
  points: { sequence: [0, 500, 999], sample: [-16000, 16000, -15936] },
});

describe('the Stream section', () => {
  it('has the contract\'s names, and Start says why it is disabled without two pages', async () => {
    await renderApp();
    expect(screen.getByLabelText('Rate (records/s)')).toBeTruthy();
    expect(button('Start stream')).toHaveProperty('disabled', true);
    expect(button('Stop stream')).toHaveProperty('disabled', true);
    expect(screen.getByText(/Allocate memory of at least 8192 bytes \(two pages\) to stream/)).toBeTruthy();
    await allocate('4096');
    expect(button('Start stream')).toHaveProperty('disabled', true);
    expect(screen.getByText(/This allocation is one page; streaming needs at least 8192 bytes/)).toBeTruthy();
    expect(within(statistics()).getByText('Records: 0')).toBeTruthy();
  });

  it('starts at the typed rate, then only Stop is enabled; pushed statistics show one per line', async () => {
    const api = await renderApp();
    await allocate('16K');
    expect(button('Start stream')).toHaveProperty('disabled', false);
    type('Rate (records/s)', '2k');
    fireEvent.click(button('Start stream'));
    await waitFor(() => expect(button('Stop stream')).toHaveProperty('disabled', false));
    expect(api.calls.at(-1)).toEqual({ name: 'startStream', request: { rateHz: 2000 } });
    expect(button('Start stream')).toHaveProperty('disabled', true);

    act(() => api.push('streamUpdate', { ok: true, value: update(1234) }));
    const region = statistics();
    expect(within(region).getByText('Records: 1234')).toBeTruthy();
    expect(within(region).getByText('Dropped: 3')).toBeTruthy();
    expect(within(region).getByText('Rate: 998 records/s (set 2000)')).toBeTruthy();
    expect(within(region).getByText('Latency: p50 120 µs, p90 480 µs, p99 2.50 ms')).toBeTruthy();
    expect(within(region).getByText(/Verified: every record; 3 sequence numbers skipped/)).toBeTruthy();

    fireEvent.click(button('Stop stream'));
    await waitFor(() => expect(button('Stop stream')).toHaveProperty('disabled', true));
    expect(api.calls.at(-1)).toEqual({ name: 'stopStream', request: {} });
    // A stopped stream keeps its ring until release: Start says so.
    expect(button('Start stream')).toHaveProperty('disabled', true);
    expect(screen.getByText(/The stopped stream keeps its ring until Release memory/)).toBeTruthy();
  });

  it('refuses a bad rate inline and sends nothing', async () => {
    const api = await renderApp();
    await allocate('16K');
    const before = api.calls.length;
    type('Rate (records/s)', '0');
    fireEvent.click(button('Start stream'));
    expect(screen.getByText('The rate must be at least 1 record/s.')).toBeTruthy();
    expect(api.calls.length).toBe(before);
  });

  it('shows a refused Start stream with the OS error and keeps the allocation and its contents', async () => {
    const api = await renderApp();
    await allocate('16K');
    api.failNext.startStream = {
      operation: 'startStream',
      kind: 'invalid-parameter',
      message: 'Start stream failed: the driver refused the rate or batch, or the allocation is a single page (streaming needs two) (EINVAL, 22).',
      osName: 'EINVAL',
      osCode: 22,
      hint: 'Choose a rate of 1 to 100000000 records/s, and allocate at least two pages',
    };
    fireEvent.click(button('Start stream'));
    const alert = await screen.findByRole('alert');
    expect(within(alert).getByText(/^Start stream failed: the driver refused the rate or batch/)).toBeTruthy();
    expect(within(alert).getByText('EINVAL 22')).toBeTruthy();
    expect(within(alert).getByText(/Choose a rate of 1 to 100000000 records\/s/)).toBeTruthy();
    expect(within(statusRegion()).getByText('Allocated')).toBeTruthy();
    expect(Array.from(api.memory?.subarray(0, 10) ?? [])).toEqual(SEED_VALUES);
    expect(button('Start stream')).toHaveProperty('disabled', false);
  });

  it('shows a push that failed its schema instead of dropping it silently', async () => {
    const api = await renderApp();
    act(() =>
      api.push('streamUpdate', {
        ok: false,
        error: { operation: 'streamUpdate', kind: 'invalid-push', message: 'The app sent a malformed streamUpdate update: records: too small' },
      }),
    );
    expect(screen.getByText('The app sent a malformed streamUpdate update: records: too small')).toBeTruthy();
  });

  it('draws the plot on a canvas named Live signal (a fallback where the page cannot draw)', async () => {
    await renderApp();
    // jsdom has no canvas drawing: the window says so on the same named canvas.
    const plot = await screen.findByRole('img', { name: 'Live signal' });
    expect(plot.tagName).toBe('CANVAS');
  });
});

describe('live state from other windows', () => {
  it('takes a pushed allocation and release without being asked', async () => {
    const api = await renderApp();
    const callsBefore = api.calls.length;
    // Another window allocates: the service pushes the new status here.
    await api.allocate({ size: 8192 });
    act(() => api.push('stateChanged', { ok: true, value: { change: 'allocated', status: api.status() } }));
    expect(within(statusRegion()).getByText('Allocated')).toBeTruthy();
    expect(button('Release memory')).toHaveProperty('disabled', false);
    expect(button('Start stream')).toHaveProperty('disabled', false);
    await api.release({});
    act(() => api.push('stateChanged', { ok: true, value: { change: 'released', status: api.status() } }));
    expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy();
    expect(button('Allocate memory')).toHaveProperty('disabled', false);
    // Only the two calls this test made as "the other window": this window asked for no state,
    // only (its inspector) the rows of the mapping that appeared.
    const since = api.calls.slice(callsBefore);
    expect(since.filter((c) => c.name !== 'readValues').map((c) => c.name)).toEqual(['allocate', 'release']);
    expect(since.filter((c) => c.name === 'readValues').length).toBeLessThanOrEqual(1);
  });
});
