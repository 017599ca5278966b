#!/usr/bin/env node
// Re-renders the table, the plots and the README section from an existing
// results.json, without running anything:
//   node bench/render-results.mjs [--results bench/results.json] [--readme]
// With --raw DIR (a run's bench/output/<profile>-guest), first summarises that
// run's raw timings again into the results file.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { renderOutputs, updateReadme, writeOutputs } from './lib/write-outputs.mjs';
import { buildResults } from './lib/summarize.mjs';

const root = new URL('..', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    results: { type: 'string', default: 'bench/results.json' },
    readme: { type: 'boolean', default: false },
    raw: { type: 'string' },
  },
});
const file = resolve(root, values.results);
const readJson = (path) => JSON.parse(readFileSync(path, 'utf8'));
let results;
if (values.raw) {
  const dir = resolve(root, values.raw);
  results = buildResults({ raw: readJson(`${dir}/guest-raw.json`), ui: readJson(`${dir}/ui-raw.json`), meta: readJson(`${dir}/meta.json`) });
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
} else {
  results = readJson(file);
}
const rendered = renderOutputs(results);
const written = writeOutputs(dirname(file), rendered);
if (values.readme) {
  updateReadme(resolve(root, 'bench/README.md'), rendered.table);
  written.push(resolve(root, 'bench/README.md'));
}
console.log(`bench: wrote ${written.join(', ')}`);
