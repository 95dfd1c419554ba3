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
export type { PoisonPolicy } from './projector/apply-batch.ts';
export { KeyNotLoadedError } from './projector/batch-tables.ts';
export { type ChangeFeedOptions, changeFeed } from './projector/change-feed.ts';
export { projectionLag, type SourceLag, StoredProgress } from './projector/lag.ts';
export type { StoredRecord } from './projector/log-records.ts';
export type { ProjectionProgress } from './projector/progress.ts';
export {
  type AnyProjection,
  type BatchTable,
  type BatchTables,
  COMMAND_RESULT_EVENT,
  COMMAND_RESULTS_TOPIC,
  defineProjection,
  type LogPosition,
  type ProjectionDefinition,
  type ProjectionEvent,
  type TableMap,
  type VersionedTables,
} from './projector/projection.ts';
export { Projector } from './projector/projector.ts';
export {
  LeaseLostError,
  PoisonEventError,
  ProjectionBehindError,
  RebuildNotCancellableError,
  UnknownProjectionError,
} from './projector/projector-errors.ts';
export type { BatchReport, ProjectorOptions } from './projector/projector-options.ts';
export {
  DEFAULT_QUERY_CACHE_ENTRIES,
  QueryCache,
  type QueryCacheOptions,
  type QueryCacheStats,
} from './projector/query-cache.ts';
export { ReadSide, type ReadSideOptions } from './projector/read-side.ts';
export {
  cancelRebuild,
  nextRebuildVersion,
  pendingRebuild,
  REBUILD_BATCH_RECORDS,
  type Rebuild,
  type RebuildOptions,
  rebuildProjection,
} from './projector/rebuild.ts';
export { RebuildCarrier, type RebuildCarrierOptions } from './projector/rebuild-carrier.ts';
export { recordedAtText } from './projector/recorded-at.ts';
export { type RetryOptions, type RetryReport, retryProjection } from './projector/retry.ts';
export { dropRetiredTables, prepareProjectionTables } from './projector/tables.ts';
export type * from './read-store.ts';
export { SqlReadStore } from './sql/sql-read-store.ts';
export { type ProjectionDatabase, SqlTx } from './sql/sql-tx.ts';
export { openReadStore, type StoreConfig, storeConfigFromEnv } from './store-config.ts';
