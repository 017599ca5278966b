import type { Page } from '@playwright/test';

/** requestAnimationFrame deltas (ms) over `ms` in `page`. */
export function frameDeltas(page: Page, ms: number): Promise<number[]>;
