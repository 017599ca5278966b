// Guest-side probe: opens /dev/sharedmemory, asks the driver for QUERY and
// prints its answer as one JSON line. It runs as its own process next to the
// server, so the totals it reports are what the kernel holds for everyone,
// independent of the app's code under test.
//
// Bundled by esbuild to dist/e2e/vm-app/query-device.mjs (koffi external),
// because the guest runs the host's plain `node`, which cannot load TypeScript.
import koffi from 'koffi';
import { LINUX_IOCTL, SHM_LINUX_DEVICE_PATH, STRUCT_SIZE } from '../../api/device.js';

interface QueryAnswer {
  abiVersion: number;
  driverVersion: number;
  pageSize: number;
  maxSize: number;
  totalBytes: number;
  allocations: number;
}

const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;

const libc = koffi.load('libc.so.6');
const open = libc.func('int open(const char *path, int flags)');
const ioctl = libc.func('int ioctl(int fd, unsigned long request, ...)');
const close = libc.func('int close(int fd)');

function fail(step: string): never {
  const errno = koffi.errno();
  console.log(JSON.stringify({ error: `${step} failed`, errno }));
  process.exit(1);
}

function query(): QueryAnswer {
  // QUERY needs no access rights beyond opening the node (FILE_ANY_ACCESS).
  const fd = open(SHM_LINUX_DEVICE_PATH, O_RDONLY | O_CLOEXEC) as number;
  if (fd < 0) fail(`open ${SHM_LINUX_DEVICE_PATH}`);
  try {
    const info = Buffer.alloc(STRUCT_SIZE.deviceInfo);
    if ((ioctl(fd, LINUX_IOCTL.QUERY, 'uint8_t *', info) as number) < 0) fail('ioctl QUERY');
    // struct shm_device_info: u32 abi, u32 driver, u64 page, u64 max, u64 total, u32 allocations.
    return {
      abiVersion: info.readUInt32LE(0),
      driverVersion: info.readUInt32LE(4),
      pageSize: Number(info.readBigUInt64LE(8)),
      maxSize: Number(info.readBigUInt64LE(16)),
      totalBytes: Number(info.readBigUInt64LE(24)),
      allocations: info.readUInt32LE(32),
    };
  } finally {
    close(fd);
  }
}

console.log(JSON.stringify(query()));
