/**
 * Rebuild throughput: a projection version built from the start of an event log of N events (default
 * 200,000: 100,000 orders created and confirmed) into PostgreSQL, PGlite (files) and memory, with the
 * shop's order-status projection (a set-based read and one upsert per order per batch). Prints JSON
 * and writes bench/results/rebuild.json. Usage: KAFKA_BROKERS=host:port node bench/rebuild.ts [events]
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { orderStatusProjection } from '@sluice/orders/projections';
import {
  MemoryReadStore,
  openPGliteStore,
  openPostgresStore,
  prepareProjectionTables,
  type ReadStore,
  rebuildProjection,
} from '@sluice/store';
import { dropSchema, EventLog, type TestEvent, testConnectionString } from '@sluice/store/testing';

const events = Number(process.argv[2] ?? 200_000);
const brokers = (process.env.KAFKA_BROKERS ?? 'localhost:9092').split(',');

const log = await EventLog.create({
  brokers,
  prefix: `bench-rebuild-${randomBytes(4).toString('hex')}.`,
  aggregates: ['order'],
  partitions: 12,
});
const produceStart = performance.now();
const batch: TestEvent[] = [];
for (let i = 0; batch.length < events; i += 1) {
  const orderId = `o${i}`;
  const data = {
    orderId,
    userId: `u${i % 997}`,
    items: [{ name: 'tea', price: 450 + (i % 1000), quantity: 1 }],
  };
  batch.push({ aggregate: 'order', id: orderId, type: 'OrderCreated', data });
  batch.push({
    aggregate: 'order',
    id: orderId,
    type: 'OrderConfirmed',
    data: { orderId, userId: data.userId },
  });
}
await log.append(batch, 10_000);
const produceMs = performance.now() - produceStart;

async function measure(name: string, store: ReadStore): Promise<Record<string, unknown>> {
  const started = performance.now();
  const rebuild = await rebuildProjection({
    store,
    connection: log.connection,
    projection: orderStatusProjection,
    topicPrefix: log.prefix,
  });
  let peak = 0;
  for await (const p of rebuild.progress()) peak = Math.max(peak, p.eventsPerSecond);
  await rebuild.done;
  const seconds = (performance.now() - started) / 1000;
  const { orders } = await prepareProjectionTables(store, orderStatusProjection, rebuild.version);
  const rows = (await store.findRows(orders!)).length;
  return {
    store: name,
    events,
    rows,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(events / seconds),
    peakEventsPerSecond: peak,
  };
}

const results: Record<string, unknown>[] = [];
const memory = new MemoryReadStore();
results.push(await measure('memory', memory));
await memory.close();
const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-pglite-'));
const pglite = await openPGliteStore({ dataDir: dir });
results.push(await measure('pglite', pglite));
await pglite.close();
await rm(dir, { recursive: true, force: true });
const schema = `bench_rebuild_${randomBytes(4).toString('hex')}`;
const postgres = await openPostgresStore({ connectionString: testConnectionString(), schema });
results.push(await measure('postgres', postgres));
await postgres.close();
await dropSchema(schema);
await log.close();

const report = {
  benchmark: 'rebuild',
  partitions: 12,
  produced: { events, ms: Math.round(produceMs) },
  projection: orderStatusProjection.name,
  results,
  at: new Date().toISOString(),
};
await writeFile(new URL('./results/rebuild.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
console.log(JSON.stringify(report, null, 2));
