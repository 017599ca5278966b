// Writes what a results.json is shown as: table.md, plots/*.svg and, for the
// committed full run, the table section of bench/README.md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { allocationCostSvg, dataPathSvg, querySvg } from './plots.mjs';
import { findings, markdownTable } from './report.mjs';

const START = '<!-- bench-table:start -->';
const END = '<!-- bench-table:end -->';

export function renderOutputs(results) {
  return {
    svgs: { 'query.svg': querySvg(results), 'allocation-cost.svg': allocationCostSvg(results), 'data-path.svg': dataPathSvg(results) },
    table: `${markdownTable(results)}\n\n**What this run says**\n\n${findings(results)}`,
  };
}

/** Writes table.md and plots/ under outDir; returns the paths written. */
export function writeOutputs(outDir, { svgs, table }) {
  const plotDir = join(outDir, 'plots');
  mkdirSync(plotDir, { recursive: true });
  const written = [join(outDir, 'table.md')];
  writeFileSync(written[0], `${table}\n`);
  for (const [name, svg] of Object.entries(svgs)) {
    writeFileSync(join(plotDir, name), svg);
    written.push(join(plotDir, name));
  }
  return written;
}

/** Replaces the text between the README's table markers. */
export function updateReadme(readmePath, table) {
  const text = readFileSync(readmePath, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${readmePath} lacks the ${START} ... ${END} markers`);
  writeFileSync(readmePath, `${text.slice(0, a + START.length)}\n${table}\n${text.slice(b)}`);
}
