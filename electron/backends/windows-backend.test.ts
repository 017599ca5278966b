// The Windows backend's own logic, with kernel32 replaced by a scripted fake:
// which Win32 error becomes which DeviceError, the struct layouts on the wire,
// INSPECT split into driver-sized calls, the copy path's end of file, and the
// checks that keep the app from touching memory outside its mapping.
// (The same backend runs against the real driver under Wine: e2e/wine/.)
import { describe, expect, it } from 'vitest';
import { SHM_INSPECT_MAX, STRUCT_SIZE, WINDOWS_IOCTL } from '../../api/device.js';
import { DeviceError } from './device-backend.js';
import { createWindowsBackend } from './windows-backend.js';
import { win32Error } from './windows-errors.js';
import { decodeAllocate, decodeDeviceInfo, encodeAllocate, encodeInspect } from './windows-ioctl-structs.js';
import type { Kernel32, Win32Result } from './windows-kernel32.js';

interface Call {
  code: number;
  input: Uint8Array | null;
  outputLength: number;
}

/** A fake kernel32 whose DeviceIoControl answers come from `answer`. */
function fakeKernel32(
  answer: (call: Call, output: Uint8Array | null) => Win32Result<number>,
  overrides: Partial<Kernel32> = {},
): { k32: Kernel32; calls: Call[]; memory: Map<bigint, number>; closed: bigint[] } {
  const calls: Call[] = [];
  const memory = new Map<bigint, number>();
  const closed: bigint[] = [];
  const k32: Kernel32 = {
    createFile: () => ({ ok: true, value: 0x40n }),
    deviceIoControl: (_handle, code, input, output) => {
      const call = { code, input: input && Uint8Array.from(input), outputLength: output?.length ?? 0 };
      calls.push(call);
      return answer(call, output);
    },
    readFile: () => ({ ok: false, error: 38 }),
    closeHandle: (handle) => {
      closed.push(handle);
      return { ok: true, value: undefined };
    },
    readU16: (address, byteOffset, count) =>
      Uint16Array.from({ length: count }, (_, i) => memory.get(address + BigInt(byteOffset + 2 * i)) ?? 0),
    writeU16: (address, byteOffset, values) =>
      values.forEach((v, i) => memory.set(address + BigInt(byteOffset + 2 * i), v)),
    createAutoResetEvent: () => ({ ok: true, value: 0x88n }),
    waitAsync: () => Promise.resolve(),
    loadAcquireU64: () => 0,
    loadAcquireU32: () => 0,
    storeReleaseU64: () => undefined,
    copyOut: () => undefined,
    ...overrides,
  };
  return { k32, calls, memory, closed };
}

const ok = (value = 0): Win32Result<number> => ({ ok: true, value });
const fail = (error: number): Win32Result<number> => ({ ok: false, error });

/** Answers ALLOCATE with an address and a page-rounded size. */
function allocatingDriver(address: bigint) {
  return (call: Call, output: Uint8Array | null): Win32Result<number> => {
    if (call.code === WINDOWS_IOCTL.ALLOCATE && output) {
      const view = new DataView(output.buffer, output.byteOffset);
      const size = view.getBigUint64(0, true);
      view.setBigUint64(8, address, true);
      view.setBigUint64(16, ((size + 4095n) / 4096n) * 4096n, true);
      return ok(STRUCT_SIZE.allocate);
    }
    return ok();
  };
}

describe('Win32 errors', () => {
  it.each([
    ['open', 2, 'not-installed', 'ERROR_FILE_NOT_FOUND'],
    ['open', 3, 'not-installed', 'ERROR_PATH_NOT_FOUND'],
    ['open', 5, 'access-denied', 'ERROR_ACCESS_DENIED'],
    ['allocate', 170, 'busy', 'ERROR_BUSY'],
    ['allocate', 1450, 'no-resources', 'ERROR_NO_SYSTEM_RESOURCES'],
    ['allocate', 87, 'invalid-parameter', 'ERROR_INVALID_PARAMETER'],
    ['query', 122, 'buffer-too-small', 'ERROR_INSUFFICIENT_BUFFER'],
    ['release', 22, 'nothing-allocated', 'ERROR_BAD_COMMAND'],
    ['inspect', 1, 'unknown-request', 'ERROR_INVALID_FUNCTION'],
    ['query', 6, 'handle-closed', 'ERROR_INVALID_HANDLE'],
    ['query', 1234, 'os-error', 'Win32 error 1234'],
  ] as const)('%s, error %i -> %s', (operation, code, kind, name) => {
    const error = win32Error(operation, code);
    expect(error).toBeInstanceOf(DeviceError);
    expect(error.kind).toBe(kind);
    expect(error.osName).toBe(name);
    expect(error.osCode).toBe(code);
  });

  it('tells the user to run as administrator only when the open is denied', () => {
    expect(win32Error('open', 5).hint).toMatch(/administrator/);
    expect(win32Error('allocate', 5).hint).not.toMatch(/administrator/);
    expect(win32Error('allocate', 5).hint).toMatch(/sc query SharedMemory/);
  });

  it('says how to install and start the driver when it is missing', () => {
    const error = win32Error('open', 2);
    expect(error.message).toMatch(/not installed or not running/);
    expect(error.hint).toMatch(/sc start SharedMemory/);
  });
});

describe('struct layouts', () => {
  it('decodes shm_device_info at the header offsets', () => {
    const bytes = new Uint8Array(STRUCT_SIZE.deviceInfo);
    const view = new DataView(bytes.buffer);
    view.setUint32(0, 1, true);
    view.setUint32(4, 0x10000, true);
    view.setBigUint64(8, 4096n, true);
    view.setBigUint64(16, 64n << 20n, true);
    view.setBigUint64(24, 8192n, true);
    view.setUint32(32, 2, true);
    view.setUint32(36, 1, true);
    expect(decodeDeviceInfo(bytes)).toEqual({
      abiVersion: 1,
      driverVersion: 0x10000,
      pageSize: 4096,
      maxSize: 64 << 20,
      totalBytes: 8192,
      allocations: 2,
      features: 1,
    });
  });

  it('refuses a u64 that does not fit a JavaScript number', () => {
    const bytes = new Uint8Array(STRUCT_SIZE.deviceInfo);
    new DataView(bytes.buffer).setBigUint64(24, 1n << 60n, true);
    expect(() => decodeDeviceInfo(bytes)).toThrow(/total_bytes/);
  });

  it('encodes ALLOCATE and INSPECT requests', () => {
    const allocate = encodeAllocate(5000);
    expect(allocate.length).toBe(24);
    expect(new DataView(allocate.buffer).getBigUint64(0, true)).toBe(5000n);
    const inspect = encodeInspect(40, 3);
    expect(inspect.length).toBe(144);
    expect(new DataView(inspect.buffer).getBigUint64(0, true)).toBe(40n);
    expect(new DataView(inspect.buffer).getUint32(8, true)).toBe(3);
    const out = new Uint8Array(24);
    new DataView(out.buffer).setBigUint64(8, 0x7ff0_0000_0000n, true);
    new DataView(out.buffer).setBigUint64(16, 8192n, true);
    expect(decodeAllocate(out)).toEqual({ userAddress: 0x7ff0_0000_0000n, mappedSize: 8192 });
  });
});

describe('the Windows backend', () => {
  it('maps a failed open to not-installed (importing the module loaded no DLL: this runs on Linux)', () => {
    const { k32 } = fakeKernel32(() => ok(), { createFile: () => ({ ok: false, error: 2 }) });
    const backend = createWindowsBackend({ kernel32: () => k32 });
    expect(backend.kind).toBe('windows');
    expect(() => backend.open()).toThrow(expect.objectContaining({ kind: 'not-installed', osCode: 2 }) as Error);
  });

  it('allocates, then reads and writes through the returned address by copying', () => {
    const { k32, calls } = fakeKernel32(allocatingDriver(0x10000n));
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    const allocation = handle.allocate(5000);
    expect(allocation).toEqual({ userAddress: 0x10000n, requestedSize: 5000, mappedSize: 8192 });
    expect(calls[0]?.code).toBe(WINDOWS_IOCTL.ALLOCATE);
    expect(calls[0]?.input?.length).toBe(24);
    handle.writeValues(8190, [0xbeef]);
    expect(Array.from(handle.readValues(8190, 1))).toEqual([0xbeef]);
  });

  it('refuses reads and writes outside the mapping before touching memory', () => {
    const touched: string[] = [];
    const { k32 } = fakeKernel32(allocatingDriver(0x10000n), {
      readU16: () => {
        touched.push('read');
        return new Uint16Array(0);
      },
      writeU16: () => void touched.push('write'),
    });
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    expect(() => handle.readValues(0, 1)).toThrow(expect.objectContaining({ kind: 'nothing-allocated' }) as Error);
    handle.allocate(4096);
    expect(() => handle.readValues(4094, 2)).toThrow(/run past the 4096 mapped bytes/);
    expect(() => handle.readValues(1, 1)).toThrow(/even/);
    expect(() => handle.writeValues(0, [70000])).toThrow(/not a u16/);
    expect(() => handle.writeValues(4096, [1])).toThrow(expect.objectContaining({ kind: 'invalid-parameter' }) as Error);
    expect(touched).toEqual([]);
  });

  it('splits a long INSPECT into calls of at most SHM_INSPECT_MAX values', () => {
    const { k32, calls } = fakeKernel32((call, output) => {
      if (call.code === WINDOWS_IOCTL.INSPECT && output && call.input) {
        const input = new DataView(call.input.buffer);
        const offset = Number(input.getBigUint64(0, true));
        const count = input.getUint32(8, true);
        const view = new DataView(output.buffer, output.byteOffset);
        for (let i = 0; i < count; i++) view.setUint16(16 + 2 * i, (offset / 2 + i) & 0xffff, true);
        return ok(STRUCT_SIZE.inspect);
      }
      return ok();
    });
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    const values = handle.inspect(10, 150);
    expect(calls.map((c) => new DataView(c.input!.buffer).getUint32(8, true))).toEqual([SHM_INSPECT_MAX, SHM_INSPECT_MAX, 22]);
    expect(Array.from(values)).toEqual(Array.from({ length: 150 }, (_, i) => 5 + i));
  });

  it('passes INSPECT count 0 to the driver, which rejects it', () => {
    const { k32, calls } = fakeKernel32(() => fail(87));
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    expect(() => handle.inspect(0, 0)).toThrow(expect.objectContaining({ kind: 'invalid-parameter', osCode: 87 }) as Error);
    expect(calls).toHaveLength(1);
  });

  it('reads the copy path to the end of the allocation and stops at ERROR_HANDLE_EOF', () => {
    const reads: number[] = [];
    const { k32 } = fakeKernel32(() => ok(), {
      readFile: (_handle, into, offset) => {
        reads.push(offset);
        if (offset >= 8) return { ok: false, error: 38 };
        into.fill(7, 0, 8 - offset);
        return { ok: true, value: 8 - offset };
      },
    });
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    expect(Array.from(handle.readCopy(4, 16))).toEqual([7, 7, 7, 7]);
    expect(handle.readCopy(8, 16).length).toBe(0);
    expect(reads).toEqual([4, 8]);
  });

  it('keeps the driver\'s busy and no-resources answers', () => {
    const { k32 } = fakeKernel32((call) => (call.code === WINDOWS_IOCTL.ALLOCATE ? fail(170) : ok()));
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    expect(() => handle.allocate(4096)).toThrow(expect.objectContaining({ kind: 'busy', osCode: 170 }) as Error);
    const capped = fakeKernel32(() => fail(1450));
    expect(() => createWindowsBackend({ kernel32: () => capped.k32 }).open().allocate(4096)).toThrow(
      expect.objectContaining({ kind: 'no-resources', osCode: 1450 }) as Error,
    );
  });

  it('forgets the mapping on release, and closes once', () => {
    const { k32, closed } = fakeKernel32(allocatingDriver(0x20000n));
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    handle.allocate(4096);
    handle.release();
    expect(() => handle.readValues(0, 1)).toThrow(expect.objectContaining({ kind: 'nothing-allocated' }) as Error);
    handle.close();
    handle.close();
    expect(closed).toEqual([0x40n]);
    expect(() => handle.query()).toThrow(expect.objectContaining({ kind: 'handle-closed' }) as Error);
  });
});

describe('streaming (CONTRACT.md 5, until the driver streams under Wine)', () => {
  /** Answers ALLOCATE, and STREAM_START with a ring of 128 records after the first page. */
  const streamingDriver = (startError: number | null) => (call: Call, output: Uint8Array | null): Win32Result<number> => {
    if (call.code === WINDOWS_IOCTL.STREAM_START) {
      if (startError !== null) return fail(startError);
      if (!output) return fail(122);
      const view = new DataView(output.buffer, output.byteOffset);
      view.setUint32(16, 128, true);
      view.setUint32(20, 32, true);
      view.setBigUint64(24, 4096n, true);
      return ok(32);
    }
    return allocatingDriver(0x20000n)(call, output);
  };

  it('passes an auto-reset event in event_handle, waits on it, and reads the ring at the mapping', async () => {
    const reads: bigint[] = [];
    const waits: bigint[] = [];
    const stores: [bigint, number][] = [];
    const { k32, calls, closed } = fakeKernel32(streamingDriver(null), {
      createAutoResetEvent: () => ({ ok: true, value: 0x1f0n }),
      waitAsync: (event) => {
        waits.push(event);
        return Promise.resolve();
      },
      loadAcquireU64: (address) => {
        reads.push(address);
        return 7;
      },
      storeReleaseU64: (address, value) => void stores.push([address, value]),
    });
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    handle.allocate(8192);
    const channel = handle.startStream(1000, 50);
    const start = calls.find((c) => c.code === WINDOWS_IOCTL.STREAM_START);
    const request = new DataView(start!.input!.buffer);
    expect([request.getUint32(0, true), request.getUint32(4, true), request.getBigUint64(8, true)]).toEqual([1000, 50, 0x1f0n]);
    expect(start?.outputLength).toBe(32);
    expect(channel.ring.capacity).toBe(128);
    expect(channel.ring.dataOffset).toBe(4096);
    await channel.wait(100);
    expect(waits).toEqual([0x1f0n]);
    // head at +64 and tail at +128 of the user mapping ALLOCATE returned.
    expect(channel.ring.loadHead()).toBe(7);
    expect(reads).toEqual([0x20000n + 64n]);
    channel.ring.storeTail(5);
    expect(stores).toEqual([[0x20000n + 128n, 5]]);
    channel.close();
    channel.close();
    expect(closed.filter((h) => h === 0x1f0n)).toHaveLength(1);
    handle.stopStream();
    expect(calls.at(-1)?.code).toBe(WINDOWS_IOCTL.STREAM_STOP);
  });

  it.each([
    [87, 'invalid-parameter', /the rate or batch, or the allocation is a single page/],
    [6, 'handle-closed', /wake-up event was not an event this process may signal/],
    [5, 'access-denied', /wake-up event may not be signalled/],
    [1, 'unknown-request', /does not know STREAM_START/],
    [170, 'busy', /a stream already exists on this allocation/],
    [22, 'nothing-allocated', /nothing is allocated/],
  ] as const)('a refused STREAM_START (%i) is %s, says what failed, and closes the event', (code, kind, meaning) => {
    const { k32, closed } = fakeKernel32(streamingDriver(code), { createAutoResetEvent: () => ({ ok: true, value: 0x2f0n }) });
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    handle.allocate(8192);
    let error: unknown = null;
    try {
      handle.startStream(1000, 50);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DeviceError);
    const e = error as DeviceError;
    expect(e.kind).toBe(kind);
    expect(e.osCode).toBe(code);
    expect(e.message).toMatch(meaning);
    expect(e.hint).not.toBe('');
    expect(closed).toContain(0x2f0n);
  });

  it('reports a failed CreateEventW before asking the driver', () => {
    const { k32, calls } = fakeKernel32(streamingDriver(null), { createAutoResetEvent: () => ({ ok: false, error: 1450 }) });
    const handle = createWindowsBackend({ kernel32: () => k32 }).open();
    handle.allocate(8192);
    expect(() => handle.startStream(1000, 50)).toThrow(expect.objectContaining({ kind: 'no-resources', osCode: 1450 }) as Error);
    expect(calls.some((c) => c.code === WINDOWS_IOCTL.STREAM_START)).toBe(false);
  });
});
