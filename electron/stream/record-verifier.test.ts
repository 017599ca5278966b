// The checks on every record: a good run passes; each kind of bad record is
// counted and the first one described; gaps add up as skipped.
import { describe, expect, it } from 'vitest';
import { RECORD_OFFSET } from '../../api/device.js';
import { shmStreamCheck, shmStreamSample } from '../../api/stream-signal.js';
import { PlotDecimator } from './plot-decimator.js';
import { RecordVerifier } from './record-verifier.js';
import { setU64 } from './u64-field.js';

interface Fields {
  sequence: number;
  timestampNs?: number;
  sample?: number;
  check?: number;
  reserved?: number;
}

function records(list: Fields[]): DataView {
  const view = new DataView(new ArrayBuffer(list.length * 32));
  list.forEach((r, i) => {
    const at = i * 32;
    const sample = r.sample ?? shmStreamSample(r.sequence);
    setU64(view, at + RECORD_OFFSET.sequence, r.sequence);
    setU64(view, at + RECORD_OFFSET.timestampNs, r.timestampNs ?? 1_000_000);
    view.setInt32(at + RECORD_OFFSET.sample, sample, true);
    view.setUint32(at + RECORD_OFFSET.check, r.check ?? shmStreamCheck(r.sequence, sample), true);
    setU64(view, at + RECORD_OFFSET.reserved, r.reserved ?? 0);
  });
  return view;
}

const verifier = () => new RecordVerifier(new PlotDecimator(1));

describe('RecordVerifier', () => {
  it('passes a good run, with the latency from timestamp_ns to the read', () => {
    const v = verifier();
    v.verify(records([{ sequence: 0 }, { sequence: 1 }, { sequence: 2 ** 33 + 5 }]), 3, 1_250_000);
    expect(v.records).toBe(3);
    expect(v.invalid).toBe(0);
    expect(v.firstProblem).toBeNull();
    // The jump from 1 to 2^33 + 5 is a gap (dropped records), not an error.
    expect(v.skipped).toBe(2 ** 33 + 5 - 2);
    expect(v.latency.percentile(0.5)).toBeGreaterThan(240_000);
    expect(v.latency.percentile(0.5)).toBeLessThan(260_000);
  });

  it.each([
    [{ sequence: 1, sample: 7 }, /record 1 has sample 7, not -15936/],
    [{ sequence: 1, check: 0x1234 }, /record 1 has check 0x1234/],
    [{ sequence: 1, reserved: 1 }, /record 1 has a reserved field that is not 0/],
    [{ sequence: 0 }, /record 1 has sequence 0, but 1 or later was due/],
  ])('counts a bad record: %o', (bad, problem) => {
    const v = verifier();
    v.verify(records([{ sequence: 0 }, bad, { sequence: 2 }]), 3, 2_000_000);
    expect(v.invalid).toBe(1);
    expect(v.firstProblem).toMatch(problem);
    expect(v.records).toBe(3);
  });

  it('keeps the first problem when more follow', () => {
    const v = verifier();
    v.verify(records([{ sequence: 0, sample: 1 }, { sequence: 1, sample: 2 }]), 2, 2_000_000);
    expect(v.invalid).toBe(2);
    expect(v.firstProblem).toMatch(/record 0 has sample 1/);
  });
});

describe('PlotDecimator', () => {
  it('keeps the min and max of each stretch, in sequence order', () => {
    const plot = new PlotDecimator(4);
    [5, -3, 9, 0, 1, 1, 1, 1, 2].forEach((sample, i) => plot.add(i, sample));
    expect(plot.take()).toEqual({ sequence: [1, 2, 4], sample: [-3, 9, 1] });
    // The unfinished stretch (record 8) waits for the next take.
    expect(plot.take()).toEqual({ sequence: [], sample: [] });
  });
});
