import { describe, expect, it } from 'vitest';
import { createPlatformDriverService } from './platform-driver-service.js';

describe('createPlatformDriverService', () => {
  it('has a control for Linux and Windows, none elsewhere', () => {
    expect(createPlatformDriverService('linux')).not.toBeNull();
    expect(createPlatformDriverService('win32')).not.toBeNull();
    expect(createPlatformDriverService('darwin')).toBeNull();
  });

  it('without sc.exe, the Windows control reports unknown instead of throwing', async () => {
    if (process.platform === 'win32') return;
    const status = await createPlatformDriverService('win32')?.status();
    expect(status?.state).toBe('unknown');
    expect(status?.detail).toMatch(/sc\.exe not found/);
  });
});
