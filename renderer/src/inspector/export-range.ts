// Export a range of the mapping to a file: inside Electron the main process
// asks where and writes it (the preload's exportRange); in a browser the page
// reads the range through the API and offers it as a download.
import { EXPORT_BRIDGE_KEY } from '../../../api/api-names.js';
import { suggestedExportName, type ExportBridge } from '../../../api/export-api.js';
import { MappingReadError, readBytes } from '../../../api/mapping-bytes.js';
import type { SharedMemoryApi } from '../../../api/shared-memory-api.js';

export type ExportOutcome = { ok: true; message: string } | { ok: false; message: string };

export function findExportBridge(host: object): ExportBridge | null {
  const bridge: unknown = Reflect.get(host, EXPORT_BRIDGE_KEY);
  if (typeof bridge !== 'object' || bridge === null) return null;
  return typeof Reflect.get(bridge, 'exportRange') === 'function' ? (bridge as ExportBridge) : null;
}

/** Offers bytes as a file download (browser mode). */
function download(document: Document, bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference by now.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export async function exportMappingRange(
  host: Window,
  api: SharedMemoryApi,
  offset: number,
  length: number,
  onProgress: (done: number) => void,
): Promise<ExportOutcome> {
  const name = suggestedExportName(offset, length);
  const bridge = findExportBridge(host);
  if (bridge) {
    const result = await bridge.exportRange({ offset, length, suggestedName: name });
    if (!result.ok) return { ok: false, message: result.error.message };
    return result.value.saved
      ? { ok: true, message: `Exported ${result.value.bytes} bytes to ${result.value.path}` }
      : { ok: true, message: 'Export cancelled; nothing was saved' };
  }
  try {
    const bytes = await readBytes(api.readValues, offset, length, onProgress);
    download(host.document, bytes, name);
    return { ok: true, message: `Exported ${length} bytes as ${name}` };
  } catch (error) {
    return { ok: false, message: error instanceof MappingReadError ? error.error.message : String(error) };
  }
}
