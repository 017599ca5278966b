// The Linux backend against this machine's real libc (through koffi). The
// module itself is exercised in the VM (driver/linux/tests/); here the device
// path points at nodes whose answers are known: a missing path and /dev/null.
import { describe, expect, it } from 'vitest';
import { createLinuxBackend } from './linux-backend.js';
import { caughtDeviceError } from './caught-device-error.js';

const linuxOnly = process.platform === 'linux' ? describe : describe.skip;

linuxOnly('createLinuxBackend (real libc)', () => {
  it('is the linux kind', () => {
    expect(createLinuxBackend().kind).toBe('linux');
  });

  it('reports a missing device node as not installed, with how to load the module', () => {
    const backend = createLinuxBackend({ devicePath: '/dev/sharedmemory-does-not-exist' });
    const error = caughtDeviceError(() => backend.open());
    expect(error.operation).toBe('open');
    expect(error.kind).toBe('not-installed');
    expect(error.osName).toBe('ENOENT');
    expect(error.hint).toMatch(/insmod|modprobe/);
  });

  it('passes ioctls to the kernel and maps its errno (ENOTTY from /dev/null)', () => {
    const handle = createLinuxBackend({ devicePath: '/dev/null' }).open();
    try {
      const query = caughtDeviceError(() => handle.query());
      expect(query).toMatchObject({ operation: 'query', kind: 'unknown-request', osName: 'ENOTTY' });
      const allocate = caughtDeviceError(() => handle.allocate(4096));
      expect(allocate).toMatchObject({ operation: 'allocate', kind: 'unknown-request', osName: 'ENOTTY' });
      const inspect = caughtDeviceError(() => handle.inspect(0, 1));
      expect(inspect).toMatchObject({ kind: 'unknown-request' });
      // The copy path is pread: /dev/null has nothing to give.
      expect(handle.readCopy(0, 16)).toHaveLength(0);
    } finally {
      handle.close();
    }
  });

  it('refuses to touch a mapping it does not have', () => {
    const handle = createLinuxBackend({ devicePath: '/dev/null' }).open();
    try {
      expect(caughtDeviceError(() => handle.readValues(0, 1)).kind).toBe('nothing-allocated');
      expect(caughtDeviceError(() => handle.writeValues(0, [1])).kind).toBe('nothing-allocated');
    } finally {
      handle.close();
    }
  });

  it('rejects bad arguments before any native call', () => {
    const handle = createLinuxBackend({ devicePath: '/dev/null' }).open();
    try {
      expect(caughtDeviceError(() => handle.allocate(0)).kind).toBe('invalid-parameter');
      expect(caughtDeviceError(() => handle.allocate(1.5)).kind).toBe('invalid-parameter');
      expect(caughtDeviceError(() => handle.inspect(0, 65)).kind).toBe('invalid-parameter');
      expect(caughtDeviceError(() => handle.readCopy(-1, 4)).kind).toBe('invalid-parameter');
    } finally {
      handle.close();
    }
  });

  it('closes once, then says the handle is closed', () => {
    const handle = createLinuxBackend({ devicePath: '/dev/null' }).open();
    handle.close();
    handle.close();
    expect(caughtDeviceError(() => handle.query())).toMatchObject({ kind: 'handle-closed', osName: 'EBADF' });
    expect(caughtDeviceError(() => handle.release())).toMatchObject({ kind: 'handle-closed' });
  });
});
