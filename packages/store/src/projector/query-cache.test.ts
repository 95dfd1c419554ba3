import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import type { Row } from '../model/row-changes.ts';
import { topicPartitionKey } from '../model/topic-partition.ts';
import type { StoreKind } from '../read-store.ts';
import type { SqlReadStore } from '../sql/sql-read-store.ts';
import { defineProjection } from './projection.ts';
import { ReadSide } from './read-side.ts';
import { prepareProjectionTables } from './tables.ts';
import { openTestStore, postgresUnavailable } from './testing/test-stores.ts';

const projection = defineProjection({
  name: 'cached_users',
  version: 1,
  topics: ['user-events'],
  tables: { users: { name: 'cached_users', columns: { user_id: 'text', name: 'text' }, key: ['user_id'] } },
  async apply() {},
});

async function waitUntil(check: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A store with the projection's version 1 active, and writers that do or do not notify. */
async function cachedReadSide(kind: StoreKind) {
  const opened = await openTestStore(kind);
  const { store } = opened;
  const { users } = await prepareProjectionTables(store, projection, 1);
  await store.setStatus(projection.name, 1, 'running');
  await store.activateVersion(projection.name, 1);
  const readSide = new ReadSide({ store, projections: [projection], cache: true });
  let offset = 0n;
  const tp = topicPartitionKey('user-events', 0);
  /** Writes a row and commits the next offset; `notify` also appends it to the change log. */
  const write = async (row: Row, notify: boolean) => {
    const change = { key: String(row.user_id), op: 'upsert' as const, row };
    await store.transaction(async (tx) => {
      await store.writeRows(tx, users!, [change]);
      await store.commitOffsets(
        tx,
        projection.name,
        1,
        new Map([[tp, offset === 0n ? undefined : offset]]),
        new Map([[tp, offset + 1n]]),
      );
      if (notify) await store.appendChanges(tx, projection.name, 1, [change]);
    });
    offset++;
    return [{ topic: 'user-events', partition: 0, offset: String(offset - 1n) }];
  };
  const name = async () => (await readSide.findRows(projection.name, 'users', { user_id: '1' }))[0]?.name;
  /** Reads until an answer came from the cache (the first reads subscribe and fill it). */
  const warm = async () => {
    const before = readSide.cacheStats()?.hits ?? 0;
    await waitUntil(async () => {
      await name();
      return (readSide.cacheStats()?.hits ?? 0) > before;
    }, 'a cache hit');
  };
  return { ...opened, readSide, write, name, warm };
}

/** {@link cachedReadSide} with user 1 named Ada, answered from the cache; closed after the test. */
async function warmReadSide(t: TestContext, kind: StoreKind) {
  const side = await cachedReadSide(kind);
  t.after(async () => {
    await side.readSide.close();
    await side.close();
  });
  await side.write({ user_id: '1', name: 'Ada' }, true);
  await side.warm();
  return side;
}

const kinds: StoreKind[] = ['memory', 'pglite', 'postgres'];
for (const kind of kinds) {
  describe(`query cache on ${kind}`, async () => {
    const unavailable = kind === 'postgres' ? await postgresUnavailable() : undefined;
    if (unavailable && process.env.CI === 'true')
      throw new Error(`PostgreSQL is required in CI: ${unavailable}`);

    it('answers from memory until the projection changes, then reads the change', {
      skip: unavailable,
    }, async (t) => {
      const side = await warmReadSide(t, kind);
      assert.equal(await side.name(), 'Ada');
      // A write that sends no notification is not seen: the answer comes from memory.
      await side.write({ user_id: '1', name: 'Bea' }, false);
      assert.equal(await side.name(), 'Ada');
      // A notified change drops the projection's answers.
      await side.write({ user_id: '1', name: 'Cy' }, true);
      await waitUntil(async () => (await side.name()) === 'Cy', 'the notified change');
      const stats = side.readSide.cacheStats()!;
      assert.ok(stats.invalidations >= 1, JSON.stringify(stats));
      // Answers are shared: they are frozen, and each read gets its own array.
      const [row] = await side.readSide.findRows(projection.name, 'users', { user_id: '1' });
      assert.throws(() => ((row as { name: string }).name = 'x'), TypeError);
    });

    it('reads what a position token names after waiting for it', { skip: unavailable }, async (t) => {
      const side = await warmReadSide(t, kind);
      const token = await side.write({ user_id: '1', name: 'Bea' }, false);
      assert.equal(await side.name(), 'Ada');
      await side.readSide.waitForPosition(projection.name, token, 2000);
      assert.equal(await side.name(), 'Bea');
    });
  });
}

describe('query cache with a lost PostgreSQL listener', async () => {
  const unavailable = await postgresUnavailable();
  it('caches nothing while notifications cannot arrive, and again once they do', {
    skip: unavailable,
  }, async (t) => {
    const side = await warmReadSide(t, 'postgres');
    const store = side.store as SqlReadStore;
    await store.transaction(async (tx) => {
      await sql`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = ${`sluice-listener:${side.schema}`}`.execute(tx.db);
    });
    // Once the loss is noticed, every read goes to the store: a silent write is seen at once.
    await waitUntil(async () => {
      await side.write({ user_id: '1', name: `Bea-${Date.now()}` }, false);
      const hits = side.readSide.cacheStats()!.hits;
      const name = await side.name();
      return side.readSide.cacheStats()!.hits === hits && String(name).startsWith('Bea-');
    }, 'reads to bypass the cache');
    // After the reconnect the cache fills again.
    await side.warm();
    const before = side.readSide.cacheStats()!.hits;
    await side.name();
    assert.equal(side.readSide.cacheStats()!.hits, before + 1);
  });
});
