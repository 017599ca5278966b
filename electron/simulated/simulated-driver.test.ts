// The simulated driver against CONTRACT.md section 3, row by row, in both
// flavours: the same table must come out as Linux errno and as Win32 errors.
import { describe, expect, it } from 'vitest';
import { LINUX_IOCTL, SEED_VALUES, STRUCT_SIZE, WINDOWS_IOCTL } from '../../api/device.js';
import { createSimulatedBackend } from './simulated-backend.js';
import { SimulatedDriver } from './simulated-driver.js';
import { caughtDeviceError } from '../backends/caught-device-error.js';
import { expectRowFor } from './expected-os-errors.js';

const MiB = 1024 * 1024;


const allocateBytes = (size: bigint): Uint8Array => {
  const bytes = new Uint8Array(STRUCT_SIZE.allocate);
  new DataView(bytes.buffer).setBigUint64(0, size, true);
  return bytes;
};

const inspectBytes = (offset: bigint, count: number, reserved = 0): Uint8Array => {
  const bytes = new Uint8Array(STRUCT_SIZE.inspect);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, offset, true);
  view.setUint32(8, count, true);
  view.setUint32(12, reserved, true);
  return bytes;
};

describe.each(['linux', 'windows'] as const)('simulated driver, %s flavour', (flavour) => {
  const codes = flavour === 'linux' ? LINUX_IOCTL : WINDOWS_IOCTL;
  const expectRow = expectRowFor(flavour);
  const setup = (options: { maxSize?: number; totalCap?: number } = {}) => {
    const backend = createSimulatedBackend({ flavour, ...options });
    return { backend, driver: backend.driver };
  };

  describe('ALLOCATE', () => {
    it('rounds up to whole pages, zero-fills and seeds 10..1', () => {
      const { backend } = setup();
      const handle = backend.open();
      const a = handle.allocate(5000);
      expect(a.requestedSize).toBe(5000);
      expect(a.mappedSize).toBe(8192);
      expect(a.userAddress).toBeGreaterThan(0n);
      expect(Array.from(handle.readValues(0, 10))).toEqual(SEED_VALUES);
      const rest = handle.readValues(20, (8192 - 20) / 2);
      expect(rest.every((v) => v === 0)).toBe(true);
      const info = handle.query();
      expect(info).toMatchObject({ abiVersion: 1, driverVersion: 0x10001, pageSize: 4096, maxSize: 64 * MiB, features: 1 });
      expect(info.totalBytes).toBe(8192);
      expect(info.allocations).toBe(1);
    });

    it.each([
      [1, 4096],
      [4096, 4096],
      [4097, 8192],
      [64 * MiB, 64 * MiB],
    ])('size %i maps %i bytes', (size, mapped) => {
      const { backend } = setup();
      expect(backend.open().allocate(size).mappedSize).toBe(mapped);
    });

    it.each([0, 64 * MiB + 1])('size %i is an invalid parameter and changes nothing', (size) => {
      const { backend, driver } = setup();
      const handle = backend.open();
      expectRow(caughtDeviceError(() => handle.allocate(size)), 'invalid-parameter');
      expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
      expect(handle.allocate(4096).mappedSize).toBe(4096); // the handle still works
    });

    it('refuses a second allocation on the same handle and keeps the first', () => {
      const { backend, driver } = setup();
      const handle = backend.open();
      handle.allocate(4096);
      handle.writeValues(0, [42]);
      expectRow(caughtDeviceError(() => handle.allocate(4096)), 'busy');
      expect(handle.readValues(0, 1)[0]).toBe(42);
      expect(driver.totals).toEqual({ totalBytes: 4096, allocations: 1 });
    });

    it('checks parameters before state: size 0 while one is held is invalid, not busy', () => {
      const { backend } = setup();
      const handle = backend.open();
      handle.allocate(1);
      expectRow(caughtDeviceError(() => handle.allocate(0)), 'invalid-parameter');
    });

    it('fails cleanly at the global cap, across handles', () => {
      const { backend, driver } = setup({ maxSize: 8 * MiB, totalCap: 16 * MiB });
      const a = backend.open();
      const b = backend.open();
      const c = backend.open();
      a.allocate(8 * MiB);
      b.allocate(8 * MiB);
      expectRow(caughtDeviceError(() => c.allocate(1)), 'no-resources');
      expect(driver.totals).toEqual({ totalBytes: 16 * MiB, allocations: 2 });
      a.release();
      expect(c.allocate(1).mappedSize).toBe(4096);
    });

    it('checks buffer sizes first, before parameters and state', () => {
      const { driver } = setup();
      const file = driver.open();
      const short = new Uint8Array(STRUCT_SIZE.allocate - 1);
      const ok = allocateBytes(0n); // size 0 would be EINVAL, but the buffer is checked first
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, short, new Uint8Array(STRUCT_SIZE.allocate))), 'buffer-too-small');
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, ok, short)), 'buffer-too-small');
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, null, null)), 'buffer-too-small');
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, ok, new Uint8Array(STRUCT_SIZE.allocate))), 'invalid-parameter');
      expect(driver.totals.allocations).toBe(0);
    });

    it('returns the address from ALLOCATE on Windows only; Linux maps with mmap', () => {
      const { driver } = setup();
      const file = driver.open();
      const out = new Uint8Array(STRUCT_SIZE.allocate);
      file.ioctl(codes.ALLOCATE, allocateBytes(100n), out);
      const view = new DataView(out.buffer);
      expect(view.getBigUint64(16, true)).toBe(4096n);
      if (flavour === 'windows') {
        expect(view.getBigUint64(8, true)).toBe(file.userAddress);
      } else {
        expect(view.getBigUint64(8, true)).toBe(0n);
        expect(driver.mappedMemory(file.userAddress)).toBeNull();
        const address = file.mmap(4096, 0, true);
        expect(driver.mappedMemory(address)?.byteLength).toBe(4096);
      }
    });
  });

  describe('QUERY', () => {
    it('needs a full shm_device_info buffer', () => {
      const { driver } = setup();
      const file = driver.open();
      expectRow(caughtDeviceError(() => file.ioctl(codes.QUERY, null, new Uint8Array(STRUCT_SIZE.deviceInfo - 1))), 'buffer-too-small');
      expect(file.ioctl(codes.QUERY, null, new Uint8Array(STRUCT_SIZE.deviceInfo))).toBe(STRUCT_SIZE.deviceInfo);
    });
  });

  describe('INSPECT', () => {
    it('reads what user mode wrote through the mapping, in chunks up to 64', () => {
      const { backend } = setup();
      const handle = backend.open();
      handle.allocate(4096);
      handle.writeValues(100, [1, 2, 0xffff]);
      expect(Array.from(handle.inspect(98, 5))).toEqual([0, 1, 2, 0xffff, 0]);
      expect(handle.inspect(4096 - 128, 64)).toHaveLength(64);
      expect(Array.from(handle.inspect(0, 10))).toEqual(SEED_VALUES);
    });

    it.each([
      ['odd offset', 1, 1],
      ['count 0', 0, 0],
      ['count 65', 0, 65],
      ['range past the end', 4096 - 2, 2],
      ['offset past the end', 8192, 1],
    ])('%s is an invalid parameter', (_label, offset, count) => {
      const { backend } = setup();
      const handle = backend.open();
      handle.allocate(4096);
      expectRow(caughtDeviceError(() => handle.inspect(offset, count)), 'invalid-parameter');
    });

    it('with nothing allocated is "nothing allocated", but parameters are checked first', () => {
      const { backend } = setup();
      const handle = backend.open();
      expectRow(caughtDeviceError(() => handle.inspect(0, 1)), 'nothing-allocated');
      // CONTRACT.md: INSPECT with count 0 and nothing allocated is EINVAL / 87.
      expectRow(caughtDeviceError(() => handle.inspect(0, 0)), 'invalid-parameter');
      expectRow(caughtDeviceError(() => handle.inspect(1, 1)), 'invalid-parameter');
    });

    it.each([1, 0x8000_0000, 0xffff_ffff])('with reserved %i is an invalid parameter, before the state is looked at', (reserved) => {
      const { driver } = setup();
      const file = driver.open();
      const reply = new Uint8Array(STRUCT_SIZE.inspect);
      expectRow(caughtDeviceError(() => file.ioctl(codes.INSPECT, inspectBytes(0n, 1, reserved), reply)), 'invalid-parameter');
      file.ioctl(codes.ALLOCATE, allocateBytes(4096n), new Uint8Array(STRUCT_SIZE.allocate));
      expectRow(caughtDeviceError(() => file.ioctl(codes.INSPECT, inspectBytes(0n, 1, reserved), reply)), 'invalid-parameter');
      expect(file.ioctl(codes.INSPECT, inspectBytes(0n, 1), reply)).toBe(STRUCT_SIZE.inspect);
      expect(new DataView(reply.buffer).getUint16(16, true)).toBe(SEED_VALUES[0]);
    });

    it('needs full shm_inspect buffers, checked before parameters', () => {
      const { driver } = setup();
      const file = driver.open();
      const full = new Uint8Array(STRUCT_SIZE.inspect);
      const short = new Uint8Array(STRUCT_SIZE.inspect - 1);
      expectRow(caughtDeviceError(() => file.ioctl(codes.INSPECT, short, full)), 'buffer-too-small');
      expectRow(caughtDeviceError(() => file.ioctl(codes.INSPECT, inspectBytes(0n, 0), short)), 'buffer-too-small');
    });
  });

  describe.each(['read-only', 'write-only'] as const)('a %s handle', (access) => {
    it('gets ALLOCATE and RELEASE refused before any other check, and nothing changes', () => {
      const { driver } = setup();
      const file = driver.open(access);
      const out = new Uint8Array(STRUCT_SIZE.allocate);
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, allocateBytes(4096n), out)), 'access-denied');
      // Not the buffer row, the parameter row or the state row: access comes first.
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, null, null)), 'access-denied');
      expectRow(caughtDeviceError(() => file.ioctl(codes.ALLOCATE, allocateBytes(0n), out)), 'access-denied');
      expectRow(caughtDeviceError(() => file.ioctl(codes.RELEASE, null, null)), 'access-denied');
      expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
    });

    it('still answers QUERY and INSPECT', () => {
      const { driver } = setup();
      const file = driver.open(access);
      expect(file.ioctl(codes.QUERY, null, new Uint8Array(STRUCT_SIZE.deviceInfo))).toBe(STRUCT_SIZE.deviceInfo);
      expectRow(caughtDeviceError(() => file.ioctl(codes.INSPECT, inspectBytes(0n, 1), new Uint8Array(STRUCT_SIZE.inspect))), 'nothing-allocated');
    });

    it('carries the real backend\'s hint', () => {
      const { driver } = setup();
      const error = caughtDeviceError(() => driver.open(access).ioctl(codes.RELEASE, null, null));
      expect(error.hint).toMatch(flavour === 'linux' ? /reading and writing \(O_RDWR\)/ : /sc query SharedMemory/);
    });
  });

  describe('RELEASE and close', () => {
    it('RELEASE with nothing allocated is "nothing allocated"', () => {
      const { backend } = setup();
      expectRow(caughtDeviceError(() => backend.open().release()), 'nothing-allocated');
    });

    it('RELEASE frees the pages and totals return to zero; a new ALLOCATE works', () => {
      const { backend, driver } = setup();
      const handle = backend.open();
      handle.allocate(3 * 4096);
      handle.release();
      expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
      expectRow(caughtDeviceError(() => handle.readValues(0, 1)), 'nothing-allocated');
      const again = handle.allocate(10);
      expect(Array.from(handle.readValues(0, 10))).toEqual(SEED_VALUES); // fresh pages, seeded again
      expect(again.mappedSize).toBe(4096);
    });

    it('closing a handle frees its allocation; close is idempotent; a closed handle refuses', () => {
      const { backend, driver } = setup();
      const a = backend.open();
      const b = backend.open();
      a.allocate(4096);
      b.allocate(8192);
      a.close();
      a.close();
      expect(driver.totals).toEqual({ totalBytes: 8192, allocations: 1 });
      b.close();
      expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
      expect(caughtDeviceError(() => a.allocate(1)).kind).toBe('handle-closed');
    });
  });

  it('keeps handles independent: own allocation, own contents, own address', () => {
    const { backend, driver } = setup();
    const a = backend.open();
    const b = backend.open();
    const aa = a.allocate(4096);
    const bb = b.allocate(4096);
    expect(aa.userAddress).not.toBe(bb.userAddress);
    a.writeValues(0, [111]);
    expect(b.readValues(0, 1)[0]).toBe(10);
    expect(b.inspect(0, 1)[0]).toBe(10);
    a.release();
    expect(Array.from(b.readValues(0, 10))).toEqual(SEED_VALUES);
    expect(driver.totals).toEqual({ totalBytes: 4096, allocations: 1 });
    expect(a.query().allocations).toBe(1); // QUERY counts all handles
  });

  it('answers an unknown control code with "unknown request" before any other check', () => {
    const { driver } = setup();
    const file = driver.open();
    const unknown = flavour === 'linux' ? 0xc0185309 : 0x8000e020;
    expectRow(caughtDeviceError(() => file.ioctl(unknown, null, null)), 'unknown-request');
  });

  it('gives a stable user address per handle across allocations', () => {
    const { backend } = setup();
    const handle = backend.open();
    const first = handle.allocate(1).userAddress;
    handle.release();
    expect(handle.allocate(1).userAddress).toBe(first);
    expect(createSimulatedBackend({ flavour }).open().allocate(1).userAddress).toBe(first);
  });

  describe('the copy path (read / ReadFile)', () => {
    it('copies at a byte offset and is short at the end', () => {
      const { backend } = setup();
      const handle = backend.open();
      handle.allocate(4096);
      expect(Array.from(handle.readCopy(0, 4))).toEqual([10, 0, 9, 0]);
      expect(handle.readCopy(4090, 100)).toHaveLength(6);
    });

    it('with nothing allocated is "nothing allocated"', () => {
      const { backend } = setup();
      expectRow(caughtDeviceError(() => backend.open().readCopy(0, 2)), 'nothing-allocated');
    });

    it(`at or past the end: ${flavour === 'linux' ? '0 bytes' : 'ERROR_HANDLE_EOF (38)'}`, () => {
      const { backend } = setup();
      const handle = backend.open();
      handle.allocate(4096);
      if (flavour === 'linux') {
        expect(handle.readCopy(4096, 2)).toHaveLength(0);
      } else {
        const error = caughtDeviceError(() => handle.readCopy(4096, 2));
        expect([error.osName, error.osCode]).toEqual(['ERROR_HANDLE_EOF', 38]);
      }
    });
  });
});

describe('simulated driver, Linux mmap rules', () => {
  const setup = () => {
    const driver = new SimulatedDriver({ flavour: 'linux' });
    const file = driver.open();
    file.ioctl(LINUX_IOCTL.ALLOCATE, allocateBytes(4096n), new Uint8Array(STRUCT_SIZE.allocate));
    return { driver, file };
  };

  it.each([
    ['offset other than 0', 4096, 4096, true],
    ['longer than mapped_size', 8192, 0, true],
    ['MAP_PRIVATE', 4096, 0, false],
  ])('%s is EINVAL', (_label, length, offset, shared) => {
    const { file } = setup();
    const error = caughtDeviceError(() => file.mmap(length, offset, shared));
    expect([error.operation, error.osName, error.osCode]).toEqual(['map', 'EINVAL', 22]);
  });

  it('shorter than mapped_size is fine; nothing allocated or released is EINVAL', () => {
    const { driver, file } = setup();
    expect(file.mmap(2048, 0, true)).toBeGreaterThan(0n);
    const fresh = driver.open();
    expect(caughtDeviceError(() => fresh.mmap(4096, 0, true)).osName).toBe('EINVAL');
    file.ioctl(LINUX_IOCTL.RELEASE, null, null);
    expect(caughtDeviceError(() => file.mmap(4096, 0, true)).osName).toBe('EINVAL');
  });

  it('a mapping keeps released (or closed) pages alive, counted, until munmap', () => {
    const { driver, file } = setup();
    const address = file.mmap(4096, 0, true);
    file.ioctl(LINUX_IOCTL.RELEASE, null, null);
    expect(driver.totals).toEqual({ totalBytes: 4096, allocations: 1 });
    expect(driver.mappedMemory(address)).not.toBeNull();
    file.munmap(address);
    expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });

    const other = driver.open();
    other.ioctl(LINUX_IOCTL.ALLOCATE, allocateBytes(1n), new Uint8Array(STRUCT_SIZE.allocate));
    const mapped = other.mmap(4096, 0, true);
    other.close();
    expect(driver.totals.allocations).toBe(1);
    other.munmap(mapped);
    expect(driver.totals).toEqual({ totalBytes: 0, allocations: 0 });
  });
});
