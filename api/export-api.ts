// Export a range of the mapping to a file (Electron's main process; see
// EXPORT_CHANNEL). The request is checked here like every API request.
import { z } from 'zod';
import type { ApiResult } from './shared-memory-api.js';

export const exportRequestSchema = z
  .object({
    offset: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    length: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
    /** The file name the dialog proposes, e.g. "sharedmemory-0x0-4096.bin". */
    suggestedName: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/),
  })
  .strict();
export type ExportRequest = z.infer<typeof exportRequestSchema>;

export type ExportOutcome = { saved: false } | { saved: true; path: string; bytes: number };
export type ExportResult = ApiResult<ExportOutcome>;

/** What the renderer calls inside Electron. */
export interface ExportBridge {
  exportRange(request: ExportRequest): Promise<ExportResult>;
}

/** The file name proposed for a range: where it starts and how long it is. */
export const suggestedExportName = (offset: number, length: number): string =>
  `sharedmemory-0x${offset.toString(16)}-${length}.bin`;
