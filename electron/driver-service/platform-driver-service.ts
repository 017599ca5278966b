// This platform's driver service control: the Windows service or the Linux
// module, or null where the app has no kernel driver to manage.
import type { DriverServiceControl } from './driver-service.js';
import { createLinuxDriverService } from './linux-driver-service.js';
import { createWindowsDriverService } from './windows-driver-service.js';

export function createPlatformDriverService(platform: NodeJS.Platform = process.platform): DriverServiceControl | null {
  if (platform === 'linux') return createLinuxDriverService();
  if (platform === 'win32') return createWindowsDriverService();
  return null;
}
