/**
 * Regenerates BENCH.md's figures (between `<!-- bench:figures -->` and `<!-- /bench:figures -->`:
 * table, machine, checks) and docs/bench-chart.svg from a results JSON of `npm run bench`.
 * Usage: node bench/report.ts FILE
 */
import { readFile, writeFile } from 'node:fs/promises';
import { chartSvg } from './chart.ts';
import { KAFKA_STREAMS, TARGETS, valueAt } from './targets.ts';

interface Report {
  readonly at: string;
  readonly durationSeconds: number;
  readonly machine: Record<string, unknown>;
  readonly config: Record<string, unknown>;
  readonly results: Record<string, unknown>;
  readonly checks: Record<string, Record<string, { ok: boolean; detail: string }>>;
  readonly failures: readonly string[];
}

const ROWS: readonly [path: string, unit: string][] = [
  ['drainCommandsPerSec', 'commands/s'],
  ['drainWithStartupPerSec', 'commands/s'],
  ['nullProcessorPerSec', 'commands/s'],
  ['drainVsNull', ''],
  ['rawTxnProducePerSec', 'records/s'],
  ['latencyAt1kMs.p50', 'ms'],
  ['latencyAt1kMs.p99', 'ms'],
  ['latencyAt1kMs.max', 'ms'],
  ['commandsPerSec', 'commands/s'],
  ['visibilityLatencyMs.p50', 'ms'],
  ['visibilityLatencyMs.p99', 'ms'],
  ['rebuildEventsPerSec.postgres', 'events/s'],
  ['rebuildEventsPerSec.pglite', 'events/s'],
  ['rebuildEventsPerSec.memory', 'events/s'],
  ['rawConsumePerSec', 'records/s'],
  ['httpCommandsPerSec', 'commands/s'],
  ['queryP99Ms', 'ms'],
  ['processorRssMb', 'MB'],
  ['restoreSeconds', 's'],
];

const number = (value: number) => value.toLocaleString('en-GB', { maximumFractionDigits: 3 });

/** The Markdown of the figures section. */
export function figuresMarkdown(report: Report): string {
  const lines = ['| metric | value | target | Kafka Streams |', '|---|---:|---:|---:|'];
  for (const [path, unit] of ROWS) {
    const value = valueAt(report.results, path);
    const target = TARGETS[path];
    const met =
      target && value !== undefined
        ? (target.at === 'least' ? value >= target.value : value <= target.value)
          ? ' ✓'
          : ' ✗'
        : '';
    const targetText = target ? `${target.at === 'least' ? '≥' : '≤'} ${number(target.value)}${met}` : '';
    const shown = value === undefined ? 'not measured' : `${number(value)} ${unit}`.trim();
    lines.push(`| \`${path}\` | ${shown} | ${targetText} | ${KAFKA_STREAMS[path] ?? ''} |`);
  }
  const machine = report.machine;
  const checks = Object.entries(report.checks).flatMap(([scenario, list]) =>
    Object.entries(list).map(
      ([name, check]) => `${check.ok ? '✓' : '✗'} ${scenario}/${name}: ${check.detail}`,
    ),
  );
  return [
    lines.join('\n'),
    '',
    `Measured ${report.at.slice(0, 16).replace('T', ' ')} UTC in ${report.durationSeconds} s on ${machine.cores} cores ` +
      `(${machine.cpuModel}), ${machine.memGb} GB, Node ${machine.node}, Kafka ${machine.kafka}, ` +
      `@platformatic/kafka ${machine.platformaticKafka}; ${report.config.partitions} partitions, batch ${report.config.batch}` +
      (report.config.processorLingerMs === undefined
        ? ''
        : `, batch wait ${report.config.processorLingerMs} ms, gateway linger ${report.config.gatewayLingerMs} ms`) +
      (Array.isArray(report.config.nodeFlags) && report.config.nodeFlags.length > 0
        ? `; node ${report.config.nodeFlags.join(' ')}.`
        : '.'),
    '',
    '<details><summary>Correctness checks of that run</summary>',
    '',
    ...checks.map((check) => `- ${check}`),
    ...(report.failures.length > 0 ? ['', `Failures: ${report.failures.join('; ')}`] : []),
    '',
    '</details>',
  ].join('\n');
}

if (import.meta.main) {
  const [file] = process.argv.slice(2);
  if (!file) throw new Error('usage: node bench/report.ts FILE');
  const report = JSON.parse(await readFile(file, 'utf8')) as Report;
  const bench = new URL('../BENCH.md', import.meta.url);
  const text = await readFile(bench, 'utf8');
  const start = '<!-- bench:figures -->';
  const end = '<!-- /bench:figures -->';
  if (!text.includes(start) || !text.includes(end)) throw new Error(`BENCH.md lacks ${start} … ${end}`);
  const updated = `${text.slice(0, text.indexOf(start) + start.length)}\n${figuresMarkdown(report)}\n${text.slice(text.indexOf(end))}`;
  await writeFile(bench, updated);
  await writeFile(new URL('../docs/bench-chart.svg', import.meta.url), chartSvg(report.results));
  console.error('updated BENCH.md and docs/bench-chart.svg');
}
