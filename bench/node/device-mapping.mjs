// Direct access to /dev/sharedmemory from Node for the data-path bench: open,
// ALLOCATE, mmap and munmap through koffi, pread through node:fs. The app's
// backend hides its fd, and the copy path must pread into a reused buffer to
// be compared fairly with C, so the bench keeps its own handle.
import fs from 'node:fs';
import koffi from 'koffi';
import { LINUX_IOCTL, STRUCT_SIZE } from '../../api/device.ts';

const libc = koffi.load('libc.so.6');
const ioctlPtr = libc.func('int ioctl(int fd, unsigned long request, ...)');
// The same libc function bound with a fixed prototype, as the app's backend
// binds it (electron/backends/linux-libc.ts says why that is safe on Linux).
const ioctlFixed = libc.func('int ioctl(int fd, unsigned long request, void *arg)');
const mmap = libc.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)');
const munmap = libc.func('int munmap(void *addr, size_t length)');
const memcpy = libc.func('void *memcpy(void *dest, const void *src, size_t n)');
const strerror = libc.func('const char *strerror(int errnum)');

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x01;
const MAP_FAILED = 0xffffffffffffffffn;

function fail(what) {
  const errno = koffi.errno();
  throw new Error(`${what} failed: ${strerror(errno)} (errno ${errno})`);
}

/** One open handle with one mapped allocation of `size` bytes. */
export function openMappedAllocation(devicePath, size) {
  const fd = fs.openSync(devicePath, fs.constants.O_RDWR);
  try {
    const request = Buffer.alloc(STRUCT_SIZE.allocate);
    request.writeBigUInt64LE(BigInt(size), 0);
    if (ioctlPtr(fd, LINUX_IOCTL.ALLOCATE, 'void *', request) < 0) {
      fail(`SHM_IOCTL_ALLOCATE of ${size} bytes`);
    }
    const mappedSize = Number(request.readBigUInt64LE(16));
    if (mappedSize < size) throw new Error(`ALLOCATE of ${size} bytes returned mapped_size ${mappedSize}`);
    const address = mmap(null, mappedSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (address === null || BigInt(address) === MAP_FAILED) fail('mmap of the device');
    return {
      fd,
      address,
      mappedSize,
      close() {
        if (munmap(address, mappedSize) < 0) fail('munmap of the device mapping');
        fs.closeSync(fd);
      },
    };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

/** pread until `length` bytes are in `buffer` (the driver may return less per call). */
export function preadAll(fd, buffer, length) {
  let done = 0;
  while (done < length) {
    const got = fs.readSync(fd, buffer, done, length - done, done);
    if (got === 0) throw new Error(`pread on the device: end of data at ${done} of ${length} bytes`);
    done += got;
  }
}

/** Copies `length` bytes at native `address` into the start of `buffer` (libc memcpy); returns those bytes. */
export function copyInto(buffer, address, length) {
  if (length > buffer.byteLength) throw new Error(`copy of ${length} bytes into a buffer of ${buffer.byteLength}`);
  memcpy(buffer, address, length);
  return buffer.subarray(0, length);
}

/** The raw QUERY ioctl, without the backend's decoding and checks, bound variadic (its C declaration). */
export function rawQuery(fd, out) {
  if (ioctlPtr(fd, LINUX_IOCTL.QUERY, 'void *', out) < 0) fail('SHM_IOCTL_QUERY');
}

/** The raw QUERY ioctl through the fixed-prototype binding (as the backend binds it). */
export function rawQueryFixed(fd, out) {
  if (ioctlFixed(fd, LINUX_IOCTL.QUERY, out) < 0) fail('SHM_IOCTL_QUERY (fixed prototype)');
}
