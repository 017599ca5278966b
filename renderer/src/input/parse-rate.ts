// The Rate (records/s) field: a whole number from 1 to the drivers' maximum,
// digits with an optional k or M (decimal: 1k = 1000, 1M = 1000000).
import { SHM_STREAM_MAX_RATE } from '../../../api/device.js';
import type { Parsed } from './parse-number.js';

const RATE = /^([0-9]+)\s*(k|m)?$/i;
const SUFFIX: Record<string, number> = { k: 1000, m: 1_000_000 };

export function parseRate(text: string): Parsed<number> {
  const trimmed = text.trim().replace(/_/g, '');
  const match = RATE.exec(trimmed);
  if (!match) {
    return { ok: false, message: `"${text.trim()}" is not a rate: use records per second, e.g. 1000, 60k or 1M.` };
  }
  const value = Number(match[1]) * (SUFFIX[(match[2] ?? '').toLowerCase()] ?? 1);
  if (value < 1) return { ok: false, message: 'The rate must be at least 1 record/s.' };
  if (value > SHM_STREAM_MAX_RATE) return { ok: false, message: `The rate must be at most ${SHM_STREAM_MAX_RATE} records/s.` };
  return { ok: true, value };
}
