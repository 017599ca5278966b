// The main process's side of Export: one IPC handler that checks who asks
// (the app's own page only) and what (the schema, the range inside the
// mapping), asks the user where to save, then streams the range from the
// mapping into that file through the service's readValues. A failure part-way
// removes the partial file and comes back as an ApiError, never a throw.
import { open, rm } from 'node:fs/promises';
import { EXPORT_CHANNEL } from '../../api/api-names.js';
import { exportRequestSchema, type ExportResult } from '../../api/export-api.js';
import { MappingReadError, readByteRange, type ReadValues } from '../../api/mapping-bytes.js';
import type { ApiError, ApiResult, Status, Values } from '../../api/shared-memory-api.js';
import type { ApiInvoker, IpcMainLike } from '../ipc/api-handlers.js';

export interface ExportDependencies {
  read: ReadValues;
  /** The mapping's size now, or null when nothing is allocated. */
  mappedSize: () => Promise<number | null>;
  /** Asks where to save (a save dialog); null when the user cancels. */
  chooseFile: (suggestedName: string) => Promise<string | null>;
  isTrustedFrame: (url: string | undefined | null) => boolean;
}

/** Reading and sizing the mapping through the service's own validated calls. */
export function exportSourceOf(service: ApiInvoker): Pick<ExportDependencies, 'read' | 'mappedSize'> {
  return {
    // The service answers each channel with that channel's response type.
    read: (request) => service.invoke('readValues', request) as Promise<ApiResult<Values>>,
    mappedSize: async () => {
      const status = (await service.invoke('getStatus', {})) as ApiResult<Status>;
      return status.ok ? (status.value.allocation?.mappedSize ?? null) : null;
    },
  };
}

const failure = (kind: string, message: string, hint?: string): ExportResult => {
  const error: ApiError = { operation: 'export', kind, message, ...(hint ? { hint } : {}) };
  return { ok: false, error };
};

export async function exportRange(deps: ExportDependencies, request: unknown): Promise<ExportResult> {
  const parsed = exportRequestSchema.safeParse(request);
  if (!parsed.success) {
    return failure('invalid-request', `export refused an invalid request: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  }
  const { offset, length, suggestedName } = parsed.data;
  const size = await deps.mappedSize();
  if (size === null) return failure('not-allocated', 'Nothing to export: no memory is allocated.', 'Allocate memory first');
  if (offset + length > size) {
    return failure('invalid-request', `export refused: 0x${offset.toString(16)} + ${length} bytes is past the mapping's end (${size} bytes).`);
  }
  const path = await deps.chooseFile(suggestedName);
  if (path === null) return { ok: true, value: { saved: false } };

  let file;
  try {
    file = await open(path, 'w');
  } catch (error) {
    return failure('file', `Cannot write ${path}: ${error instanceof Error ? error.message : String(error)}`, 'Choose another place to save');
  }
  try {
    for await (const chunk of readByteRange(deps.read, offset, length)) await file.write(chunk.bytes);
    await file.close();
    return { ok: true, value: { saved: true, path, bytes: length } };
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(path, { force: true });
    if (error instanceof MappingReadError) return { ok: false, error: { ...error.error, operation: 'export' } };
    return failure('file', `Writing ${path} failed: ${error instanceof Error ? error.message : String(error)}`, 'Nothing was saved');
  }
}

/** Registers the export channel; returns a function that removes it again. */
export function registerExportHandler(ipc: IpcMainLike, deps: ExportDependencies): () => void {
  ipc.handle(EXPORT_CHANNEL, async (event, ...args) => {
    if (!deps.isTrustedFrame(event.senderFrame?.url)) {
      return failure('forbidden-sender', 'export refused: the request did not come from the SharedMemory window.');
    }
    if (args.length !== 1) return failure('invalid-request', `export refused: expected one request object, got ${args.length} arguments.`);
    return exportRange(deps, args[0]);
  });
  return () => ipc.removeHandler(EXPORT_CHANNEL);
}
