import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { Unsubscribe } from '../read-store.ts';
import { notifyChangesSql } from '../sql/change-log.ts';
import { type ChangeNotifier, SqlReadStore } from '../sql/sql-read-store.ts';
import type { ProjectionDatabase, SqlTx } from '../sql/sql-tx.ts';
import { ChangeListener } from './change-listener.ts';

/** The default database when `DATABASE_URL` is unset. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/** Settings of a PostgreSQL read store. */
export interface PostgresStoreOptions {
  /** Defaults to `DATABASE_URL`, then `DEFAULT_DATABASE_URL`. */
  readonly connectionString?: string;
  /** Schema for bookkeeping and projection tables; default `sluice`. */
  readonly schema?: string;
  /** Pool size; default 10. */
  readonly maxConnections?: number;
  /** NOTIFY channel; default `sluice_changes`. */
  readonly channel?: string;
  /** Connection errors the store recovers from by itself (idle pool clients, the listener). */
  readonly onError?: (error: Error) => void;
}

/** Opens a PostgreSQL read store and brings its bookkeeping tables up to date. */
export async function openPostgresStore(options: PostgresStoreOptions = {}): Promise<SqlReadStore> {
  const connectionString = options.connectionString ?? process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL;
  const onError = options.onError ?? ((error: Error) => process.emitWarning(error));
  const pool = new pg.Pool({ connectionString, max: options.maxConnections ?? 10 });
  // An idle client's error must not crash the process; the pool drops that client by itself.
  pool.on('error', onError);
  // Nor one of a client in use (the pool listens only to idle ones): the server ending the session
  // of a transaction left idle too long, say. That error fails the client's next query, which reports it.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<ProjectionDatabase>({ dialect: new PostgresDialect({ pool }) });
  const channel = options.channel ?? 'sluice_changes';
  const schema = options.schema ?? 'sluice';
  // Named after the schema, so an operator (or a test) can find this store's listening session.
  const listener = new ChangeListener(connectionString, channel, `sluice-listener:${schema}`, onError);
  const notifier: ChangeNotifier = {
    notify: (tx: SqlTx, projection: string) => notifyChangesSql(tx.db, channel, projection),
    subscribe: (projection: string, onWake: () => void, onLost?: () => void): Promise<Unsubscribe> =>
      listener.subscribe(projection, onWake, onLost),
    close: () => listener.close(),
  };
  const store = new SqlReadStore('postgres', db, schema, notifier);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
