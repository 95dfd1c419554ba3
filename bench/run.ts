/**
 * Sluice's benchmark suite (#15): `npm run bench -- --json FILE [--brokers host:port] [--only a,b]
 * [--commands N ...]`. Scenarios: drain, null, raw, latency (one deployment), gateway (commandsPerSec
 * and visibility), rebuild (with rawConsume), http (roles as processes), memory (RSS and restore).
 * Progress goes to stderr, results to FILE; the process exits 1 when a correctness check fails.
 * Without --brokers or KAFKA_BROKERS it starts its own broker on port 28900 (.sluice/bench-kafka).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_GATEWAY_LINGER_MS,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_BATCH,
  missingProcessorNodeFlags,
} from '@sluice/kafka';
import { KAFKA_VERSION, type LocalKafka, startLocalKafka } from '@sluice/local-kafka';
import { DEFAULT_DATABASE_URL } from '@sluice/store';
import type { BenchContext } from './deployment.ts';
import { gatewayScenario } from './gateway.ts';
import { httpScenario } from './http-roles.ts';
import { allHold, type CheckReport } from './job.ts';
import { processorScenario } from './processor-drain.ts';
import { memoryScenario } from './processor-memory.ts';
import { rebuildScenario } from './rebuild.ts';
import { evaluateTargets } from './targets.ts';

const SCENARIOS = ['drain', 'null', 'raw', 'latency', 'gateway', 'rebuild', 'http', 'memory'] as const;

/** Sizes and their defaults (the full run); every one can be set with --<name>. */
const SIZES = {
  commands: 200_000,
  warmup: 100_000,
  'warmup-rounds': 6,
  'latency-commands': 20_000,
  'latency-rate': 1_000,
  'raw-commands': 100_000,
  batch: 0,
  'gateway-commands': 50_000,
  'gateway-concurrency': 2_000,
  'visibility-commands': 10_000,
  'visibility-rate': 500,
  'rebuild-events': 500_000,
  'http-commands': 20_000,
  'http-concurrency': 64,
  'query-seconds': 20,
  aggregates: 100_000,
};

const { values } = parseArgs({
  options: {
    json: { type: 'string' },
    brokers: { type: 'string' },
    only: { type: 'string', default: SCENARIOS.join(',') },
    partitions: { type: 'string', default: '12' },
    'database-url': { type: 'string', default: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL },
    ...Object.fromEntries(Object.keys(SIZES).map((name) => [name, { type: 'string' as const }])),
  },
});

const began = performance.now();
function log(line: string): void {
  const seconds = ((performance.now() - began) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds} s] ${line}\n`);
}

// The drain and latency scenarios run the processor in this process, as `npm start` runs it.
const missingFlags = missingProcessorNodeFlags();
if (missingFlags.length > 0)
  log(
    `note: started without ${missingFlags.join(' ')}; \`npm run bench\` passes them (PROCESSOR_NODE_FLAGS)`,
  );

const only = new Set(values.only.split(',').map((name) => name.trim()));
for (const name of only)
  if (!(SCENARIOS as readonly string[]).includes(name))
    throw new Error(`--only: unknown scenario ${name}; known: ${SCENARIOS.join(', ')}`);
const sizes: Record<string, number> = {};
for (const [name, fallback] of Object.entries(SIZES)) {
  const text = (values as Record<string, string | undefined>)[name];
  const camel = name.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
  sizes[camel] = text === undefined ? fallback : Number(text);
  if (!Number.isSafeInteger(sizes[camel]) || sizes[camel]! < 0)
    throw new Error(`--${name} must be a whole number`);
}

let localKafka: LocalKafka | undefined;
let brokers = (values.brokers ?? process.env.KAFKA_BROKERS)?.split(',');
if (!brokers) {
  log('no --brokers and no KAFKA_BROKERS: starting a broker on port 28900 (.sluice/bench-kafka)');
  localKafka = await startLocalKafka({ dataDir: '.sluice/bench-kafka', port: 28900, onProgress: log });
  brokers = localKafka.brokers;
}

// Store helpers (schemas dropped at the end) read the database from the environment.
process.env.DATABASE_URL = values['database-url'];
const context: BenchContext = {
  brokerPids: localKafka?.nodes.map((node) => node.pid()).filter((pid) => pid !== undefined) ?? [],
  brokers,
  partitions: Number(values.partitions),
  sizes,
  databaseUrl: values['database-url'],
  log,
};
const results: Record<string, unknown> = {};
const details: Record<string, unknown> = {};
const checks: Record<string, CheckReport> = {};
const failures: string[] = [];

async function scenario(
  name: string,
  run: () => Promise<{ results: object; details?: object; checks?: CheckReport }>,
) {
  const started = performance.now();
  try {
    const outcome = await run();
    Object.assign(results, outcome.results);
    if (outcome.details) details[name] = outcome.details;
    if (outcome.checks) checks[name] = outcome.checks;
    if (outcome.checks && !allHold(outcome.checks)) failures.push(`${name}: a correctness check failed`);
  } catch (error) {
    failures.push(`${name}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    log(`${name} failed: ${String(error)}`);
  }
  log(`${name} took ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

try {
  if (['drain', 'null', 'raw', 'latency'].some((name) => only.has(name)))
    await scenario('processor', () => processorScenario(context, only));
  if (only.has('gateway')) await scenario('gateway', () => gatewayScenario(context));
  if (only.has('rebuild')) await scenario('rebuild', () => rebuildScenario(context));
  if (only.has('http')) await scenario('http', () => httpScenario(context));
  if (only.has('memory')) await scenario('memory', () => memoryScenario(context));
} finally {
  if (localKafka?.started) {
    log('stopping the broker this run started');
    await localKafka.stop();
  }
}

const platformatic = JSON.parse(
  // The package exports no package.json; the workspace hoists it to the root node_modules.
  await readFile(new URL('../node_modules/@platformatic/kafka/package.json', import.meta.url), 'utf8'),
) as { version: string };
const report = {
  at: new Date().toISOString(),
  durationSeconds: Math.round((performance.now() - began) / 1000),
  machine: {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model ?? 'unknown',
    memGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kafka: localKafka ? KAFKA_VERSION : `${KAFKA_VERSION} (expected; external broker ${brokers.join(',')})`,
    platformaticKafka: platformatic.version,
  },
  config: {
    ...sizes,
    partitions: context.partitions,
    batch: sizes.batch || DEFAULT_MAX_BATCH,
    nullBatch: sizes.batch || DEFAULT_MAX_BATCH,
    processorLingerMs: DEFAULT_LINGER_MS,
    gatewayLingerMs: DEFAULT_GATEWAY_LINGER_MS,
    nodeFlags: process.execArgv,
    scenarios: [...only],
  },
  results,
  targets: evaluateTargets(results),
  checks,
  details,
  failures,
};
const json = `${JSON.stringify(report, null, 2)}\n`;
if (values.json) {
  await mkdir(dirname(values.json), { recursive: true });
  await writeFile(values.json, json);
  log(`results written to ${values.json}`);
} else process.stdout.write(json);
if (failures.length > 0) {
  log(`FAILED:\n${failures.join('\n')}`);
  process.exit(1);
}
log('done');
process.exit(0);
