import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import { Kysely } from 'kysely';
import { type ChangeNotifier, SqlReadStore } from '../sql/sql-read-store.ts';
import type { ProjectionDatabase, SqlTx } from '../sql/sql-tx.ts';
import { WakeHub } from '../wake/wake-hub.ts';
import { PGliteDialect } from './pglite-dialect.ts';

/** Where PGlite keeps its files unless told otherwise. */
export const DEFAULT_PGLITE_DIR = '.sluice/pglite';

/** Settings of an embedded PGlite read store (one process only). */
export interface PGliteStoreOptions {
  /** Data directory, default `.sluice/pglite`; `memory://` keeps everything in memory. */
  readonly dataDir?: string;
  /** Schema for bookkeeping and projection tables; default `sluice`. */
  readonly schema?: string;
}

/** Opens an embedded PGlite read store and brings its bookkeeping tables up to date. */
export async function openPGliteStore(options: PGliteStoreOptions = {}): Promise<SqlReadStore> {
  const dataDir = options.dataDir ?? DEFAULT_PGLITE_DIR;
  if (!dataDir.includes('://')) await mkdir(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const db = new Kysely<ProjectionDatabase>({ dialect: new PGliteDialect(pglite) });
  const hub = new WakeHub();
  const notifier: ChangeNotifier = {
    // Single process: wake subscribers directly once the transaction has committed.
    notify: async (tx: SqlTx, projection: string) => tx.afterCommit(() => hub.wake(projection)),
    subscribe: async (projection, onWake) => hub.subscribe(projection, onWake),
    close: async () => {
      hub.clear();
      await pglite.close();
    },
  };
  const store = new SqlReadStore('pglite', db, options.schema ?? 'sluice', notifier);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
