import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { DEFAULT_DATABASE_URL, openPostgresStore } from './postgres/postgres-store.ts';
import { readStoreSuite } from './testing/read-store-suite.ts';

const connectionString = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
// One schema per test file run, so parallel runs never see each other's rows.
const schema = `sluice_test_${process.pid}_${randomBytes(4).toString('hex')}`;

async function unreachableReason(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return `PostgreSQL unreachable at ${connectionString}: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropSchemas(...schemas: string[]): Promise<void> {
  const client = new pg.Client({ connectionString });
  await client.connect();
  try {
    for (const name of schemas) await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
  } finally {
    await client.end();
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A store on a schema of its own for one test, closed and dropped after it; its connection errors kept. */
async function scratchStore(t: TestContext, suffix: string, maxConnections: number) {
  const scratch = `${schema}_${suffix}`;
  const errors: Error[] = [];
  const store = await openPostgresStore({
    connectionString,
    schema: scratch,
    maxConnections,
    onError: (error) => errors.push(error),
  });
  t.after(async () => {
    await store.close();
    await dropSchemas(scratch);
  });
  return { store, errors, schema: scratch };
}

const unreachable = await unreachableReason();
if (unreachable && process.env.CI === 'true') {
  it('PostgreSQL is reachable (required when CI=true)', () => assert.fail(unreachable));
} else if (unreachable) {
  it('PostgreSQL read store', { skip: unreachable }, () => {});
} else {
  readStoreSuite('PostgreSQL', {
    open: () => openPostgresStore({ connectionString, schema }),
    openSecond: () => openPostgresStore({ connectionString, schema, maxConnections: 4 }),
    cleanup: () => dropSchemas(schema),
    concurrent: true,
  });

  describe('PostgreSQL change listener', () => {
    it('reconnects after its connection is killed and wakes subscribers again', {
      timeout: 30_000,
    }, async (t) => {
      const { store, errors, schema: listenSchema } = await scratchStore(t, 'listen', 2);
      const projection = `reconnect_${process.pid}`;
      const wakes: number[] = [];
      let onWake = () => {};
      await store.subscribeChanges(projection, () => {
        wakes.push(Date.now());
        onWake();
      });
      const killed = await store.transaction(async (tx) => {
        const { rows } = await sql<{
          killed: boolean;
        }>`SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity
          WHERE application_name = ${`sluice-listener:${listenSchema}`}`.execute(tx.db);
        return rows;
      });
      assert.deepEqual(killed, [{ killed: true }]);
      // After reconnecting the listener wakes everybody once (notifications may have been missed) ...
      await waitFor(() => wakes.length >= 1);
      const before = wakes.length;
      // ... and hears NOTIFY again.
      const woke = new Promise<void>((resolve) => {
        onWake = resolve;
      });
      await store.transaction((tx) =>
        store.appendChanges(tx, projection, 1, [{ key: 'k', op: 'upsert', row: { k: 1 } }]),
      );
      await woke;
      assert.ok(wakes.length > before);
      assert.ok(errors.length >= 1, 'the lost connection was reported');
    });
  });

  describe('PostgreSQL leases', () => {
    it('a holder frozen mid-batch loses its session after the idle limit, and the takeover goes on', {
      timeout: 30_000,
    }, async (t) => {
      const { store } = await scratchStore(t, 'lease', 3);
      assert.equal(await store.acquireLease('frozen', 1, 'a', 300), true);
      let entered = () => {};
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      // The holder checks its lease (share-locking the row) and then does nothing, as if stopped.
      const frozen = store.transaction(async (tx) => {
        assert.equal(await store.holdsLease(tx, 'frozen', 1, 'a', 300), true);
        entered();
        await new Promise((resolve) => setTimeout(resolve, 2_000));
        await sql`SELECT 1`.execute(tx.db);
      });
      await inside;
      await new Promise((resolve) => setTimeout(resolve, 400)); // the lease expires
      const started = Date.now();
      // Without the idle limit this waits on the frozen holder's lock for the whole 2 s.
      assert.equal(await store.acquireLease('frozen', 1, 'b', 5_000), true);
      assert.ok(Date.now() - started < 1_500, `the takeover waited ${Date.now() - started} ms`);
      await assert.rejects(frozen, 'the frozen holder cannot go on in its ended session');
    });
  });

  describe('PostgreSQL read store startup', () => {
    it('migrates once when several processes start at the same time', async (t) => {
      const fresh = `${schema}_boot`;
      t.after(() => dropSchemas(fresh));
      const stores = await Promise.all(
        [1, 2, 3].map(() => openPostgresStore({ connectionString, schema: fresh, maxConnections: 2 })),
      );
      await Promise.all(stores.map((s) => s.close()));
      const client = new pg.Client({ connectionString });
      await client.connect();
      const { rows } = await client.query(`SELECT id FROM "${fresh}".schema_migrations ORDER BY id`);
      await client.end();
      assert.deepEqual(
        rows.map((r) => r.id),
        [1],
      );
    });
  });
}
