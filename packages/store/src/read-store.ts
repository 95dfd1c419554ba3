import type { Row, RowChange } from './model/row-changes.ts';
import type { TableDefinition, VersionedTable } from './model/table-definition.ts';
import type { TopicPartitionKey } from './model/topic-partition.ts';

/** Which backing store a read store uses. */
export type StoreKind = 'postgres' | 'pglite' | 'memory';

/** A unit of work: a projection's batch writes and the store's bookkeeping commit together or not at all. */
export interface StoreTx {
  readonly kind: StoreKind;
  /** Runs `fn` once the transaction has committed (never if it rolls back). */
  afterCommit(fn: () => void): void;
}

/** Lifecycle state of one projection version. */
export type ProjectionState = 'running' | 'rebuilding' | 'stopped' | 'failed';

/** The event a projection failed on. */
export interface FailingEvent {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** Why a projection version stopped or parked an event. */
export interface ProjectionError {
  readonly message: string;
  readonly code?: string;
  readonly event?: FailingEvent;
}

/** Health of one projection version. */
export interface VersionStatus {
  readonly version: number;
  readonly state: ProjectionState;
  readonly lastError: ProjectionError | undefined;
  readonly activatedAt: Date | undefined;
  readonly retiredAt: Date | undefined;
  readonly updatedAt: Date;
}

/** Health of a projection: which version serves reads and how every known version is doing. */
export interface ProjectionStatus {
  readonly projection: string;
  readonly activeVersion: number | undefined;
  readonly versions: readonly VersionStatus[];
}

/** One entry of a projection's durable change log; `reset` means "reload everything" (a version switch). */
export interface ChangeEntry {
  readonly position: bigint;
  readonly projection: string;
  readonly version: number;
  readonly key: string;
  readonly op: 'upsert' | 'delete' | 'reset';
  readonly row: Row | null;
  readonly createdAt: Date;
}

/** An event set aside because the projection could not apply it. */
export interface ParkedEvent {
  readonly projection: string;
  readonly version: number;
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The event as JSON (payload and whatever headers the projector keeps). */
  readonly event: unknown;
  readonly error: ProjectionError;
}

/** A parked event as stored, with the time it was parked. */
export interface StoredParkedEvent extends ParkedEvent {
  readonly parkedAt: Date;
}

/** A projection's table and the optional migration that adds what a column list cannot (indexes). */
export interface ProjectionTableSpec<Tx extends StoreTx = StoreTx> {
  readonly definition: TableDefinition;
  readonly migrate?: (tx: Tx, table: VersionedTable) => Promise<void>;
}

/** Drops what a retired version left behind (its tables), inside the transaction that marks it dropped. */
export type DropVersion<Tx extends StoreTx = StoreTx> = (
  tx: Tx,
  projection: string,
  version: number,
) => Promise<void>;

/** How {@link ReadStore.appendChanges} decides whether a version's changes are logged. */
export interface AppendChangesOptions {
  /** Log only when `version` is the active version (checked in the transaction, under the writers' lock). */
  readonly onlyIfActive?: boolean;
}

/** Stop being woken by change-log appends. */
export type Unsubscribe = () => Promise<void>;

/** Rows of a table, and the projection's active version in the same snapshot. */
export interface ActiveRows {
  readonly activeVersion: number | undefined;
  readonly rows: Row[];
}

/** The storage a projector writes and the query side reads: rows, offsets, leases, versions, change log. */
export interface ReadStore<Tx extends StoreTx = StoreTx> {
  readonly kind: StoreKind;

  /** Runs `fn` in one transaction; if it throws, nothing it wrote is kept. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;

  /** The stored next offset per topic/partition of a projection version. */
  readOffsets(projection: string, version: number, tx?: Tx): Promise<Map<TopicPartitionKey, bigint>>;
  /**
   * Compare-and-set of a version's offsets: every partition in `expected` or `next` must hold what
   * `expected` says (undefined: no row), else `OffsetConflictError` and the transaction must roll back.
   */
  commitOffsets(
    tx: Tx,
    projection: string,
    version: number,
    expected: ReadonlyMap<TopicPartitionKey, bigint | undefined>,
    next: ReadonlyMap<TopicPartitionKey, bigint>,
  ): Promise<void>;

  /** Takes the lease if free, expired or already held by `holder` (renewing it); false if someone else holds it. */
  acquireLease(projection: string, version: number, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends a lease `holder` still holds; false if it was lost. */
  renewLease(projection: string, version: number, holder: string, ttlMs: number): Promise<boolean>;
  /**
   * Inside a batch's transaction: whether `holder` still holds an unexpired lease. On SQL stores the
   * lease row stays share-locked until the transaction ends, so a takeover waits for it (fencing).
   * With `idleLimitMs`, PostgreSQL ends the session should the transaction sit idle longer than that
   * (a holder frozen mid-batch, say by SIGSTOP, would otherwise keep the lock and stall the takeover
   * until it ran again); projectors pass their lease TTL.
   */
  holdsLease(
    tx: Tx,
    projection: string,
    version: number,
    holder: string,
    idleLimitMs?: number,
  ): Promise<boolean>;
  /** Gives a lease up so another holder can take it at once. */
  releaseLease(projection: string, version: number, holder: string): Promise<void>;

  /** Records the state of a version (and its last error, cleared when omitted). */
  setStatus(
    projection: string,
    version: number,
    state: ProjectionState,
    lastError?: ProjectionError,
  ): Promise<void>;
  /**
   * Records a version as `rebuilding` unless an operator stopped it (`cancelRebuild`) since it was
   * read: false, and nothing written, when it is `stopped`. A rebuild's projector starts with this, so
   * that a cancel landing between its read of the status and its write is not overwritten.
   */
  markRebuilding(projection: string, version: number): Promise<boolean>;
  /** The status of one projection, undefined if the store has never heard of it. */
  readStatus(projection: string): Promise<ProjectionStatus | undefined>;
  /** The status of every known projection. */
  listStatuses(): Promise<ProjectionStatus[]>;
  /**
   * Makes `version` the active one if it has caught up with the active version on every partition
   * (else `VersionLaggingError`), retires the old one and appends a `reset` to the change log.
   */
  activateVersion(projection: string, version: number): Promise<void>;
  /**
   * Drops versions retired longer than `graceMs` ago (of one projection when named), calling `drop`
   * for each; returns what was dropped.
   */
  dropRetired(
    graceMs: number,
    drop: DropVersion<Tx>,
    projection?: string,
  ): Promise<Array<{ projection: string; version: number }>>;

  /**
   * Appends a batch's changes to the change log in the batch's transaction: skipped while another
   * version is active, and with `onlyIfActive` also while none is (a version's activation appends a
   * `reset`, so what it wrote before that is never needed).
   */
  appendChanges(
    tx: Tx,
    projection: string,
    version: number,
    changes: readonly RowChange[],
    options?: AppendChangesOptions,
  ): Promise<number>;
  /** Change-log entries of a projection after `afterPosition`, in position order, at most `limit`. */
  readChanges(projection: string, afterPosition: bigint, limit: number): Promise<ChangeEntry[]>;
  /** The newest change-log position of a projection (0 when it has none): where a new subscriber starts. */
  lastChangePosition(projection: string): Promise<bigint>;
  /** Deletes change-log entries older than `olderThanMs`; returns how many. */
  pruneChanges(olderThanMs: number): Promise<number>;
  /**
   * Calls `onWake` after a transaction appending changes for `projection` commits (in any process on
   * PostgreSQL). `onLost`, when given, is called when wake-ups may have been missed (the listening
   * connection dropped); a wake-up follows once notifications flow again.
   */
  subscribeChanges(projection: string, onWake: () => void, onLost?: () => void): Promise<Unsubscribe>;

  /** Parks a poison event in the batch's transaction. */
  parkEvent(tx: Tx, event: ParkedEvent): Promise<void>;
  /** Whether any event of `key` is parked, so later events of the key must be parked behind it. */
  isKeyParked(projection: string, version: number, key: string, tx?: Tx): Promise<boolean>;
  /** Parked events of a projection (one version or all), in topic/partition/offset order. */
  listParked(projection: string, version?: number, tx?: Tx): Promise<StoredParkedEvent[]>;
  /**
   * Removes parked events (of one key, or all of the version) and returns them in offset order for
   * replay; with `tx`, the removal commits with that transaction.
   */
  unpark(projection: string, version: number, key?: string, tx?: Tx): Promise<StoredParkedEvent[]>;

  /** Creates a version's tables (`p_<name>_v<version>`) if missing and runs each table's own migration. */
  prepareTables(version: number, tables: readonly ProjectionTableSpec<Tx>[]): Promise<VersionedTable[]>;
  /** Folds `changes` by row key and writes them set-based: one multi-row upsert and one multi-row delete. */
  writeRows(
    tx: Tx,
    table: VersionedTable,
    changes: readonly RowChange[],
  ): Promise<{ upserted: number; deleted: number }>;
  /** Reads rows by key (rows holding at least the key columns); the result is keyed by row key. */
  loadRows(table: VersionedTable, keys: readonly Row[], tx?: Tx): Promise<Map<string, Row>>;
  /** Rows whose columns equal every entry of `where` (all rows when it is empty), in key order. */
  findRows(table: VersionedTable, where?: Row, tx?: Tx): Promise<Row[]>;
  /**
   * {@link findRows}, and the active version of `projection` read together with them (one statement,
   * one snapshot): a query that knows which version's table to read confirms it in the same round trip.
   * No rows while the projection has no active version.
   */
  findActiveRows(projection: string, table: VersionedTable, where?: Row): Promise<ActiveRows>;
  /** Drops a projection table (used by a `DropVersion`). */
  dropTable(tx: Tx, tableName: string): Promise<void>;

  /** Closes connections and listeners. */
  close(): Promise<void>;
}
