// errno -> DeviceError: every row of CONTRACT.md's Linux column, and the
// open() failures a user meets first, with hints they can act on.
import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { errnoError, errnoName } from './linux-errors.js';

const E = constants.errno;

describe('errnoError', () => {
  it.each([
    ['allocate', E.EINVAL, 'invalid-parameter', 'EINVAL'],
    ['inspect', E.EFAULT, 'buffer-too-small', 'EFAULT'],
    ['allocate', E.EBUSY, 'busy', 'EBUSY'],
    ['release', E.ENODATA, 'nothing-allocated', 'ENODATA'],
    ['allocate', E.ENOMEM, 'no-resources', 'ENOMEM'],
    ['query', E.ENOTTY, 'unknown-request', 'ENOTTY'],
    ['map', E.EINVAL, 'invalid-parameter', 'EINVAL'],
    ['open', E.ENOENT, 'not-installed', 'ENOENT'],
    ['open', E.ENXIO, 'not-installed', 'ENXIO'],
    ['open', E.ENODEV, 'not-installed', 'ENODEV'],
    ['open', E.EACCES, 'access-denied', 'EACCES'],
    ['open', E.EPERM, 'access-denied', 'EPERM'],
    ['query', E.EBADF, 'handle-closed', 'EBADF'],
    ['inspect', E.EBADF, 'handle-closed', 'EBADF'],
    // ALLOCATE, RELEASE, STREAM_START and STREAM_STOP on an fd not open O_RDWR (2026-11-29).
    ['allocate', E.EBADF, 'access-denied', 'EBADF'],
    ['release', E.EBADF, 'access-denied', 'EBADF'],
    ['stream-start', E.EBADF, 'access-denied', 'EBADF'],
    ['stream-stop', E.EBADF, 'access-denied', 'EBADF'],
    // CONTRACT.md 5.3: read on a faulted stream is EIO; elsewhere EIO is just an OS error.
    ['read-copy', E.EIO, 'stream-faulted', 'EIO'],
    ['inspect', E.EIO, 'os-error', 'EIO'],
    ['read-copy', E.EAGAIN, 'would-block', 'EAGAIN'],
  ] as const)('%s errno %i is %s (%s)', (operation, code, kind, name) => {
    const error = errnoError(operation, code);
    expect(error.kind).toBe(kind);
    expect(error.osName).toBe(name);
    expect(error.osCode).toBe(code);
    expect(error.operation).toBe(operation);
    expect(error.message).toContain(`(${name}, ${code})`);
  });

  it('tells how to load the module when the device node is missing', () => {
    const error = errnoError('open', E.ENOENT);
    expect(error.hint).toMatch(/modprobe sharedmemory|insmod/);
    expect(error.message).toMatch(/not installed or not running/);
  });

  it('tells the user to join group sharedmemory on EACCES at open', () => {
    expect(errnoError('open', E.EACCES).hint).toMatch(/usermod -aG sharedmemory/);
  });

  it('says what to do on EBUSY, ENODATA and ENOMEM', () => {
    expect(errnoError('allocate', E.EBUSY).hint).toMatch(/Release/);
    expect(errnoError('inspect', E.ENODATA).hint).toMatch(/Allocate/);
    expect(errnoError('allocate', E.ENOMEM).hint).toMatch(/total_cap_mib/);
  });

  it('says ALLOCATE and RELEASE need the device open for reading and writing on EBADF', () => {
    expect(errnoError('allocate', E.EBADF).hint).toMatch(/reading and writing \(O_RDWR\)/);
    expect(errnoError('release', E.EBADF).hint).toMatch(/restart the app/);
    expect(errnoError('query', E.EBADF).hint).toBe('');
  });

  it('does not call a missing file after open a missing driver', () => {
    expect(errnoError('read-copy', E.ENOENT).kind).toBe('os-error');
  });

  it('names unknown errno values by number', () => {
    expect(errnoName(9999)).toBe('errno 9999');
    expect(errnoError('query', 9999).kind).toBe('os-error');
  });
});
