/**
 * `rebuildEventsPerSec {postgres, pglite, memory}`: a projection version built from the start of an
 * event log of N events (default 500,000: orders created and confirmed) with the shop's order-status
 * projection (a set-based read and one upsert per order per batch); and `rawConsumePerSec`: the same
 * topic read raw (read_committed fetches as the projector makes them, no decoding, no store).
 */
import { mkdtemp, rm } from 'node:fs/promises';
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
import { dropSchema, EventLog, type TestEvent } from '@sluice/store/testing';
import type { BenchContext } from './deployment.ts';
import { readToEnd } from './readback.ts';

/** Writes `events` order events (created, confirmed) in transactions of 10,000. */
async function writeLog(log: EventLog, events: number): Promise<void> {
  for (let from = 0; from < events; from += 100_000) {
    const batch: TestEvent[] = [];
    for (let i = from / 2; batch.length < Math.min(100_000, events - from); i += 1) {
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
  }
}

/** Rebuilds the projection into `store` and returns events/s and the rows it made. */
async function measure(log: EventLog, events: number, store: ReadStore) {
  const started = performance.now();
  const rebuild = await rebuildProjection({
    store,
    connection: log.connection,
    projection: orderStatusProjection,
    topicPrefix: log.prefix,
  });
  for await (const _ of rebuild.progress());
  await rebuild.done;
  const seconds = (performance.now() - started) / 1000;
  const { orders } = await prepareProjectionTables(store, orderStatusProjection, rebuild.version);
  const rows = (await store.findRows(orders!)).length;
  return { eventsPerSec: Math.round(events / seconds), seconds: Number(seconds.toFixed(2)), rows };
}

/** Writes the log, reads it raw, then rebuilds into each store. */
export async function rebuildScenario(context: BenchContext) {
  const { sizes, log: say } = context;
  const events = sizes.rebuildEvents!;
  const log = await EventLog.create({
    brokers: [...context.brokers],
    prefix: `bench-rebuild-${Date.now()}.`,
    aggregates: ['order'],
    partitions: context.partitions,
  });
  const details: Record<string, unknown> = {};
  const rebuildEventsPerSec: Record<string, number> = {};
  try {
    say(`rebuild: writing ${events} order events`);
    await writeLog(log, events);
    const rawStart = performance.now();
    const read = await readToEnd(log.connection, `${log.prefix}order-events`, () => undefined, 1024 * 1024);
    const rawConsumePerSec = Math.round(read / ((performance.now() - rawStart) / 1000));
    say(`rebuild: raw consume ${rawConsumePerSec}/s`);
    if (read !== events) throw new Error(`read ${read} events back, wrote ${events}`);
    const open: Record<string, () => Promise<{ store: ReadStore; close(): Promise<void> }>> = {
      postgres: async () => {
        const schema = `bench_rebuild_${Date.now()}`;
        const store = await openPostgresStore({ connectionString: context.databaseUrl, schema });
        return {
          store,
          close: async () => {
            await store.close();
            await dropSchema(schema);
          },
        };
      },
      pglite: async () => {
        const dir = await mkdtemp(join(tmpdir(), 'sluice-bench-pglite-'));
        const store = await openPGliteStore({ dataDir: dir });
        return {
          store,
          close: async () => {
            await store.close();
            await rm(dir, { recursive: true, force: true });
          },
        };
      },
      memory: async () => {
        const store = new MemoryReadStore();
        return { store, close: () => store.close() };
      },
    };
    const checks: Record<string, { ok: boolean; detail: string }> = {};
    for (const [kind, opener] of Object.entries(open)) {
      const { store, close } = await opener();
      try {
        const figures = await measure(log, events, store);
        rebuildEventsPerSec[kind] = figures.eventsPerSec;
        details[kind] = figures;
        checks[`${kind}RowPerOrder`] = {
          ok: figures.rows === events / 2,
          detail: `${figures.rows} rows for ${events / 2} orders`,
        };
        say(`rebuild: ${kind} ${figures.eventsPerSec} events/s (${figures.rows} rows)`);
      } finally {
        await close();
      }
    }
    return { results: { rebuildEventsPerSec, rawConsumePerSec }, details: { events, ...details }, checks };
  } finally {
    await log.close();
  }
}
