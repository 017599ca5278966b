// The device's numbers, mirrored from driver/include/sharedmemory_ioctl.h.
// Shared by the main process, the simulated driver and the renderer (which
// only needs the limits). A test compiles a C program against the header and
// compares it with these, so they cannot drift.

export const SHM_ABI_VERSION = 1;
export const SHM_DRIVER_VERSION = (1 << 16) | 1;
export const SHM_INSPECT_MAX = 64;
export const SHM_SEED_COUNT = 10;
export const SHM_DEFAULT_MAX_SIZE = 64 * 1024 * 1024;
export const SHM_DEFAULT_TOTAL_CAP = 256 * 1024 * 1024;

export const SHM_LINUX_DEVICE_PATH = '/dev/sharedmemory';
export const SHM_WIN_USER_PATH = '\\\\.\\SharedMemory';

/** shm_device_info.features: the driver streams (CONTRACT.md section 5). */
export const SHM_FEATURE_STREAM = 0x1;

// Streaming (CONTRACT.md section 5).
export const SHM_RING_MAGIC = 0x474e4952;
export const SHM_RING_VERSION = 1;
export const SHM_RING_STATE = { RUNNING: 1, STOPPED: 2, FAULTED: 3 } as const;
export const SHM_STREAM_MAX_RATE = 100_000_000;
export const SHM_STREAM_MAX_BATCH = 16384;
export const SHM_STREAM_MAX_TICK_HZ = 10000;

/** Byte sizes of the header's structs (identical on x64 Windows and Linux). */
export const STRUCT_SIZE = {
  deviceInfo: 40,
  allocate: 24,
  inspect: 16 + 2 * SHM_INSPECT_MAX,
  streamStart: 32,
  ring: 256,
  record: 32,
} as const;

/** Field offsets of struct shm_stream_start, in bytes. */
export const STREAM_START_OFFSET = {
  rateHz: 0,
  batch: 4,
  eventHandle: 8,
  capacity: 16,
  recordSize: 20,
  dataOffset: 24,
} as const;

/** Field offsets of struct shm_ring (the header at byte 0 of a streaming allocation). */
export const RING_OFFSET = {
  magic: 0,
  version: 4,
  recordSize: 8,
  capacity: 12,
  dataOffset: 16,
  rateHz: 24,
  batch: 28,
  state: 32,
  head: 64,
  tail: 128,
  dropped: 192,
} as const;

/** Field offsets of struct shm_record. */
export const RECORD_OFFSET = { sequence: 0, timestampNs: 8, sample: 16, check: 20, reserved: 24 } as const;

/** shm_stream_sample(): a triangle wave, period 1000 records, -16000 up to 16000 and back. */
export function streamSample(sequence: bigint): number {
  const p = Number(sequence % 1000n);
  return p < 500 ? -16000 + 64 * p : 16000 - 64 * (p - 500);
}

/** shm_stream_check(): the u32 every record carries beside its sample. */
export function streamCheck(sequence: bigint, sample: number): number {
  const low = Number(BigInt.asUintN(32, sequence * 2654435761n));
  return (low ^ (sample >>> 0) ^ 0x5a5a5a5a) >>> 0;
}

/** The first ten u16 a fresh allocation holds: 10, 9, ..., 1. */
export const SEED_VALUES: readonly number[] = Array.from(
  { length: SHM_SEED_COUNT },
  (_, i) => SHM_SEED_COUNT - i,
);

// Windows: CTL_CODE(DeviceType, Function, Method, Access), as winioctl.h.
const METHOD_BUFFERED = 0;
const FILE_ANY_ACCESS = 0;
const FILE_READ_DATA = 1;
const FILE_WRITE_DATA = 2;
const SHM_WIN_DEVICE_TYPE = 0x8000;
const ctlCode = (deviceType: number, fn: number, method: number, access: number): number =>
  ((deviceType << 16) | (access << 14) | (fn << 2) | method) >>> 0;

export const WINDOWS_IOCTL = {
  QUERY: ctlCode(SHM_WIN_DEVICE_TYPE, 0x800, METHOD_BUFFERED, FILE_ANY_ACCESS),
  ALLOCATE: ctlCode(SHM_WIN_DEVICE_TYPE, 0x801, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA),
  RELEASE: ctlCode(SHM_WIN_DEVICE_TYPE, 0x802, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA),
  INSPECT: ctlCode(SHM_WIN_DEVICE_TYPE, 0x803, METHOD_BUFFERED, FILE_READ_DATA),
  STREAM_START: ctlCode(SHM_WIN_DEVICE_TYPE, 0x804, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA),
  STREAM_STOP: ctlCode(SHM_WIN_DEVICE_TYPE, 0x805, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA),
} as const;

// Linux: _IOC(dir, type, nr, size), as asm-generic/ioctl.h.
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;
const ioc = (dir: number, type: string, nr: number, size: number): number =>
  ((dir << 30) | (size << 16) | (type.charCodeAt(0) << 8) | nr) >>> 0;

export const LINUX_IOCTL = {
  QUERY: ioc(IOC_READ, 'S', 0x00, STRUCT_SIZE.deviceInfo),
  ALLOCATE: ioc(IOC_READ | IOC_WRITE, 'S', 0x01, STRUCT_SIZE.allocate),
  RELEASE: ioc(IOC_NONE, 'S', 0x02, 0),
  INSPECT: ioc(IOC_READ | IOC_WRITE, 'S', 0x03, STRUCT_SIZE.inspect),
  STREAM_START: ioc(IOC_READ | IOC_WRITE, 'S', 0x04, STRUCT_SIZE.streamStart),
  STREAM_STOP: ioc(IOC_NONE, 'S', 0x05, 0),
} as const;

export type IoctlName = keyof typeof LINUX_IOCTL;
