import { describe, expect, it } from 'vitest';
import { restartAdvice, SERVICE_STATE_WORDS, splitReason } from './backend-banner.js';

describe('the banner\'s words', () => {
  it('names every driver service state in words, never its token', () => {
    expect(Object.values(SERVICE_STATE_WORDS).some((words) => words.includes('-'))).toBe(false);
    expect(SERVICE_STATE_WORDS).toEqual({
      running: 'running',
      stopped: 'installed, stopped',
      'not-installed': 'not installed',
      unknown: 'state unknown',
    });
  });

  it('says what starting again means where the window runs', () => {
    expect(restartAdvice('electron')).toContain('quit SharedMemory and open it again');
    expect(restartAdvice('web-socket')).toContain('npm run start:web');
    expect(restartAdvice('web-socket')).not.toContain('app again');
  });
});

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
