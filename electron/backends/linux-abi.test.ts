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
  SHM_ABI_VERSION,
  SHM_DEFAULT_MAX_SIZE,
  SHM_DEFAULT_TOTAL_CAP,
  SHM_DRIVER_VERSION,
  SHM_INSPECT_MAX,
  SHM_LINUX_DEVICE_PATH,
  SHM_SEED_COUNT,
  STRUCT_SIZE,
} from '../../api/device.js';

const INCLUDE_DIR = resolve(import.meta.dirname, '../../driver/include');

const PROGRAM = String.raw`
#include <stddef.h>
#include <stdio.h>
#include "sharedmemory_ioctl.h"
int main(void)
{
	printf("{\"ioctl\":{\"QUERY\":%u,\"ALLOCATE\":%u,\"RELEASE\":%u,\"INSPECT\":%u},",
	       (unsigned)SHM_IOCTL_QUERY, (unsigned)SHM_IOCTL_ALLOCATE,
	       (unsigned)SHM_IOCTL_RELEASE, (unsigned)SHM_IOCTL_INSPECT);
	printf("\"size\":{\"deviceInfo\":%zu,\"allocate\":%zu,\"inspect\":%zu},",
	       sizeof(struct shm_device_info), sizeof(struct shm_allocate),
	       sizeof(struct shm_inspect));
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
    header = JSON.parse(execFileSync(join(dir, 'abi'), { encoding: 'utf8' })) as HeaderFacts;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has the same ioctl numbers', () => {
    expect(LINUX_IOCTL).toEqual(header.ioctl);
    // The contract pins them too; a header change must be deliberate.
    expect(header.ioctl).toEqual({ QUERY: 0x80285300, ALLOCATE: 0xc0185301, RELEASE: 0x5302, INSPECT: 0xc0905303 });
  });

  it('has the same struct sizes and field offsets the backend decodes', () => {
    expect(STRUCT_SIZE).toEqual(header.size);
    // linux-backend.ts reads these offsets with a DataView.
    expect(header.offset).toEqual({ totalBytes: 24, allocations: 32, mappedSize: 16, count: 8, values: 16 });
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
