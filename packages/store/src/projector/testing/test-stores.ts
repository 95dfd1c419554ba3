import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { MemoryReadStore } from '../../memory/memory-store.ts';
import { openPGliteStore } from '../../pglite/pglite-store.ts';
import { DEFAULT_DATABASE_URL, openPostgresStore } from '../../postgres/postgres-store.ts';
import type { ReadStore, StoreKind } from '../../read-store.ts';

/** A store opened for one test, and how to remove it. */
export interface TestStore {
  readonly store: ReadStore;
  /** The PostgreSQL schema, for other processes to open the same data. */
  readonly schema: string;
  close(): Promise<void>;
}

export const testConnectionString = (): string => process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;

/** Opens a fresh, empty store of a kind: a new schema on PostgreSQL, `memory://` PGlite, or memory. */
export async function openTestStore(kind: StoreKind): Promise<TestStore> {
  const schema = `sluice_pt_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (kind === 'memory') {
    const store = new MemoryReadStore();
    return { store, schema, close: () => store.close() };
  }
  if (kind === 'pglite') {
    const store = await openPGliteStore({ dataDir: 'memory://', schema });
    return { store, schema, close: () => store.close() };
  }
  const store = await openPostgresStore({
    connectionString: testConnectionString(),
    schema,
    maxConnections: 4,
  });
  return {
    store,
    schema,
    close: async () => {
      await store.close();
      await dropSchema(schema);
    },
  };
}

/** Drops a PostgreSQL schema and everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: testConnectionString() });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

/** Why PostgreSQL cannot be used, or undefined when it can. */
export async function postgresUnavailable(): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: testConnectionString(), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return undefined;
  } catch (error) {
    return `PostgreSQL unreachable: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Polls `check` until it holds (test support; the product code waits on notifications). */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
