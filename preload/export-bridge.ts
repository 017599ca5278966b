// Export to a file, as the preload exposes it: one function on one channel;
// the main process shows the save dialog and writes the file.
import { EXPORT_CHANNEL } from '../api/api-names.js';
import type { ExportBridge, ExportRequest, ExportResult } from '../api/export-api.js';
import type { InvokeChannel } from './bridge.js';

export function createExportBridge(invoke: InvokeChannel): ExportBridge {
  return Object.freeze({
    exportRange: async (request: ExportRequest): Promise<ExportResult> => {
      try {
        return (await invoke(EXPORT_CHANNEL, request)) as ExportResult;
      } catch (error) {
        return {
          ok: false,
          error: {
            operation: 'export',
            kind: 'transport',
            message: `export failed: the app's main process did not answer (${error instanceof Error ? error.message : String(error)}).`,
            hint: 'Restart SharedMemory',
          },
        };
      }
    },
  });
}
