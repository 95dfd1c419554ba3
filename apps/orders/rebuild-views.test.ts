import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { PartitionReader } from '@sluice/kafka';
import { cancelRebuild, rebuildProjection } from '@sluice/store';
import {
  EventLog,
  eventually,
  openTestStore,
  orderEvents,
  poisonableOrders,
  startProjectors,
} from '@sluice/store/testing';
import { requireKafka, testBrokers, uniqueName } from '@sluice/testing';
import { StoredRebuild } from './rebuild-views.ts';

const ORDERS = 2_000;

test('a rebuild built elsewhere, seen from the store: offsets done of the total, a rate, then done', async (t) => {
  if (!requireKafka(t)) return;
  const log = await EventLog.create({
    brokers: testBrokers(),
    prefix: `${uniqueName('stored')}.`,
    aggregates: ['order'],
  });
  const db = await openTestStore('memory');
  const reader = new PartitionReader({ connection: log.connection });
  const projection = poisonableOrders(uniqueName('stored').replaceAll('-', '_'), { fixed: true });
  const [serving] = await startProjectors(db.store, log, [projection]);
  t.after(async () => {
    await serving!.stop();
    await reader.close();
    await db.close();
    await log.close();
  });
  const events = Array.from({ length: ORDERS }, (_, i) => orderEvents(`s-${i}`, 'u', [100])).flat();
  await log.append(events, 5_000);
  await eventually(async () => (await db.store.readStatus(projection.name))?.activeVersion === 1);
  const storedView = (version: number) =>
    new StoredRebuild({
      store: db.store,
      reader: () => reader,
      projection,
      version,
      topicPrefix: log.prefix,
    });

  // Registered (as an API process without the projector role does), not yet built by anyone.
  await db.store.setStatus(projection.name, 2, 'rebuilding');
  const stored = storedView(2);
  // Committed events count once the commit markers reach their partitions (the last stable offset).
  await eventually(async () => BigInt((await stored.view()).total) >= BigInt(ORDERS), 10_000, 'the markers');
  const before = await stored.view();
  assert.deepEqual(
    [before.state, before.done, before.active, before.builtHere],
    ['running', '0', false, false],
  );
  // Offsets, so the transactions' commit markers count too.
  assert.ok(BigInt(before.total) >= BigInt(ORDERS), `total ${before.total}`);

  // A projector process builds it, throttled so that it is seen half-way.
  const builder = await rebuildProjection({
    store: db.store,
    connection: log.connection,
    projection,
    topicPrefix: log.prefix,
    version: 2,
    maxBatchRecords: 100,
    batchDelayMs: 100,
  });
  await eventually(async () => BigInt((await stored.view()).done) > 0n, 10_000, 'the first batch');
  await sleep(400);
  const midway = await stored.view();
  assert.equal(midway.state, 'running');
  assert.ok(BigInt(midway.done) < BigInt(midway.total), `half-way: ${midway.done} of ${midway.total}`);
  assert.ok(midway.eventsPerSecond > 0, 'a rate from one look to the next');
  assert.ok(midway.etaSeconds !== undefined && midway.etaSeconds > 0);
  assert.equal(await builder.done, 2);
  const after = await stored.view();
  assert.deepEqual(
    [after.state, after.done, after.caughtUp, after.active],
    ['done', before.total, true, true],
  );

  // A cancelled one ends as failed, with the reason.
  await db.store.setStatus(projection.name, 3, 'rebuilding');
  assert.equal(await cancelRebuild(db.store, projection), 3);
  const cancelled = await storedView(3).view();
  assert.deepEqual([cancelled.state, cancelled.error], ['failed', 'rebuild cancelled']);
});
