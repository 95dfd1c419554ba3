import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type PositionToken, positionToken } from '@sluice/core';
import { testBrokers, uniqueName } from '@sluice/testing';
import type { ChangeEntry } from '../read-store.ts';
import type { ProjectionProgress } from './progress.ts';
import { defineProjection } from './projection.ts';
import { ReadSide } from './read-side.ts';
import { rebuildProjection } from './rebuild.ts';
import { dropRetiredTables, prepareProjectionTables } from './tables.ts';
import { EventLog, type TestEvent } from './testing/event-log.ts';
import { orderEvents, poisonableOrders, startProjectors } from './testing/shop-fixtures.ts';
import { openTestStore, postgresUnavailable } from './testing/test-stores.ts';

const EVENTS = Number(process.env.REBUILD_TEST_EVENTS ?? 200_000);
const noPostgres = await postgresUnavailable();
const skip = noPostgres && process.env.CI !== 'true' ? noPostgres : false;

describe('blue-green rebuild on PostgreSQL', { skip, timeout: 300_000 }, () => {
  let log: EventLog;
  before(async () => {
    log = await EventLog.create({
      brokers: testBrokers(),
      prefix: `${uniqueName('rebuild')}.`,
      aggregates: ['order'],
    });
  });
  after(async () => {
    await log?.close();
  });

  it(`builds v2 over ${EVENTS} events while v1 serves, switches forward only, and resets subscribers`, async (t) => {
    const db = await openTestStore('postgres');
    const projection = poisonableOrders('rebuilt', { fixed: true });
    const readSide = new ReadSide({ store: db.store, projections: [projection], topicPrefix: log.prefix });
    const events: TestEvent[] = [];
    for (let i = 0; events.length < EVENTS; i += 1)
      events.push(...orderEvents(`bulk-${i}`, 'u', [100], true));
    const bulk = positionToken(await log.append(events, 5_000));
    const [serving] = await startProjectors(db.store, log, [projection]);
    t.after(async () => {
      await serving!.stop();
      await db.close();
    });
    await readSide.waitForPosition(projection.name, bulk, 120_000);

    // Live traffic and readers all through the rebuild.
    const live: string[] = [];
    let lastLive: PositionToken = bulk;
    let stop = false;
    const writer = (async () => {
      for (let i = 0; !stop; i += 1) {
        const id = `live-${i}`;
        lastLive = positionToken(await log.append(orderEvents(id, 'u', [200])));
        live.push(id);
        await sleep(50);
      }
    })();
    const errors: unknown[] = [];
    const observations: Array<{ version: number; seen: number }> = [];
    const reader = (async () => {
      while (!stop) {
        try {
          const version = (await db.store.readStatus(projection.name))!.activeVersion!;
          const { orders } = await readSide.tables(projection.name);
          const ids = [...live];
          const found = await db.store.loadRows(
            orders!,
            ids.map((order_id) => ({ order_id })),
          );
          // Count the prefix of live orders seen: later ones may not be projected yet.
          let seen = 0;
          while (seen < ids.length && found.has(ids[seen]!)) seen += 1;
          // Queries read through the version they last saw, confirming it in the same statement.
          if (seen > 0) {
            const [first] = await readSide.findRows(projection.name, 'orders', { order_id: ids[0]! });
            if (first?.order_id !== ids[0]) errors.push(new Error(`order ${ids[0]} not found`));
          }
          observations.push({ version, seen });
        } catch (error) {
          errors.push(error);
        }
        await sleep(20);
      }
    })();
    const resets: ChangeEntry[] = [];
    const feed = new AbortController();
    const start = (await db.store.readChanges(projection.name, 0n, 1_000_000)).at(-1)?.position ?? 0n;
    const subscriber = (async () => {
      for await (const entry of readSide.changes(projection.name, start, { signal: feed.signal }))
        if (entry.op === 'reset') resets.push(entry);
    })();

    const rebuild = await rebuildProjection({
      store: db.store,
      connection: log.connection,
      projection,
      topicPrefix: log.prefix,
      renewEveryMs: 500,
    });
    assert.equal(rebuild.version, 2);
    const progress: ProjectionProgress[] = [];
    for await (const p of rebuild.progress()) progress.push(p);
    assert.equal(await rebuild.done, 2);
    await sleep(1500); // the v1 projector follows the switch on its next tick
    stop = true;
    await Promise.all([writer, reader]);
    await readSide.waitForPosition(projection.name, lastLive, 20_000);
    feed.abort();
    await subscriber;

    assert.deepEqual(errors, [], 'queries answered throughout');
    const versions = observations.map((o) => o.version);
    assert.ok(versions.includes(1) && versions.includes(2), 'answered by v1, then by v2');
    for (let i = 1; i < observations.length; i += 1) {
      assert.ok(observations[i]!.version >= observations[i - 1]!.version, 'the version never goes back');
      assert.ok(observations[i]!.seen >= observations[i - 1]!.seen, 'answers never go backwards');
    }
    assert.equal(resets.length, 1);
    assert.equal(resets[0]!.version, 2);
    const last = progress.at(-1)!;
    assert.ok(last.total >= BigInt(EVENTS) && last.done === last.total, 'progress counts offsets to the end');
    for (let i = 1; i < progress.length; i += 1) assert.ok(progress[i]!.done >= progress[i - 1]!.done);
    const { orders } = await readSide.tables(projection.name);
    const found = await db.store.loadRows(
      orders!,
      live.map((order_id) => ({ order_id })),
    );
    assert.equal(found.size, live.length, 'v2 has every live order');
    const queried = new Set((await readSide.findRows(projection.name, 'orders')).map((row) => row.order_id));
    assert.ok(
      live.every((id) => queried.has(id)),
      'queries read v2 after the switch',
    );
    assert.equal(serving!.version, 2, 'the serving projector followed the switch');

    const dropped = await dropRetiredTables(db.store, [projection], 0);
    assert.deepEqual(dropped, [{ projection: projection.name, version: 1 }]);
    const status = await db.store.readStatus(projection.name);
    assert.deepEqual(
      status?.versions.map((v) => v.version),
      [2],
    );
    t.diagnostic(`rebuild: ${progress.length} progress reports, last ${last.eventsPerSecond} events/s`);
  });

  it('rebuilds into a store with no active version: activates once caught up, logs only the reset', async (t) => {
    const db = await openTestStore('postgres');
    t.after(() => db.close());
    const projection = poisonableOrders('fresh', { fixed: true });
    const rebuild = await rebuildProjection({
      store: db.store,
      connection: log.connection,
      projection,
      topicPrefix: log.prefix,
    });
    const activeWhileBuilding = new Set<number | undefined>();
    let rounds = 0;
    for await (const p of rebuild.progress()) {
      if (p.caughtUp) continue;
      rounds += 1;
      activeWhileBuilding.add((await db.store.readStatus(projection.name))?.activeVersion);
    }
    assert.equal(await rebuild.done, 1);
    assert.ok(rounds > 0, 'the rebuild took several rounds');
    assert.deepEqual([...activeWhileBuilding], [undefined], 'queries are not served a half-built version');
    assert.equal((await db.store.readStatus(projection.name))?.activeVersion, 1);
    const entries = await db.store.readChanges(projection.name, 0n, 1000);
    assert.deepEqual(
      entries.map((e) => [e.op, e.version]),
      [['reset', 1]],
    );
    const { orders } = await prepareProjectionTables(db.store, projection, 1);
    assert.ok((await db.store.findRows(orders!)).length > 0);
  });
  it('stages each batch over the rows the batch before it is still writing: a count per key comes out exact', async (t) => {
    const db = await openTestStore('postgres');
    t.after(() => db.close());
    // Every event adds one to its key's row, so a batch that read a row without its predecessor's
    // write (still uncommitted while the batch is staged ahead) would lose counts.
    const counts = defineProjection({
      name: uniqueName('counts').replaceAll('-', '_'),
      version: 1,
      topics: ['order-events'],
      tables: { counts: { name: 'counts', columns: { key: 'text', n: 'integer' }, key: ['key'] } },
      async apply(events, { counts }) {
        await counts.load(events.map((e) => ({ key: e.metadata.aggregateId })));
        for (const event of events) {
          const key = event.metadata.aggregateId;
          counts.upsert({ key, n: Number(counts.get({ key })?.n ?? 0) + 1 });
        }
      },
    });
    const counted = await EventLog.create({
      brokers: testBrokers(),
      prefix: `${uniqueName('ahead')}.`,
      aggregates: ['order'],
    });
    t.after(() => counted.close());
    // Two keys of one partition would do; one key is sure to be: every batch holds its events.
    const keys = 1;
    const events: TestEvent[] = [];
    for (let i = 0; i < 6_000; i += 1)
      events.push({ aggregate: 'order', id: `k${i % keys}`, type: 'Counted', data: { i } });
    await counted.append(events, 500);
    const batches: number[] = [];
    // Slow writes: the next batch is staged while its predecessor's rows are still uncommitted.
    const store = new Proxy(db.store, {
      get(target, name) {
        const value = Reflect.get(target, name) as unknown;
        if (typeof value !== 'function') return value;
        if (name !== 'writeRows') return value.bind(target);
        return async (...args: unknown[]) => {
          await sleep(30);
          return value.apply(target, args);
        };
      },
    });
    const rebuild = await rebuildProjection({
      store,
      connection: counted.connection,
      projection: counts,
      topicPrefix: counted.prefix,
      maxBatchRecords: 250,
      partitionMaxBytes: 16 * 1024,
    });
    rebuild.projector.on('batch', (batch: { records: number }) => batches.push(batch.records));
    for await (const _ of rebuild.progress());
    assert.equal(await rebuild.done, 1);
    assert.ok(batches.length >= 20, `${batches.length} batches`);
    const { counts: table } = await prepareProjectionTables(db.store, counts, 1);
    const rows = await db.store.findRows(table!);
    assert.deepEqual(
      rows.map((row) => [row.key, Number(row.n)]).sort(([a], [b]) => String(a).localeCompare(String(b))),
      Array.from({ length: keys }, (_, k) => [`k${k}`, 6_000 / keys]).sort(([a], [b]) =>
        String(a).localeCompare(String(b)),
      ),
    );
  });
});
