// Regenerates the results table of RELIABILITY.md from reliability/results/*.json (written by the
// scenarios of `npm run test:reliability`): `node reliability/report.ts` rewrites the block between
// the markers, `--print` only prints it.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RESULTS_DIR, type ScenarioRow } from './support/results.ts';

const DOC = fileURLToPath(new URL('../RELIABILITY.md', import.meta.url));
const START = '<!-- results:start -->';
const END = '<!-- results:end -->';

const rows = readdirSync(RESULTS_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => JSON.parse(readFileSync(`${RESULTS_DIR}${name}`, 'utf8')) as ScenarioRow & { at: string });
const cell = (text: string | number) => String(text).replaceAll('|', '\\|');
const table = [
  '| scenario | load | faults injected | commands accepted | lost | duplicated | seconds | notes |',
  '| --- | --- | --- | ---: | ---: | ---: | ---: | --- |',
  ...rows.map((r) =>
    [r.scenario, r.load, r.faults, r.accepted, r.lost, r.duplicated, r.seconds, r.notes ?? '']
      .map(cell)
      .join(' | ')
      .replace(/^/, '| ')
      .concat(' |'),
  ),
  '',
  `Run of ${
    rows
      .map((r) => r.at)
      .sort()[0]
      ?.slice(0, 10) ?? '—'
  }: ${rows.length} scenarios, ${rows.reduce((n, r) => n + r.seconds, 0)} s in all.`,
].join('\n');

if (process.argv.includes('--print')) process.stdout.write(`${table}\n`);
else {
  const doc = readFileSync(DOC, 'utf8');
  const from = doc.indexOf(START);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`RELIABILITY.md has no ${START} … ${END} block`);
  writeFileSync(DOC, `${doc.slice(0, from + START.length)}\n${table}\n${doc.slice(to)}`);
}
