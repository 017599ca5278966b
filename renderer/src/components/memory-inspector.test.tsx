// @vitest-environment jsdom
// The inspector in the window, against the in-memory API: rows, types and
// radix, paging and jumping in a 64 MiB mapping without rendering it, edits
// through writeValues, Watch's highlights. (Playwright covers it in Chromium.)
import { act, cleanup, configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { App } from '../app.js';
import { createFakeApi, type FakeApi } from '../testing/fake-shared-memory-api.js';

configure({ asyncUtilTimeout: 5000 });
afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

const inspector = () => screen.getByRole('region', { name: 'Memory inspector' });
const grid = () => within(inspector()).getByRole('grid', { name: 'Hex dump' });
const rowTexts = () => within(grid()).getAllByRole('row').slice(1).map((r) => r.textContent ?? '');
const statusRegion = () => screen.getByRole('status', { name: 'Status' });

async function allocated(size = '4096'): Promise<FakeApi> {
  const api = createFakeApi();
  render(<App api={api} transport="web-socket" />);
  await waitFor(() => expect(within(statusRegion()).getByText('Not allocated')).toBeTruthy());
  fireEvent.change(screen.getByLabelText('Size (bytes)'), { target: { value: size } });
  fireEvent.click(screen.getByRole('button', { name: 'Allocate memory' }));
  await waitFor(() => expect(rowTexts().length).toBeGreaterThan(0));
  return api;
}

describe('the memory inspector', () => {
  it('shows 16 bytes a row with offsets and ASCII, as u8 hex first', async () => {
    await allocated();
    const rows = rowTexts();
    expect(rows.length).toBe(16);
    const first = within(grid()).getAllByRole('row')[1]!;
    expect(within(first).getByRole('rowheader').textContent).toBe('00000000');
    expect(within(first).getAllByRole('gridcell').map((c) => c.textContent)).toEqual(
      ['0a', '00', '09', '00', '08', '00', '07', '00', '06', '00', '05', '00', '04', '00', '03', '00'],
    );
    expect(rows[0]?.endsWith('................')).toBe(true);
    expect(rows[15]?.startsWith('000000f0')).toBe(true);
  });

  it('switches type and radix', async () => {
    await allocated();
    fireEvent.change(within(inspector()).getByLabelText('Value type'), { target: { value: 'u16' } });
    fireEvent.change(within(inspector()).getByLabelText('Number base'), { target: { value: 'dec' } });
    const cells = within(grid()).getAllByRole('gridcell').slice(0, 8).map((c) => c.textContent?.trim());
    expect(cells).toEqual(['10', '9', '8', '7', '6', '5', '4', '3']);
    fireEvent.change(within(inspector()).getByLabelText('Value type'), { target: { value: 'u32' } });
    fireEvent.change(within(inspector()).getByLabelText('Number base'), { target: { value: 'hex' } });
    expect(within(grid()).getAllByRole('gridcell')[0]?.textContent).toBe('0009000a');
  });

  it('pages through 64 MiB reading and rendering only 16 rows', async () => {
    const api = await allocated('64M');
    expect(screen.getByTestId('inspector-range').textContent).toBe('0x0–0xff of 67108864 bytes');
    fireEvent.keyDown(grid(), { key: 'End' });
    await waitFor(() => expect(screen.getByTestId('inspector-range').textContent).toBe('0x3ffff00–0x3ffffff of 67108864 bytes'));
    expect(rowTexts().length).toBe(16);
    fireEvent.keyDown(grid(), { key: 'PageUp' });
    await waitFor(() => expect(rowTexts()[0]?.startsWith('03fffe00')).toBe(true));
    const reads = api.calls.filter((c) => c.name === 'readValues') as { request: { count: number } }[];
    expect(Math.max(...reads.map((r) => r.request.count))).toBe(128);
    fireEvent.change(within(inspector()).getByLabelText('Jump to offset'), { target: { value: '0x123457' } });
    fireEvent.click(within(inspector()).getByRole('button', { name: 'Go' }));
    await waitFor(() => expect(rowTexts()[0]?.startsWith('00123450')).toBe(true));
    expect(screen.getByTestId('inspector-selection').textContent).toBe('Selected 0x123457–0x123457 (1 byte)');
    fireEvent.change(within(inspector()).getByLabelText('Jump to offset'), { target: { value: '64M' } });
    fireEvent.click(within(inspector()).getByRole('button', { name: 'Go' }));
    expect(within(inspector()).getByText(/is not an offset/)).toBeTruthy();
  });

  it('selects from the keyboard: Left/Right move, Shift extends, the window follows', async () => {
    await allocated();
    fireEvent.keyDown(grid(), { key: 'ArrowRight' });
    expect(screen.getByTestId('inspector-selection').textContent).toBe('Selected 0x0–0x0 (1 byte)');
    fireEvent.keyDown(grid(), { key: 'ArrowRight' });
    fireEvent.keyDown(grid(), { key: 'ArrowRight', shiftKey: true });
    fireEvent.keyDown(grid(), { key: 'ArrowRight', shiftKey: true });
    expect(screen.getByTestId('inspector-selection').textContent).toBe('Selected 0x1–0x3 (3 bytes)');
    expect(grid().getAttribute('aria-activedescendant')).toMatch(/-cell-3$/);
    fireEvent.keyDown(grid(), { key: 'End' });
    await waitFor(() => expect(rowTexts()[0]?.startsWith('00000f00')).toBe(true));
    fireEvent.keyDown(grid(), { key: 'ArrowLeft' });
    await waitFor(() => expect(rowTexts()[0]?.startsWith('00000000')).toBe(true));
    expect(screen.getByTestId('inspector-selection').textContent).toBe('Selected 0x2–0x2 (1 byte)');
  });

  it('writes an edit through writeValues, keeping the neighbour byte, and refuses a bad value', async () => {
    const api = await allocated();
    fireEvent.click(within(grid()).getAllByRole('gridcell')[1]!);
    const edit = within(inspector()).getByLabelText('New u8 at 0x1');
    fireEvent.change(edit, { target: { value: '1ff' } });
    fireEvent.click(within(inspector()).getByRole('button', { name: 'Write value' }));
    expect(within(inspector()).getByText('A u8 value must be 0..255 (hex up to ff).')).toBeTruthy();
    expect(api.calls.some((c) => c.name === 'writeValues')).toBe(false);
    fireEvent.change(edit, { target: { value: 'ab' } });
    fireEvent.click(within(inspector()).getByRole('button', { name: 'Write value' }));
    await waitFor(() => expect(within(grid()).getAllByRole('gridcell')[1]?.textContent).toBe('ab'));
    expect(api.calls.filter((c) => c.name === 'writeValues')).toEqual([{ name: 'writeValues', request: { offset: 0, values: [0xab0a] } }]);
    expect(within(grid()).getAllByRole('gridcell')[0]?.textContent).toBe('0a');
  });

  it('Watch refreshes at its interval and highlights what changed since the last refresh', async () => {
    const api = await allocated();
    fireEvent.change(within(inspector()).getByLabelText('Watch interval'), { target: { value: '250' } });
    fireEvent.click(within(inspector()).getByLabelText('Watch'));
    const readsBefore = api.calls.filter((c) => c.name === 'readValues').length;
    // Someone else writes (the driver, another window).
    act(() => {
      api.memory?.set([0x1234], 4);
    });
    await waitFor(() => expect(inspector().querySelectorAll('.is-changed').length).toBe(2));
    const changed = [...inspector().querySelectorAll('.is-changed')].map((c) => c.getAttribute('data-offset'));
    expect(changed).toEqual(['8', '9']);
    expect(screen.getByTestId('watch-summary').textContent).toMatch(/Watching every 250 ms: 2 bytes changed/);
    // Nothing more changes: the next refresh clears the highlight.
    await waitFor(() => expect(inspector().querySelectorAll('.is-changed').length).toBe(0));
    expect(api.calls.filter((c) => c.name === 'readValues').length).toBeGreaterThan(readsBefore + 1);
    fireEvent.click(within(inspector()).getByLabelText('Watch'));
    const stopped = api.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(api.calls.length).toBe(stopped);
  });
});
