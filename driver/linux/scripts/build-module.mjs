#!/usr/bin/env node
// npm run build:driver:linux: builds sharedmemory.ko with Kbuild against $KDIR
// or the newest installed linux-headers-*-amd64 (the kernel the test VM
// boots), warnings fatal (SHM_WERROR=1, see Kbuild), and copies it to
// dist/driver/linux/sharedmemory.ko.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelBuildDir } from './kernel-version.mjs';

const sourceDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const projectRoot = resolve(sourceDir, '../..');
const kdir = kernelBuildDir();
const outDir = join(projectRoot, 'dist/driver/linux');

try {
  execFileSync('make', ['-C', kdir, `M=${sourceDir}`, 'SHM_WERROR=1', 'modules'], { stdio: 'inherit' });
} catch {
  console.error(`build:driver:linux: Kbuild failed against ${kdir}`);
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
copyFileSync(join(sourceDir, 'sharedmemory.ko'), join(outDir, 'sharedmemory.ko'));
console.log(`build:driver:linux: ${join('dist/driver/linux', 'sharedmemory.ko')} (kernel headers ${kdir})`);
