// Streaming through SharedMemoryService on a real kernel driver (CONTRACT.md
// 5): the consumer reads the ring in place, every record verifies, the count
// follows the rate with nothing dropped at a moderate rate, Stop stream
// freezes it, and the 5.4 rows the window can meet come back as the driver's
// own errors with a refused start changing nothing. Run by the Linux guest
// check in the test VM; each check is reported through `check`.
import { SEED_VALUES, SHM_FEATURE_STREAM } from '../../api/device.js';
import type { StreamUpdate } from '../../api/shared-memory-api.js';
import { resultCheckers, type Check, type PlatformErrors } from './service-flow-suite.js';
import { SharedMemoryService, type SharedMemoryServiceOptions } from './shared-memory-service.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface StreamFlowFigures {
  rateHz: number;
  seconds: number;
  records: number;
  dropped: number;
  latencyP50Ns: number | null;
  latencyP99Ns: number | null;
}

export async function runStreamServiceFlow(
  selected: Pick<SharedMemoryServiceOptions, 'backend' | 'handle' | 'reason' | 'platform'>,
  errors: PlatformErrors,
  check: Check,
  options: { rateHz?: number; seconds?: number } = {},
): Promise<StreamFlowFigures | null> {
  // Moderate: the guest runs under TCG on a shared machine.
  const rateHz = options.rateHz ?? 1000;
  const seconds = options.seconds ?? 3;
  const service = new SharedMemoryService(selected);
  const updates: StreamUpdate[] = [];
  service.subscribe('streamUpdate', (event) => {
    if (event.ok) updates.push(event.value);
  });
  const { value, failedWith } = resultCheckers(check);
  let figures: StreamFlowFigures | null = null;

  try {
    const status = value(await service.getStatus({}), 'getStatus');
    check('QUERY sets SHM_FEATURE_STREAM', ((status?.device?.features ?? 0) & SHM_FEATURE_STREAM) !== 0, JSON.stringify(status?.device));

    // One page cannot stream; the refusal keeps the allocation and the seed.
    value(await service.allocate({ size: 4096 }), 'allocate one page');
    const onePage = await service.startStream({ rateHz: 1000 });
    check(`Start stream on one page is refused (${errors.invalidParameter})`, failedWith(onePage, 'invalid-parameter', errors.invalidParameter),
      JSON.stringify(onePage));
    const seed = value(await service.readValues({ offset: 0, count: 10 }), 'readValues after refusal');
    check('the refused start left the seed as it was', JSON.stringify(seed?.values) === JSON.stringify(SEED_VALUES), JSON.stringify(seed));
    value(await service.release({}), 'release one page');

    const stopNothing = await service.stopStream({});
    check(`Stop stream with nothing allocated is refused (${errors.nothingAllocated})`,
      failedWith(stopNothing, 'nothing-allocated', errors.nothingAllocated), JSON.stringify(stopNothing));

    value(await service.allocate({ size: 1 << 20 }), 'allocate 1 MiB');
    const badRate = await service.startStream({ rateHz: 10, batch: 11 });
    check(`a batch above the rate is refused (${errors.invalidParameter})`, failedWith(badRate, 'invalid-parameter', errors.invalidParameter),
      JSON.stringify(badRate));

    const started = value(await service.startStream({ rateHz }), 'startStream');
    check(`Start stream at ${rateHz} records/s: a ring of ${started?.stream?.capacity ?? 0} records`,
      started?.stream?.state === 'running' && started.stream.capacity === 16384, JSON.stringify(started?.stream));
    const busy = await service.startStream({ rateHz });
    check(`a second Start stream is refused as busy (${errors.busy})`, failedWith(busy, 'busy', errors.busy), JSON.stringify(busy));

    await sleep(seconds * 1000);
    const stopped = value(await service.stopStream({}), 'stopStream');
    const last = updates[updates.length - 1];
    const s = last?.statistics;
    check('Stop stream: the stream is stopped and every record was read', stopped?.stream?.state === 'stopped' && last?.state === 'stopped',
      JSON.stringify(stopped?.stream));
    const expected = rateHz * seconds;
    check(`records follow the rate (${s?.records ?? 0} in ${seconds} s at ${rateHz}/s)`,
      s !== undefined && s.records > expected * 0.6 && s.records < expected * 1.4, JSON.stringify(s));
    check('every record verified (sequence, sample, check, reserved)', s?.invalid === 0 && s.firstProblem === null, JSON.stringify(s));
    check('none dropped at a moderate rate, no sequence skipped', s?.dropped === 0 && s.skipped === 0, JSON.stringify(s));
    check('latency percentiles from timestamp_ns (CLOCK_MONOTONIC) are measured',
      s?.latencyNs !== null && s !== undefined && s.latencyNs.p50 > 0 && s.latencyNs.p99 >= s.latencyNs.p50, JSON.stringify(s?.latencyNs));

    const frozen = s?.records ?? -1;
    await sleep(300);
    check('Stop stream freezes the count', updates[updates.length - 1]?.statistics.records === frozen);
    const again = value(await service.stopStream({}), 'stopStream again');
    check('stopping a stopped stream succeeds and changes nothing', again?.stream?.state === 'stopped');
    const restart = await service.startStream({ rateHz });
    check(`Start stream on a stopped stream's allocation is busy until release (${errors.busy})`, failedWith(restart, 'busy', errors.busy),
      JSON.stringify(restart));

    figures = {
      rateHz,
      seconds,
      records: s?.records ?? 0,
      dropped: s?.dropped ?? 0,
      latencyP50Ns: s?.latencyNs?.p50 ?? null,
      latencyP99Ns: s?.latencyNs?.p99 ?? null,
    };

    // Release while a stream runs: the consumer lets go before the pages go.
    value(await service.release({}), 'release');
    value(await service.allocate({ size: 256 * 1024 }), 'allocate 256 KiB');
    value(await service.startStream({ rateHz: 5000 }), 'startStream before release');
    await sleep(200);
    const released = value(await service.release({}), 'release while streaming');
    check('Release memory while streaming stops the stream and frees the pages',
      released?.allocation === null && released.stream === null, JSON.stringify(released));
  } finally {
    await service.dispose();
  }
  return figures;
}
