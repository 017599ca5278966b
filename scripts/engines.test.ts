// package.json's engines must promise no less than what the pinned toolchain
// declares: every installed package's engines.node must hold wherever ours
// does, so `npm ci` on a supported Node prints no engine warning.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const ours = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node;
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } | string[]; optional?: boolean; os?: string[] }>;
};

describe('package.json engines', () => {
  it('covers every locked package\'s engines.node', () => {
    const narrower = Object.entries(lock.packages)
      .filter(([path]) => path !== '')
      .flatMap(([path, p]) => {
        const wanted = !Array.isArray(p.engines) ? p.engines?.node : undefined;
        if (!wanted || !semver.validRange(wanted)) return [];
        return semver.subset(ours, wanted, { includePrerelease: false }) ? [] : [`${path}@${p.version ?? '?'} wants node ${wanted}`];
      });
    expect(narrower, `engines.node is "${ours}"`).toEqual([]);
  });

  it('would catch a dependency that needs a newer Node', () => {
    expect(semver.subset('>=20.19', '>=22.12.0')).toBe(false);
    expect(semver.subset(ours, '>=22.12.0')).toBe(true);
    expect(semver.subset('>=22.12', '^20.0.0 || ^22.0.0 || >=24.0.0')).toBe(false);
  });
});
