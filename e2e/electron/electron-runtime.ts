// Where the Electron runtime is installed, without triggering its download
// (node_modules/electron's own launcher fetches it when missing).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/web-server.js';

export type ElectronRuntime = { path: string; missing: null } | { path: null; missing: string };

export function findElectronRuntime(): ElectronRuntime {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    const path = join(override, process.platform === 'win32' ? 'electron.exe' : 'electron');
    return existsSync(path) ? { path, missing: null } : { path: null, missing: `ELECTRON_OVERRIDE_DIST_PATH has no ${path}` };
  }
  const packageDir = join(ROOT, 'node_modules', 'electron');
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      path: null,
      missing:
        'the Electron runtime is not installed (node_modules/electron/path.txt is missing: its binary is downloaded from GitHub, which this machine cannot reach)',
    };
  }
  const path = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? { path, missing: null } : { path: null, missing: `the Electron executable ${path} is missing` };
}
