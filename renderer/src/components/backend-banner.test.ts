import { describe, expect, it } from 'vitest';
import { splitReason } from './backend-banner.js';

describe('splitReason', () => {
  it.each([
    [
      'Simulated driver — the kernel driver is not installed (ENOENT 2). Install it: npm run build:driver:linux',
      'Simulated driver — the kernel driver is not installed',
      '(ENOENT 2). Install it: npm run build:driver:linux',
    ],
    ['Simulated driver — chosen with --backend simulated', 'Simulated driver — chosen with --backend simulated', ''],
    ['Kernel driver (linux) — the device opened', 'Kernel driver (linux) — the device opened', ''],
    [
      'Simulated driver — the kernel driver is installed but this app may not open it (EACCES 13). Add yourself to group sharedmemory',
      'Simulated driver — the kernel driver is installed but this app may not open it',
      '(EACCES 13). Add yourself to group sharedmemory',
    ],
    ['no dash at all', 'no dash at all', ''],
  ])('%j', (reason, headline, details) => {
    expect(splitReason(reason)).toEqual({ headline, details });
  });
});
