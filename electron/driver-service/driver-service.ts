// Knows whether the kernel driver is installed and running, and can start it.
// Windows: the SharedMemory kernel service; Linux: the sharedmemory module.
import type { DriverServiceStatus } from '../../api/shared-memory-api.js';

export interface DriverServiceControl {
  status(): Promise<DriverServiceStatus>;
  /** Starts the driver; rejects with a clear message when it cannot. */
  start(): Promise<void>;
}
