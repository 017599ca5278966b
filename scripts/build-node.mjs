#!/usr/bin/env node
// Bundles the Node-side entry points with esbuild (see node-bundles.mjs):
// dist/electron/main.js, dist/preload/preload.cjs, dist/server/server.js.
//
//   node scripts/build-node.mjs [--quiet] [--out DIR]   (DIR defaults to dist)
import { build } from 'esbuild';
import { parseArgs } from 'node:util';
import { nodeBundles } from './node-bundles.mjs';

const { values } = parseArgs({
  options: {
    quiet: { type: 'boolean', default: false },
    out: { type: 'string', default: 'dist' },
  },
});
await Promise.all(Object.values(nodeBundles({ outDir: values.out, quiet: values.quiet })).map((options) => build(options)));
