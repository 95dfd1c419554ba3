import type { Kysely } from 'kysely';
import type { Row, RowChange } from '../model/row-changes.ts';
import { assertIdentifier, type VersionedTable } from '../model/table-definition.ts';
import type { TopicPartitionKey } from '../model/topic-partition.ts';
import type {
  ActiveRows,
  AppendChangesOptions,
  ChangeEntry,
  DropVersion,
  ParkedEvent,
  ProjectionError,
  ProjectionState,
  ProjectionStatus,
  ProjectionTableSpec,
  ReadStore,
  StoredParkedEvent,
  StoreKind,
  StoreTx,
  Unsubscribe,
} from '../read-store.ts';
import { appendChangesSql, lastChangePositionSql, pruneChangesSql, readChangesSql } from './change-log.ts';
import { acquireLeaseSql, holdsLeaseSql, releaseLeaseSql, renewLeaseSql } from './leases.ts';
import { lockMigrations, migrateBookkeeping } from './migrations.ts';
import { commitOffsetsSql, selectOffsets } from './offsets.ts';
import { isKeyParkedSql, parkEventSql, selectParkedSql } from './parked.ts';
import {
  createTableSql,
  dropTableSql,
  findActiveRowsSql,
  findRowsSql,
  loadRowsSql,
  versionedTable,
  writeRowsSql,
} from './rows.ts';
import { asSqlTx, type ProjectionDatabase, type SqlExecutor, SqlTx } from './sql-tx.ts';
import {
  activateVersionSql,
  markDroppedSql,
  readStatusesSql,
  retiredVersionsSql,
  setStatusSql,
} from './versions.ts';

/** How a SQL store wakes change-log subscribers: NOTIFY on PostgreSQL, an in-process signal on PGlite. */
export interface ChangeNotifier {
  /** Called inside the transaction that appended changes for `projection`. */
  notify(tx: SqlTx, projection: string): Promise<void>;
  subscribe(projection: string, onWake: () => void, onLost?: () => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}

/** The read store shared by PostgreSQL and PGlite: the same SQL, through Kysely. */
export class SqlReadStore implements ReadStore<SqlTx> {
  readonly kind: StoreKind;
  readonly schema: string;
  readonly #db: Kysely<ProjectionDatabase>;
  readonly #notifier: ChangeNotifier;

  constructor(kind: StoreKind, db: Kysely<ProjectionDatabase>, schema: string, notifier: ChangeNotifier) {
    assertIdentifier('schema', schema);
    this.kind = kind;
    this.#db = db;
    this.schema = schema;
    this.#notifier = notifier;
  }

  /** Creates or upgrades the bookkeeping tables; safe when several processes start at once. */
  async migrate(): Promise<number[]> {
    return migrateBookkeeping(this.#db, this.schema);
  }

  async transaction<T>(fn: (tx: SqlTx) => Promise<T>): Promise<T> {
    let hooks: Array<() => void> = [];
    const result = await this.#db.transaction().execute(async (trx) => {
      const tx = new SqlTx(this.kind, trx);
      try {
        return await fn(tx);
      } finally {
        hooks = tx.end();
      }
    });
    for (const hook of hooks) hook();
    return result;
  }

  #on(tx: StoreTx | undefined): SqlExecutor {
    return tx === undefined ? this.#db : asSqlTx(tx, this.kind).db;
  }

  readOffsets(projection: string, version: number, tx?: SqlTx): Promise<Map<TopicPartitionKey, bigint>> {
    return selectOffsets(this.#on(tx), this.schema, projection, version);
  }

  commitOffsets(
    tx: SqlTx,
    projection: string,
    version: number,
    expected: ReadonlyMap<TopicPartitionKey, bigint | undefined>,
    next: ReadonlyMap<TopicPartitionKey, bigint>,
  ): Promise<void> {
    return commitOffsetsSql(this.#on(tx), this.schema, projection, version, expected, next);
  }

  acquireLease(projection: string, version: number, holder: string, ttlMs: number): Promise<boolean> {
    return acquireLeaseSql(this.#db, this.schema, projection, version, holder, ttlMs);
  }

  renewLease(projection: string, version: number, holder: string, ttlMs: number): Promise<boolean> {
    return renewLeaseSql(this.#db, this.schema, projection, version, holder, ttlMs);
  }

  holdsLease(
    tx: SqlTx,
    projection: string,
    version: number,
    holder: string,
    idleLimitMs?: number,
  ): Promise<boolean> {
    // PGlite is one session in this process: nothing else waits on its locks, and nothing may end it.
    const idleLimit = this.kind === 'postgres' ? idleLimitMs : undefined;
    return holdsLeaseSql(this.#on(tx), this.schema, projection, version, holder, idleLimit);
  }

  releaseLease(projection: string, version: number, holder: string): Promise<void> {
    return releaseLeaseSql(this.#db, this.schema, projection, version, holder);
  }

  async setStatus(projection: string, version: number, state: ProjectionState, lastError?: ProjectionError) {
    await this.#db
      .transaction()
      .execute((trx) => setStatusSql(trx, this.schema, projection, version, state, lastError));
  }

  markRebuilding(projection: string, version: number): Promise<boolean> {
    return this.#db
      .transaction()
      .execute((trx) => setStatusSql(trx, this.schema, projection, version, 'rebuilding', undefined, true));
  }

  async readStatus(projection: string): Promise<ProjectionStatus | undefined> {
    return (await readStatusesSql(this.#db, this.schema, projection))[0];
  }

  listStatuses(): Promise<ProjectionStatus[]> {
    return readStatusesSql(this.#db, this.schema);
  }

  async activateVersion(projection: string, version: number): Promise<void> {
    await this.transaction(async (tx) => {
      if (await activateVersionSql(tx.db, this.schema, projection, version)) {
        await this.#notifier.notify(tx, projection);
      }
    });
  }

  async dropRetired(graceMs: number, drop: DropVersion<SqlTx>, projection?: string) {
    return this.transaction(async (tx) => {
      const retired = await retiredVersionsSql(tx.db, this.schema, graceMs, projection);
      for (const { projection, version } of retired) {
        await drop(tx, projection, version);
        await markDroppedSql(tx.db, this.schema, projection, version);
      }
      return retired;
    });
  }

  async appendChanges(
    tx: SqlTx,
    projection: string,
    version: number,
    changes: readonly RowChange[],
    options: AppendChangesOptions = {},
  ) {
    const db = this.#on(tx);
    const written = await appendChangesSql(db, this.schema, projection, version, changes, options);
    if (written > 0) await this.#notifier.notify(tx, projection);
    return written;
  }

  readChanges(projection: string, afterPosition: bigint, limit: number): Promise<ChangeEntry[]> {
    return readChangesSql(this.#db, this.schema, projection, afterPosition, limit);
  }
  async lastChangePosition(projection: string): Promise<bigint> {
    return lastChangePositionSql(this.#db, this.schema, projection);
  }

  pruneChanges(olderThanMs: number): Promise<number> {
    return pruneChangesSql(this.#db, this.schema, olderThanMs);
  }

  subscribeChanges(projection: string, onWake: () => void, onLost?: () => void): Promise<Unsubscribe> {
    return this.#notifier.subscribe(projection, onWake, onLost);
  }

  parkEvent(tx: SqlTx, event: ParkedEvent): Promise<void> {
    return parkEventSql(this.#on(tx), this.schema, event);
  }

  isKeyParked(projection: string, version: number, key: string, tx?: SqlTx): Promise<boolean> {
    return isKeyParkedSql(this.#on(tx), this.schema, projection, version, key);
  }

  listParked(projection: string, version?: number, tx?: SqlTx): Promise<StoredParkedEvent[]> {
    return selectParkedSql(this.#on(tx), this.schema, { projection, version }, false);
  }

  unpark(projection: string, version: number, key?: string, tx?: SqlTx): Promise<StoredParkedEvent[]> {
    return selectParkedSql(this.#on(tx), this.schema, { projection, version, key }, true);
  }

  async prepareTables(
    version: number,
    specs: readonly ProjectionTableSpec<SqlTx>[],
  ): Promise<VersionedTable[]> {
    const tables = specs.map((spec) => versionedTable(this.schema, spec.definition, version));
    await this.transaction(async (tx) => {
      // Same lock as the bookkeeping migration: concurrent CREATE TABLE IF NOT EXISTS can still collide.
      await lockMigrations(tx.db, this.schema);
      for (const [i, spec] of specs.entries()) {
        await createTableSql(tx.db, tables[i]!);
        await spec.migrate?.(tx, tables[i]!);
      }
    });
    return tables;
  }

  writeRows(tx: SqlTx, table: VersionedTable, changes: readonly RowChange[]) {
    return writeRowsSql(this.#on(tx), table, changes);
  }

  loadRows(table: VersionedTable, keys: readonly Row[], tx?: SqlTx): Promise<Map<string, Row>> {
    return loadRowsSql(this.#on(tx), table, keys);
  }

  findRows(table: VersionedTable, where: Row = {}, tx?: SqlTx): Promise<Row[]> {
    return findRowsSql(this.#on(tx), table, where);
  }

  findActiveRows(projection: string, table: VersionedTable, where: Row = {}): Promise<ActiveRows> {
    return findActiveRowsSql(this.#db, this.schema, projection, table, where);
  }

  dropTable(tx: SqlTx, tableName: string): Promise<void> {
    return dropTableSql(this.#on(tx), this.schema, tableName);
  }

  async close(): Promise<void> {
    await this.#db.destroy();
    await this.#notifier.close();
  }
}
