import { describe, expect, it } from 'vitest';
import { bytesToValues, MappingReadError, readByteRange, readBytes, valuesToBytes, type ReadValues } from './mapping-bytes.js';

/** A mapping of `size` bytes where byte i holds i & 0xff, read as u16 like the service does. */
function mapping(size: number, calls: { offset: number; count: number }[] = []): ReadValues {
  return (request) => {
    calls.push(request);
    if (request.offset % 2 !== 0 || request.offset + request.count * 2 > size) {
      return Promise.resolve({ ok: false, error: { operation: 'readValues', kind: 'invalid-request', message: 'outside' } });
    }
    const values = Array.from({ length: request.count }, (_, i) => {
      const b = request.offset + i * 2;
      return (b & 0xff) | (((b + 1) & 0xff) << 8);
    });
    return Promise.resolve({ ok: true, value: { offset: request.offset, values } });
  };
}

describe('the mapping as bytes', () => {
  it('converts u16 values to little-endian bytes and back', () => {
    expect([...valuesToBytes([0x0102, 0xbeef])]).toEqual([0x02, 0x01, 0xef, 0xbe]);
    expect(bytesToValues(Uint8Array.of(0x02, 0x01, 0xef, 0xbe))).toEqual([0x0102, 0xbeef]);
    expect(() => bytesToValues(Uint8Array.of(1))).toThrow('not whole u16 values');
  });

  it('reads any offset and length, odd ones included, in calls of at most the chunk size', async () => {
    const calls: { offset: number; count: number }[] = [];
    const bytes = await readBytes(mapping(4096, calls), 3, 21);
    expect([...bytes]).toEqual(Array.from({ length: 21 }, (_, i) => i + 3));
    expect(calls).toEqual([{ offset: 2, count: 11 }]);

    calls.length = 0;
    const chunks = [];
    for await (const c of readByteRange(mapping(4096, calls), 1, 40, 16)) chunks.push(c);
    expect(chunks.map((c) => [c.offset, c.bytes.length])).toEqual([[1, 15], [16, 16], [32, 9]]);
    expect(calls.every((c) => c.count <= 8 && c.offset % 2 === 0)).toBe(true);
  });

  it('reads a whole 64 MiB mapping in 8 KiB calls', async () => {
    const size = 64 * 1024 * 1024;
    const calls: { offset: number; count: number }[] = [];
    let last = 0;
    const bytes = await readBytes(mapping(size, calls), 0, size, (done) => (last = done));
    expect(bytes.length).toBe(size);
    expect(bytes[size - 1]).toBe(0xff);
    expect(calls.length).toBe(size / 8192);
    expect(last).toBe(size);
  });

  it('stops at a failed call with the API error and how far it got', async () => {
    const failing = readBytes(mapping(64), 0, 128);
    await expect(failing).rejects.toBeInstanceOf(MappingReadError);
    await expect(readBytes(mapping(8192 + 64), 0, 3 * 8192)).rejects.toMatchObject({ bytesRead: 8192, error: { message: 'outside' } });
  });
});
