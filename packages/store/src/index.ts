/** Sluice read stores: projection rows, offsets with compare-and-set, leases, versions and a change log. */
export {
  InvalidIdentifierError,
  OffsetConflictError,
  type OffsetMismatch,
  type PartitionLag,
  StoreError,
  TransactionMisuseError,
  VersionLaggingError,
} from './errors.ts';
export { MemoryReadStore } from './memory/memory-store.ts';
export type { MemoryTx } from './memory/memory-tx.ts';
export {
  deleteChange,
  foldByKey,
  type Row,
  type RowChange,
  rowKeyOf,
  toJson,
  upsertChange,
} from './model/row-changes.ts';
export {
  assertIdentifier,
  type ColumnType,
  type TableDefinition,
  type VersionedTable,
  versionedTableName,
} from './model/table-definition.ts';
export {
  parseTopicPartitionKey,
  type TopicPartitionKey,
  topicPartitionKey,
} from './model/topic-partition.ts';
export { PGliteDialect } from './pglite/pglite-dialect.ts';
export { DEFAULT_PGLITE_DIR, openPGliteStore, type PGliteStoreOptions } from './pglite/pglite-store.ts';
export {
  DEFAULT_DATABASE_URL,
  openPostgresStore,
  type PostgresStoreOptions,
} from './postgres/postgres-store.ts';
export type * from './read-store.ts';
export { SqlReadStore } from './sql/sql-read-store.ts';
export type { ProjectionDatabase, SqlTx } from './sql/sql-tx.ts';
