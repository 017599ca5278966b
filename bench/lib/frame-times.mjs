// The window's frame times: requestAnimationFrame deltas taken inside the
// page. Shared by the bench (ui-bench.mjs) and the Playwright test of the
// Stream section (e2e/web/stream.spec.ts).

/* global requestAnimationFrame */

/** requestAnimationFrame deltas (ms) over `ms` in `page` (a Playwright Page). */
export function frameDeltas(page, ms) {
  return page.evaluate(
    (duration) =>
      new Promise((resolve) => {
        const deltas = [];
        let last = performance.now();
        const end = last + duration;
        const step = (now) => {
          deltas.push(now - last);
          last = now;
          if (now < end) requestAnimationFrame(step);
          else resolve(deltas);
        };
        requestAnimationFrame(step);
      }),
    ms,
  );
}
