import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { positionToken } from '@sluice/core';
import { projections as shopProjections } from '@sluice/orders/projections';
import { testBrokers, uniqueName } from '@sluice/testing';
import type { ChangeEntry, StoreKind } from '../read-store.ts';
import type { Projector } from './projector.ts';
import { ReadSide } from './read-side.ts';
import { retryProjection } from './retry.ts';
import { EventLog } from './testing/event-log.ts';
import { orderEvents, poisonableOrders, startProjectors } from './testing/shop-fixtures.ts';
import { openTestStore, postgresUnavailable, type TestStore } from './testing/test-stores.ts';

const kinds: StoreKind[] = ['memory', 'pglite', 'postgres'];
const noPostgres = await postgresUnavailable();

for (const kind of kinds) {
  const skip = kind === 'postgres' && noPostgres && process.env.CI !== 'true' ? noPostgres : false;
  describe(`projector on ${kind}`, { skip, timeout: 120_000 }, () => {
    let log: EventLog;
    let db: TestStore;
    before(async () => {
      log = await EventLog.create({
        brokers: testBrokers(),
        prefix: `${uniqueName(`proj-${kind}`)}.`,
        aggregates: ['order', 'user'],
      });
    });
    after(async () => {
      await log?.close();
    });
    let running: Projector[] = [];
    const fresh = async (t: { after(fn: () => Promise<void>): void }) => {
      db = await openTestStore(kind);
      const mine = db;
      running = [];
      t.after(async () => {
        // Projectors first: they give their leases up through the store.
        for (const p of running) await p.stop();
        await mine.close();
      });
      return new ReadSide({ store: db.store, projections: shopProjections, topicPrefix: log.prefix });
    };
    const run = async (list = shopProjections, options = {}) => {
      const projectors = await startProjectors(db.store, log, list, options);
      running.push(...projectors);
      return projectors;
    };

    it('puts items in price bands and folds an order created and confirmed in one batch', async (t) => {
      const readSide = await fresh(t);
      const order = uniqueName('o');
      const user = uniqueName('u');
      const entries = await log.append([
        { aggregate: 'user', id: user, type: 'UserCreated', data: { userId: user, name: 'Alice' } },
        ...orderEvents(order, user, [499, 500, 5000, 5001], true),
      ]);
      await log.appendResults([
        { commandId: 'c1', code: 'OK', aggregateType: 'order', aggregateId: order, principal: user },
      ]);
      await run();
      for (const name of ['order_status', 'user_items', 'users'])
        await readSide.waitForPosition(name, positionToken(entries), 20_000);
      const { orders } = await readSide.tables('order_status');
      const [row] = await db.store.findRows(orders!, { order_id: order });
      assert.equal(row?.status, 'confirmed');
      assert.equal(row?.total, 499n + 500n + 5000n + 5001n);
      assert.equal(row?.user_id, user);
      assert.equal(row?.version, 2);
      const { items } = await readSide.tables('user_items');
      const bands = (await db.store.findRows(items!, { user_id: user })).map((r) => [r.price, r.band]);
      assert.deepEqual(bands, [
        [499, 'cheap'],
        [500, 'affordable'],
        [5000, 'affordable'],
        [5001, 'expensive'],
      ]);
      const { users } = await readSide.tables('users');
      assert.equal((await db.store.findRows(users!, { user_id: user }))[0]?.name, 'Alice');
      const { results } = await readSide.tables('command_results');
      await waitRows(async () => (await db.store.findRows(results!, { command_id: 'c1' })).length === 1);
      const [result] = await db.store.findRows(results!, { command_id: 'c1' });
      assert.equal(result?.principal, user);
      assert.deepEqual((result!.result as { aggregateId: string }).aggregateId, order);
    });

    it('re-applying batches from older offsets gives the same rows', async (t) => {
      const readSide = await fresh(t);
      const user = uniqueName('u');
      const entries = await log.append([
        ...orderEvents(uniqueName('o'), user, [100, 200], true),
        ...orderEvents(uniqueName('o'), user, [9000]),
      ]);
      const [projector] = await run([shopProjections[0]!]);
      await readSide.waitForPosition('order_status', positionToken(entries), 20_000);
      const { orders } = await readSide.tables('order_status');
      const before = await db.store.findRows(orders!);
      await projector!.stop();
      const stored = await db.store.readOffsets('order_status', 1);
      await db.store.transaction((tx) =>
        db.store.commitOffsets(tx, 'order_status', 1, stored, new Map([...stored].map(([tp]) => [tp, 0n]))),
      );
      await run([shopProjections[0]!]);
      await readSide.waitForPosition('order_status', positionToken(entries), 20_000);
      assert.deepEqual(await db.store.findRows(orders!), before);
    });

    it('a position token gives read-your-writes while a query without it can miss', async (t) => {
      const readSide = await fresh(t);
      await run([shopProjections[0]!], { batchDelayMs: 300 });
      const { orders } = await readSide.tables('order_status');
      let misses = 0;
      for (let i = 0; i < 4; i += 1) {
        const order = uniqueName('rw');
        const entries = await log.append(orderEvents(order, 'u-rw', [700]));
        if ((await db.store.findRows(orders!, { order_id: order })).length === 0) misses += 1;
        await readSide.waitForPosition('order_status', positionToken(entries), 10_000);
        assert.equal(
          (await db.store.findRows(orders!, { order_id: order })).length,
          1,
          'seen with the token',
        );
      }
      assert.ok(misses >= 1, 'the throttled projector made at least one query without a token miss');
      await assert.rejects(
        readSide.waitForPosition(
          'order_status',
          positionToken([{ topic: `${log.prefix}order-events`, partition: 0, offset: '99999999' }]),
          300,
        ),
        { code: 'PROJECTION_BEHIND' },
      );
    });

    it('a change-feed subscriber that disconnects and resumes misses nothing and gets nothing twice', async (t) => {
      const readSide = await fresh(t);
      await run([shopProjections[0]!], { batchDelayMs: 50 });
      const seen: ChangeEntry[] = [];
      const first = new AbortController();
      const firstOrders = Array.from({ length: 3 }, () => uniqueName('cf'));
      const reading = (async () => {
        for await (const entry of readSide.changes('order_status', 0n, { signal: first.signal })) {
          seen.push(entry);
          if (seen.some((e) => e.key.endsWith(firstOrders[2]!))) first.abort();
        }
      })();
      for (const order of firstOrders) await log.append(orderEvents(order, 'u-cf', [100]));
      await reading;
      const resumeAt = seen.at(-1)!.position;
      const later = Array.from({ length: 4 }, () => uniqueName('cf'));
      let last: ReturnType<typeof positionToken> = [];
      for (const order of later) {
        last = positionToken(await log.append(orderEvents(order, 'u-cf', [100], true)));
        await readSide.waitForPosition('order_status', last, 10_000);
      }
      const second = new AbortController();
      for await (const entry of readSide.changes('order_status', resumeAt, { signal: second.signal })) {
        seen.push(entry);
        if (entry.position >= (await lastPosition())) second.abort();
      }
      const positions = seen.map((e) => e.position);
      assert.equal(new Set(positions).size, positions.length, 'nothing twice');
      const all = await db.store.readChanges('order_status', 0n, 10_000);
      assert.deepEqual(
        positions,
        all.map((e) => e.position),
        'nothing missed',
      );
      for (const order of later)
        assert.ok(
          seen.some((e) => e.key.endsWith(order) && (e.row as { status?: string })?.status === 'confirmed'),
        );
      async function lastPosition() {
        return (await db.store.readChanges('order_status', 0n, 10_000)).at(-1)!.position;
      }
    });

    it('parks a poison event and the later events of its key; other keys go on; retry repairs', async (t) => {
      await fresh(t);
      const fix = { fixed: false };
      const name = `poison_${kind}`;
      const broken = poisonableOrders(name, fix);
      const clean = poisonableOrders(`${name}_clean`, { fixed: true });
      const bad = uniqueName('bad');
      const good = uniqueName('good');
      const entries = await log.append([
        {
          aggregate: 'order',
          id: bad,
          type: 'OrderCreated',
          data: { orderId: bad, userId: 'u', items: [1], poison: name },
        },
        {
          aggregate: 'order',
          id: good,
          type: 'OrderCreated',
          data: { orderId: good, userId: 'u', items: [1, 2] },
        },
        { aggregate: 'order', id: bad, type: 'OrderConfirmed', data: { orderId: bad, userId: 'u' } },
        { aggregate: 'order', id: good, type: 'OrderConfirmed', data: { orderId: good, userId: 'u' } },
      ]);
      const readSide = new ReadSide({
        store: db.store,
        projections: [broken, clean],
        topicPrefix: log.prefix,
      });
      await run([broken, clean], { poison: 'park' });
      await readSide.waitForPosition(name, positionToken(entries), 20_000);
      await readSide.waitForPosition(clean.name, positionToken(entries), 20_000);
      const { orders } = await readSide.tables(name);
      const { orders: cleanOrders } = await readSide.tables(clean.name);
      assert.equal((await db.store.findRows(orders!, { order_id: good }))[0]?.status, 'OrderConfirmed');
      assert.equal((await db.store.findRows(orders!, { order_id: bad })).length, 0);
      const parked = await db.store.listParked(name);
      assert.deepEqual(
        parked.map((p) => [p.key, p.error.code ?? null]),
        [
          [bad, null],
          [bad, 'KEY_PARKED'],
        ],
      );
      assert.match(parked[0]!.error.message, /cannot project/);
      // A later event of the parked key waits behind it.
      const more = await log.append([
        { aggregate: 'order', id: bad, type: 'OrderShipped', data: { orderId: bad, userId: 'u' } },
      ]);
      await readSide.waitForPosition(name, positionToken(more), 20_000);
      assert.equal((await db.store.listParked(name)).length, 3);
      fix.fixed = true;
      const report = await retryProjection(db.store, broken, { topicPrefix: log.prefix });
      assert.equal(report.replayed, 3);
      assert.equal(report.parked, 0);
      await readSide.waitForPosition(clean.name, positionToken(more), 20_000);
      assert.deepEqual(await db.store.findRows(orders!), await db.store.findRows(cleanOrders!));
      assert.equal((await db.store.listParked(name)).length, 0);
    });

    it('stops on a poison event by default, shows it in the status, and resumes after retry', async (t) => {
      await fresh(t);
      const fix = { fixed: false };
      const name = `stop_${kind}`;
      const projection = poisonableOrders(name, fix);
      const bad = uniqueName('bad');
      const entries = await log.append([
        {
          aggregate: 'order',
          id: bad,
          type: 'OrderCreated',
          data: { orderId: bad, userId: 'u', items: [], poison: name },
        },
      ]);
      await run([projection]);
      await waitRows(async () => (await db.store.readStatus(name))?.versions[0]?.state === 'failed');
      const status = await db.store.readStatus(name);
      const error = status?.versions[0]?.lastError;
      assert.match(error?.message ?? '', /cannot project/);
      const failing = entries.find((e) => e.topic.endsWith('order-events'))!;
      assert.equal(error?.event?.topic, failing.topic);
      assert.equal(error?.event?.offset, BigInt(failing.offset));
      fix.fixed = true;
      const report = await retryProjection(db.store, projection, { topicPrefix: log.prefix });
      assert.equal(report.resumed, true);
      const readSide = new ReadSide({ store: db.store, projections: [projection], topicPrefix: log.prefix });
      await readSide.waitForPosition(name, positionToken(entries), 20_000);
      const { orders } = await readSide.tables(name);
      assert.equal((await db.store.findRows(orders!, { order_id: bad }))[0]?.status, 'created');
      assert.equal((await db.store.readStatus(name))?.versions[0]?.state, 'running');
    });
  });
}

async function waitRows(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
