import { describe, expect, it } from 'vitest';
import { formatBytes, parseCount, parseOffset, parseSize, parseValues, sizeAboveDriverMax, valueRoom } from './parse-number.js';

const MAX = 64 * 1024 * 1024;
const message = (r: { ok: boolean; message?: string }) => (r.ok ? null : r.message);

describe('parseSize', () => {
  it.each([
    ['4096', 4096],
    [' 4096 ', 4096],
    ['1', 1],
    ['0x1000', 4096],
    ['0X1F', 31],
    ['4K', 4096],
    ['4 KiB', 4096],
    ['2m', 2 * 1024 * 1024],
    ['64M', MAX],
    // Above the driver's maximum is still well-formed: the driver refuses it, not the parser.
    ['65M', 65 * 1024 * 1024],
    ['9007199254740991', Number.MAX_SAFE_INTEGER],
  ])('accepts %j as %d bytes', (text, bytes) => {
    expect(parseSize(text)).toEqual({ ok: true, value: bytes });
  });

  it.each([
    ['', /Enter a size/],
    ['0', /at least 1 byte/],
    ['0x0', /at least 1 byte/],
    ['-1', /cannot be negative/],
    ['1.5', /whole number/],
    ['abc', /"abc" is not a size/],
    ['4G', /is not a size/],
    ['1e3', /is not a size/],
    ['9007199254740992', /too large to request/],
    ['99999999999999999999999', /too large to request/],
  ])('rejects %j', (text, why) => {
    const r = parseSize(text);
    expect(r.ok).toBe(false);
    expect(message(r)).toMatch(why);
  });
});

describe('sizeAboveDriverMax', () => {
  it("warns only for well-formed sizes above the driver's reported maximum", () => {
    expect(sizeAboveDriverMax('64M', MAX)).toBeNull();
    expect(sizeAboveDriverMax('67108865', MAX)).toBe("Above the driver's maximum of 64 MiB: the driver will refuse it.");
    expect(sizeAboveDriverMax('8192', 4096)).toMatch(/maximum of 4 KiB/);
    expect(sizeAboveDriverMax('abc', MAX)).toBeNull();
  });
});

describe('parseOffset', () => {
  it('accepts even offsets inside the mapping, decimal or hex', () => {
    expect(parseOffset('0', 4096)).toEqual({ ok: true, value: 0 });
    expect(parseOffset('0x100', 4096)).toEqual({ ok: true, value: 256 });
    expect(parseOffset('4094', 4096)).toEqual({ ok: true, value: 4094 });
  });
  it.each([
    ['', /Enter a byte offset/],
    ['3', /must be even/],
    ['4096', /below the mapped size, 0x1000/],
    ['-2', /cannot be negative/],
    ['2.5', /whole number/],
    ['x', /is not an offset/],
  ])('rejects %j', (text, why) => {
    expect(message(parseOffset(text, 4096))).toMatch(why);
  });
});

const ten = valueRoom(4096, 0, 10);

describe('valueRoom', () => {
  it('names the tighter limit', () => {
    expect(valueRoom(4096, 0, 4096)).toEqual({ max: 2048, limit: 'the mapping ends 2048 values after offset 0x0' });
    expect(valueRoom(64 << 20, 0, 4096)).toEqual({ max: 4096, limit: 'one request covers at most 4096 values' });
    expect(valueRoom(4096, 4094, 4096).max).toBe(1);
  });
});

describe('parseCount', () => {
  it('accepts 1..max', () => {
    expect(parseCount('1', ten)).toEqual({ ok: true, value: 1 });
    expect(parseCount('0xa', ten)).toEqual({ ok: true, value: 10 });
  });
  it.each([
    ['0', /at least 1/],
    ['11', /^The count must be at most 10: one request covers at most 10 values\.$/],
    ['', /Enter how many/],
    ['ten', /is not a count/],
  ])('rejects %j', (text, why) => {
    expect(message(parseCount(text, ten))).toMatch(why);
  });
});

describe('parseValues', () => {
  it('reads u16 lists separated by spaces, commas and new lines', () => {
    expect(parseValues('1 2,3\n0xffff ; 0', ten)).toEqual({ ok: true, value: [1, 2, 3, 0xffff, 0] });
  });
  it.each([
    ['', /at least one value/],
    ['1 65536', /Value 2 \("65536"\) is not a 16-bit value/],
    ['1 -1', /Value 2/],
    ['0x10000', /Value 1/],
    ['1 2 3', /^At most 2 values fit \(the mapping ends 2 values after offset 0xffc\); you entered 3\.$/],
  ])('rejects %j', (text, why) => {
    expect(message(parseValues(text, valueRoom(4096, 4092, 4096)))).toMatch(why);
  });
});

describe('formatBytes', () => {
  it('names whole KiB and MiB', () => {
    expect(formatBytes(64 * 1024 * 1024)).toBe('64 MiB');
    expect(formatBytes(4096)).toBe('4 KiB');
    expect(formatBytes(100)).toBe('100 bytes');
  });
});

describe('parseOffset for any byte (the inspector)', () => {
  it('takes odd offsets too, still inside the mapping', () => {
    expect(parseOffset('0x11', 4096, { anyByte: true })).toEqual({ ok: true, value: 17 });
    expect(parseOffset('4096', 4096, { anyByte: true }).ok).toBe(false);
    expect(parseOffset('0x11', 4096).ok).toBe(false);
  });
});
