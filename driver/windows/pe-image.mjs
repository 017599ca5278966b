// Reads the parts of a PE image that decide whether Windows will load it as a
// kernel driver: machine and format, subsystem, DLL characteristics, section
// permissions, imports, exception data, checksum and certificate table.
// Used by the build checks on the cross-built .sys (no Windows tools needed).

const IMAGE_SCN_MEM_EXECUTE = 0x2000_0000;
const IMAGE_SCN_MEM_WRITE = 0x8000_0000;
const IMAGE_SCN_MEM_DISCARDABLE = 0x0200_0000;

export const SUBSYSTEM_NATIVE = 1;
export const SUBSYSTEM_WINDOWS_CUI = 3;
export const MACHINE_AMD64 = 0x8664;
export const PE32_PLUS_MAGIC = 0x20b;
export const DLL_DYNAMIC_BASE = 0x40;
export const DLL_NX_COMPAT = 0x100;

/** Parses a PE32/PE32+ image; throws with a clear message on anything else. */
export function parsePe(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 0x40 || buf.toString('latin1', 0, 2) !== 'MZ') throw new Error('not an MZ image');
  const peOffset = buf.readUInt32LE(0x3c);
  if (buf.toString('latin1', peOffset, peOffset + 4) !== 'PE\0\0') throw new Error('no PE signature');
  const coff = peOffset + 4;
  const machine = buf.readUInt16LE(coff);
  const sectionCount = buf.readUInt16LE(coff + 2);
  const optionalSize = buf.readUInt16LE(coff + 16);
  const characteristics = buf.readUInt16LE(coff + 18);
  const opt = coff + 20;
  const magic = buf.readUInt16LE(opt);
  const plus = magic === PE32_PLUS_MAGIC;
  const entryPoint = buf.readUInt32LE(opt + 16);
  const checksumOffset = opt + 64;
  const checksum = buf.readUInt32LE(checksumOffset);
  const subsystem = buf.readUInt16LE(opt + 68);
  const dllCharacteristics = buf.readUInt16LE(opt + 70);
  const dirBase = opt + (plus ? 112 : 96);
  const dirCount = buf.readUInt32LE(dirBase - 4);
  const directory = (i) =>
    i < dirCount
      ? { rva: buf.readUInt32LE(dirBase + 8 * i), size: buf.readUInt32LE(dirBase + 8 * i + 4) }
      : { rva: 0, size: 0 };

  const sections = [];
  const sectionTable = opt + optionalSize;
  for (let i = 0; i < sectionCount; i++) {
    const s = sectionTable + 40 * i;
    const flags = buf.readUInt32LE(s + 36);
    sections.push({
      name: buf.toString('latin1', s, s + 8).replace(/\0+$/, ''),
      virtualSize: buf.readUInt32LE(s + 8),
      virtualAddress: buf.readUInt32LE(s + 12),
      rawSize: buf.readUInt32LE(s + 16),
      rawOffset: buf.readUInt32LE(s + 20),
      flags,
      executable: (flags & IMAGE_SCN_MEM_EXECUTE) !== 0,
      writable: (flags & IMAGE_SCN_MEM_WRITE) !== 0,
      discardable: (flags & IMAGE_SCN_MEM_DISCARDABLE) !== 0,
    });
  }
  const sectionOf = (rva) =>
    sections.find((s) => rva >= s.virtualAddress && rva < s.virtualAddress + Math.max(s.virtualSize, s.rawSize));
  const fileOffset = (rva) => {
    const s = sectionOf(rva);
    if (!s) throw new Error(`RVA 0x${rva.toString(16)} is in no section`);
    return rva - s.virtualAddress + s.rawOffset;
  };
  const cString = (rva) => {
    const at = fileOffset(rva);
    return buf.toString('latin1', at, buf.indexOf(0, at));
  };

  const imports = [];
  const importDir = directory(1);
  if (importDir.size > 0) {
    for (let d = fileOffset(importDir.rva); ; d += 20) {
      const lookup = buf.readUInt32LE(d) || buf.readUInt32LE(d + 16);
      const nameRva = buf.readUInt32LE(d + 12);
      if (lookup === 0 && nameRva === 0) break;
      const functions = [];
      const thunkSize = plus ? 8 : 4;
      for (let t = fileOffset(lookup); ; t += thunkSize) {
        const value = plus ? buf.readBigUInt64LE(t) : BigInt(buf.readUInt32LE(t));
        if (value === 0n) break;
        const byOrdinal = plus ? value >> 63n === 1n : value >> 31n === 1n;
        functions.push(byOrdinal ? `#${value & 0xffffn}` : cString(Number(value & 0x7fff_ffffn) + 2));
      }
      imports.push({ dll: cString(nameRva), functions });
    }
  }

  return {
    machine,
    magic,
    characteristics,
    entryPoint,
    entrySection: sectionOf(entryPoint)?.name ?? null,
    subsystem,
    dllCharacteristics,
    sections,
    imports,
    exceptionDirectory: directory(3),
    certificateTable: directory(4),
    checksum,
    computedChecksum: peChecksum(buf, checksumOffset),
  };
}

/** The PE checksum (as imagehlp's CheckSumMappedFile computes it). */
export function peChecksum(buf, checksumOffset) {
  let sum = 0;
  for (let i = 0; i < buf.length; i += 2) {
    if (i === checksumOffset || i === checksumOffset + 2) continue;
    sum += buf[i] | ((i + 1 < buf.length ? buf[i + 1] : 0) << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + buf.length) >>> 0;
}

/** Writes the correct checksum into an image file (what link /RELEASE does). */
export async function fixChecksum(path) {
  const { readFile, writeFile } = await import('node:fs/promises');
  const buf = await readFile(path);
  const checksumOffset = buf.readUInt32LE(0x3c) + 4 + 20 + 64;
  buf.writeUInt32LE(peChecksum(buf, checksumOffset), checksumOffset);
  await writeFile(path, buf);
}

// node pe-image.mjs --fix-checksum FILE
if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--fix-checksum') {
  await fixChecksum(process.argv[3]);
}
