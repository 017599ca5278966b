// The TypeScript mirror of the ioctl header (api/device.ts) must equal what a
// C compiler makes of driver/include/sharedmemory_ioctl.h. A tiny program is
// compiled against the header and prints its numbers; nothing is hand-copied.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LINUX_IOCTL,
  RECORD_OFFSET,
  RING_OFFSET,
  SHM_ABI_VERSION,
  SHM_DEFAULT_MAX_SIZE,
  SHM_DEFAULT_TOTAL_CAP,
  SHM_DRIVER_VERSION,
  SHM_FEATURE_STREAM,
  SHM_INSPECT_MAX,
  SHM_LINUX_DEVICE_PATH,
  SHM_RING_MAGIC,
  SHM_RING_STATE,
  SHM_RING_VERSION,
  SHM_SEED_COUNT,
  SHM_STREAM_MAX_BATCH,
  SHM_STREAM_MAX_RATE,
  SHM_STREAM_MAX_TICK_HZ,
  STREAM_START_OFFSET,
  STRUCT_SIZE,
  streamCheck,
  streamSample,
} from '../../api/device.js';

const INCLUDE_DIR = resolve(import.meta.dirname, '../../driver/include');

// Sequences for the signal: both slopes, the turning points, and products
// with the check's multiplier that wrap 32 and 64 bits.
const SIGNAL_SEQUENCES = ['0', '1', '499', '500', '501', '999', '1000', '1234567', '4294967296', '18446744073709551615'];

const PROGRAM = String.raw`
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include "sharedmemory_ioctl.h"
#define OFF(type, field) (offsetof(struct type, field))
int main(int argc, char **argv)
{
	printf("{\"ioctl\":{\"QUERY\":%u,\"ALLOCATE\":%u,\"RELEASE\":%u,\"INSPECT\":%u,"
	       "\"STREAM_START\":%u,\"STREAM_STOP\":%u},",
	       (unsigned)SHM_IOCTL_QUERY, (unsigned)SHM_IOCTL_ALLOCATE,
	       (unsigned)SHM_IOCTL_RELEASE, (unsigned)SHM_IOCTL_INSPECT,
	       (unsigned)SHM_IOCTL_STREAM_START, (unsigned)SHM_IOCTL_STREAM_STOP);
	printf("\"size\":{\"deviceInfo\":%zu,\"allocate\":%zu,\"inspect\":%zu,"
	       "\"streamStart\":%zu,\"ring\":%zu,\"record\":%zu},",
	       sizeof(struct shm_device_info), sizeof(struct shm_allocate),
	       sizeof(struct shm_inspect), sizeof(struct shm_stream_start),
	       sizeof(struct shm_ring), sizeof(struct shm_record));
	printf("\"streamStart\":{\"rateHz\":%zu,\"batch\":%zu,\"eventHandle\":%zu,"
	       "\"capacity\":%zu,\"recordSize\":%zu,\"dataOffset\":%zu},",
	       OFF(shm_stream_start, rate_hz), OFF(shm_stream_start, batch),
	       OFF(shm_stream_start, event_handle), OFF(shm_stream_start, capacity),
	       OFF(shm_stream_start, record_size), OFF(shm_stream_start, data_offset));
	printf("\"ring\":{\"magic\":%zu,\"version\":%zu,\"recordSize\":%zu,\"capacity\":%zu,"
	       "\"dataOffset\":%zu,\"rateHz\":%zu,\"batch\":%zu,\"state\":%zu,"
	       "\"head\":%zu,\"tail\":%zu,\"dropped\":%zu},",
	       OFF(shm_ring, magic), OFF(shm_ring, version), OFF(shm_ring, record_size),
	       OFF(shm_ring, capacity), OFF(shm_ring, data_offset), OFF(shm_ring, rate_hz),
	       OFF(shm_ring, batch), OFF(shm_ring, state), OFF(shm_ring, head),
	       OFF(shm_ring, tail), OFF(shm_ring, dropped));
	printf("\"record\":{\"sequence\":%zu,\"timestampNs\":%zu,\"sample\":%zu,"
	       "\"check\":%zu,\"reserved\":%zu},",
	       OFF(shm_record, sequence), OFF(shm_record, timestamp_ns), OFF(shm_record, sample),
	       OFF(shm_record, check), OFF(shm_record, reserved));
	printf("\"stream\":{\"feature\":%u,\"magic\":%u,\"version\":%u,\"running\":%u,"
	       "\"stopped\":%u,\"faulted\":%u,\"maxRate\":%u,\"maxBatch\":%u,\"maxTickHz\":%u},",
	       SHM_FEATURE_STREAM, SHM_RING_MAGIC, SHM_RING_VERSION, SHM_RING_RUNNING,
	       SHM_RING_STOPPED, SHM_RING_FAULTED, SHM_STREAM_MAX_RATE, SHM_STREAM_MAX_BATCH,
	       SHM_STREAM_MAX_TICK_HZ);
	printf("\"signal\":[");
	for (int i = 1; i < argc; i++) {
		unsigned long long seq = strtoull(argv[i], NULL, 10);
		int32_t sample = shm_stream_sample(seq);

		printf("%s[\"%llu\",%d,%u]", i > 1 ? "," : "", seq, (int)sample,
		       (unsigned)shm_stream_check(seq, sample));
	}
	printf("],");
	printf("\"offset\":{\"totalBytes\":%zu,\"allocations\":%zu,\"mappedSize\":%zu,"
	       "\"count\":%zu,\"values\":%zu},",
	       offsetof(struct shm_device_info, total_bytes),
	       offsetof(struct shm_device_info, allocations),
	       offsetof(struct shm_allocate, mapped_size),
	       offsetof(struct shm_inspect, count), offsetof(struct shm_inspect, values));
	printf("\"abi\":%u,\"driver\":%u,\"inspectMax\":%u,\"seed\":%u,"
	       "\"maxSize\":%llu,\"totalCap\":%llu,\"path\":\"%s\"}\n",
	       SHM_ABI_VERSION, SHM_DRIVER_VERSION, SHM_INSPECT_MAX, SHM_SEED_COUNT,
	       SHM_DEFAULT_MAX_SIZE, SHM_DEFAULT_TOTAL_CAP, SHM_LINUX_DEVICE_PATH);
	return 0;
}
`;

interface HeaderFacts {
  ioctl: Record<keyof typeof LINUX_IOCTL, number>;
  size: Record<keyof typeof STRUCT_SIZE, number>;
  streamStart: Record<keyof typeof STREAM_START_OFFSET, number>;
  ring: Record<keyof typeof RING_OFFSET, number>;
  record: Record<keyof typeof RECORD_OFFSET, number>;
  stream: Record<string, number>;
  signal: [string, number, number][];
  offset: Record<string, number>;
  abi: number;
  driver: number;
  inspectMax: number;
  seed: number;
  maxSize: number;
  totalCap: number;
  path: string;
}

describe('Linux ABI: api/device.ts equals the C header', () => {
  let dir = '';
  let header: HeaderFacts;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'shm-abi-'));
    writeFileSync(join(dir, 'abi.c'), PROGRAM);
    execFileSync('gcc', ['-std=c11', '-Wall', '-Wextra', '-Werror', '-I', INCLUDE_DIR, '-o', join(dir, 'abi'), join(dir, 'abi.c')]);
    header = JSON.parse(execFileSync(join(dir, 'abi'), SIGNAL_SEQUENCES, { encoding: 'utf8' })) as HeaderFacts;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the same ioctl numbers', () => {
    expect(LINUX_IOCTL).toEqual(header.ioctl);
    // The contract pins them too; a header change must be deliberate.
    expect(header.ioctl).toEqual({
      QUERY: 0x80285300,
      ALLOCATE: 0xc0185301,
      RELEASE: 0x5302,
      INSPECT: 0xc0905303,
      STREAM_START: 0xc0205304,
      STREAM_STOP: 0x5305,
    });
  });

  it('has the same struct sizes and field offsets the backend decodes', () => {
    expect(STRUCT_SIZE).toEqual(header.size);
    // linux-backend.ts reads these offsets with a DataView.
    expect(header.offset).toEqual({ totalBytes: 24, allocations: 32, mappedSize: 16, count: 8, values: 16 });
  });

  it('has the same streaming layouts: shm_stream_start, shm_ring, shm_record', () => {
    expect(STREAM_START_OFFSET).toEqual(header.streamStart);
    expect(RING_OFFSET).toEqual(header.ring);
    expect(RECORD_OFFSET).toEqual(header.record);
    // The contract pins the counters' cache lines.
    expect([header.ring.head, header.ring.tail, header.ring.dropped]).toEqual([64, 128, 192]);
  });

  it('has the same streaming constants', () => {
    expect({
      feature: SHM_FEATURE_STREAM,
      magic: SHM_RING_MAGIC,
      version: SHM_RING_VERSION,
      running: SHM_RING_STATE.RUNNING,
      stopped: SHM_RING_STATE.STOPPED,
      faulted: SHM_RING_STATE.FAULTED,
      maxRate: SHM_STREAM_MAX_RATE,
      maxBatch: SHM_STREAM_MAX_BATCH,
      maxTickHz: SHM_STREAM_MAX_TICK_HZ,
    }).toEqual(header.stream);
  });

  it('computes the same signal as shm_stream_sample/shm_stream_check', () => {
    const mirrored = SIGNAL_SEQUENCES.map((s) => {
      const sample = streamSample(BigInt(s));
      return [s, sample, streamCheck(BigInt(s), sample)];
    });
    expect(mirrored).toEqual(header.signal);
    expect(header.signal[0]).toEqual(['0', -16000, 2779093978]);
  });

  it('has the same constants', () => {
    expect({
      abi: SHM_ABI_VERSION,
      driver: SHM_DRIVER_VERSION,
      inspectMax: SHM_INSPECT_MAX,
      seed: SHM_SEED_COUNT,
      maxSize: SHM_DEFAULT_MAX_SIZE,
      totalCap: SHM_DEFAULT_TOTAL_CAP,
      path: SHM_LINUX_DEVICE_PATH,
    }).toEqual({
      abi: header.abi,
      driver: header.driver,
      inspectMax: header.inspectMax,
      seed: header.seed,
      maxSize: header.maxSize,
      totalCap: header.totalCap,
      path: header.path,
    });
  });
});
