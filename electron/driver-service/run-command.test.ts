import { describe, expect, it } from 'vitest';
import { runCommand } from './run-command.js';

// Real processes: the host's node stands in for sc.exe / modprobe.
describe('runCommand', () => {
  it('returns exit code 0 and the output of a tool that succeeds', async () => {
    const r = await runCommand(process.execPath, ['-e', 'process.stdout.write("hello")'], 10_000);
    expect(r).toEqual({ exitCode: 0, stdout: 'hello', stderr: '', failure: null });
  });

  it('returns the exit code and stderr of a tool that fails', async () => {
    const r = await runCommand(process.execPath, ['-e', 'process.stderr.write("no"); process.exit(1060)'], 10_000);
    // Exit codes are 8 bits on Linux: 1060 & 0xff.
    expect(r.exitCode).toBe(process.platform === 'win32' ? 1060 : 1060 & 0xff);
    expect(r.stderr).toBe('no');
    expect(r.failure).toBeNull();
  });

  it('reports a tool that does not exist instead of throwing', async () => {
    const r = await runCommand('/nonexistent/sharedmemory-tool', [], 10_000);
    expect(r.exitCode).toBeNull();
    expect(r.failure).toBe('/nonexistent/sharedmemory-tool not found');
  });

  it('stops a tool that runs past its time limit', async () => {
    const started = Date.now();
    const r = await runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], 300);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.exitCode).toBeNull();
    expect(r.failure).toMatch(/timed out after 300 ms/);
  });
});
