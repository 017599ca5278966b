// Runs a system tool (sc.exe, modprobe, modinfo, whoami) with a time limit and
// hands back its exit code and output. Never rejects: a tool that cannot be
// started or runs too long is a result too, which the callers turn into words.
import { execFile } from 'node:child_process';

export interface CommandResult {
  /** The tool's exit code; null when it did not run to an exit (see failure). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Why there is no exit code: "not found", "timed out after N ms", or the OS error. */
  failure: string | null;
}

export type RunCommand = (file: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;

export const runCommand: RunCommand = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      file,
      [...args],
      { timeout: timeoutMs, windowsHide: true, encoding: 'utf8', maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve({ exitCode: 0, stdout, stderr, failure: null });
          return;
        }
        const { code, killed, signal } = error as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null };
        if (typeof code === 'number') {
          resolve({ exitCode: code, stdout, stderr, failure: null });
        } else if (code === 'ENOENT') {
          resolve({ exitCode: null, stdout, stderr, failure: `${file} not found` });
        } else if (killed || signal) {
          resolve({ exitCode: null, stdout, stderr, failure: `${file} timed out after ${timeoutMs} ms` });
        } else {
          resolve({ exitCode: null, stdout, stderr, failure: `${file}: ${error.message}` });
        }
      },
    );
  });
