// A command processor in a process of its own, for crash, zombie and rebalance tests. It runs the
// booking and shop deciders and prints one JSON line per event on stdout ({"event":"ready"}, then
// "assigned", "batch", "stopped"). SIGTERM stops it gracefully: the open batch finishes first.
// Configuration (environment): KAFKA_BROKERS, SLUICE_TOPIC_PREFIX, SLUICE_PARTITIONS,
// SLUICE_INSTANCE_ID, SLUICE_MAX_BATCH, SLUICE_LINGER_MS, SLUICE_SESSION_TIMEOUT_MS; with NODE_ENV=test
// also SLUICE_FAULT and SLUICE_UNSAFE.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CONSUMER_JS = '@platformatic/kafka/dist/clients/consumer/consumer.js';

function emit(event: string, details: object = {}): void {
  process.stdout.write(`${JSON.stringify({ event, ...details })}\n`);
}

// Test-only: serve the consumer as published, without the read_committed patch (PATCHES.md), so a
// test can show that the patch is what keeps aborted commands out. Must run before the client loads.
function serveUnpatchedConsumer(): void {
  const root = fileURLToPath(new URL('../../../../', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'sluice-unpatched-'));
  const out = join(dir, 'consumer.js');
  // The patch covers other files too: reverse only the consumer's part.
  const patch = readFileSync(join(root, 'patches/@platformatic+kafka+2.12.1.patch'), 'utf8');
  const consumerPart = patch.split(/^(?=diff --git )/m).find((part) => part.includes(CONSUMER_JS));
  if (!consumerPart) throw new Error(`the patch has no part for ${CONSUMER_JS}`);
  writeFileSync(join(dir, 'consumer.patch'), consumerPart);
  execFileSync('patch', [
    '-R',
    '-s',
    '-o',
    out,
    join(root, 'node_modules', CONSUMER_JS),
    join(dir, 'consumer.patch'),
  ]);
  const source = readFileSync(out, 'utf8');
  registerHooks({
    load(url, context, nextLoad) {
      if (url.endsWith(CONSUMER_JS)) return { format: 'module', source, shortCircuit: true };
      return nextLoad(url, context);
    },
  });
}

const { unsafe } = await import('../fault.ts');
if (unsafe('no-read-committed-patch')) serveUnpatchedConsumer();

const { createCommandRegistry } = await import('@sluice/core');
const { bookingCommands, bookingDeciders } = await import('@sluice/booking');
const { shopCommands, shopDeciders } = await import('@sluice/orders/domain');
const { CommandProcessor } = await import('../processor/command-processor.ts');

const env = process.env;
const numberFrom = (name: string): number | undefined =>
  env[name] === undefined || env[name] === '' ? undefined : Number(env[name]);
const brokers = (env.KAFKA_BROKERS ?? 'localhost:9092').split(',');
const instanceId = env.SLUICE_INSTANCE_ID ?? `child-${process.pid}`;

const processor = new CommandProcessor({
  connection: { brokers, clientId: `sluice-${instanceId}` },
  registry: createCommandRegistry([...bookingCommands.definitions(), ...shopCommands.definitions()]),
  deciders: new Map(Object.entries({ ...bookingDeciders, ...shopDeciders })),
  instanceId,
  ...(env.SLUICE_TOPIC_PREFIX ? { topicPrefix: env.SLUICE_TOPIC_PREFIX } : {}),
  ...optional('partitions', numberFrom('SLUICE_PARTITIONS')),
  ...optional('maxBatch', numberFrom('SLUICE_MAX_BATCH')),
  ...optional('lingerMs', numberFrom('SLUICE_LINGER_MS')),
  ...optional('sessionTimeoutMs', numberFrom('SLUICE_SESSION_TIMEOUT_MS')),
  logger: {
    info(details, message) {
      if (message === 'command partitions assigned') emit('assigned', details);
      else emit('info', { message, ...details });
    },
    warn: (details, message) => emit('warn', { message, ...details }),
    error: (details, message) => emit('error', { message, ...details }),
  },
  onBatch: (stats) =>
    emit('batch', {
      commands: stats.commands,
      events: stats.events,
      at: Date.now(),
      durationMs: round(stats.durationMs),
      stages: Object.fromEntries(Object.entries(stats.stages).map(([stage, ms]) => [stage, round(ms)])),
    }),
});

const round = (ms: number) => Math.round(ms * 10) / 10;

function optional<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

process.once('SIGTERM', () => {
  processor.stop().then(
    () => {
      emit('stopped');
      process.exit(0);
    },
    (error: unknown) => {
      emit('error', { message: String(error) });
      process.exit(1);
    },
  );
});

emit('ready', { instanceId, pid: process.pid });
processor.start().catch((error: unknown) => {
  emit('error', { message: `processor stopped: ${String(error)}` });
  process.exit(2);
});
