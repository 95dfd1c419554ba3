/**
 * A projector in a process of its own, for crash and lease tests: prints one JSON line per event
 * (`lease`, `batch`, `failure`) and runs until SIGTERM. Usage:
 * projector-child.ts <schema> <projection> <topic-prefix> <brokers> [batchDelayMs]
 */
import { openPostgresStore } from '../../postgres/postgres-store.ts';
import { Projector } from '../projector.ts';
import { poisonableOrders } from './shop-fixtures.ts';
import { testConnectionString } from './test-stores.ts';

const [schema, name, prefix, brokers, delay] = process.argv.slice(2);
if (!schema || !name || prefix === undefined || !brokers)
  throw new Error('usage: <schema> <projection> <prefix> <brokers>');
const store = await openPostgresStore({
  connectionString: testConnectionString(),
  schema,
  maxConnections: 3,
});
const projector = new Projector({
  store,
  connection: { brokers: brokers.split(','), clientId: `child-${process.pid}` },
  projection: poisonableOrders(name, { fixed: true }),
  topicPrefix: prefix,
  holder: `child-${process.pid}`,
  leaseTtlMs: 2500,
  renewEveryMs: 500,
  maxBatchRecords: 200,
  batchDelayMs: Number(delay ?? 0),
});
const print = (event: string, detail: Record<string, unknown>) =>
  process.stdout.write(`${JSON.stringify({ event, at: Date.now(), pid: process.pid, ...detail })}\n`);
projector.on('lease', (held: boolean) => print('lease', { held }));
projector.on('batch', (b: { records: number; rowsWritten: number }) =>
  print('batch', { records: b.records }),
);
projector.on('failure', (error: Error & { code?: string }) =>
  print('failure', { code: error.code ?? error.name, message: String(error.message).slice(0, 200) }),
);
await projector.start();
print('started', {});
process.on('SIGTERM', () => {
  void projector.stop().then(async () => {
    await store.close();
    process.exit(0);
  });
});
