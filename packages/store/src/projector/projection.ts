import type { Event, RecordedEvent, Upcasters } from '@sluice/core';
import type { Row } from '../model/row-changes.ts';
import type { TableDefinition, VersionedTable } from '../model/table-definition.ts';
import type { StoreTx } from '../read-store.ts';

/** Where a record sits in the log. */
export interface LogPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/**
 * An event as a projection receives it: decoded, upcast, with its place in the log. Records of
 * `command-results` arrive as `{ type: 'CommandResult', data: <the result> }`, keyed by command id.
 */
export type ProjectionEvent<E extends Event = Event> = RecordedEvent<E> & { readonly log: LogPosition };

/** The logical tables of a projection, by the name its handler uses. */
export type TableMap = Readonly<Record<string, TableDefinition>>;

/** A projection's tables of one version as they exist in a store. */
export type VersionedTables<T extends TableMap> = { readonly [K in keyof T]: VersionedTable };

/**
 * One table as a batch handler sees it: rows are read set-based with `load`, changed in memory, and
 * written by the projector after the handler returns (folded per key, one multi-row upsert).
 */
export interface BatchTable {
  readonly table: VersionedTable;
  /** Reads the rows of these keys in one query (keys this batch already wrote keep the batch's row). */
  load(keys: readonly Row[]): Promise<void>;
  /** The row as this batch sees it; throws `KEY_NOT_LOADED` for a key neither loaded nor written. */
  get(key: Row): Row | undefined;
  /** Creates or replaces a row. */
  upsert(row: Row): void;
  /** Deletes a row (its key columns are enough). */
  delete(key: Row): void;
  /** Replaces a row with `change(row)` if it exists; returns whether it did. */
  update(key: Row, change: (row: Row) => Row): boolean;
}

/** A batch handler's view of every table of its projection. */
export type BatchTables<T extends TableMap> = { readonly [K in keyof T]: BatchTable };

/** A read model built from the log: what it reads, the tables it owns, and how a batch changes them. */
export interface ProjectionDefinition<T extends TableMap = TableMap> {
  /** Stable name, a lower-case identifier: offsets, leases and status are kept under it. */
  readonly name: string;
  /** Schema version of its tables; a new version is built beside the old one (blue-green). */
  readonly version: number;
  /**
   * Topics it reads, without the deployment's prefix: `order-events`, or `command-results` for the
   * command-results projection.
   */
  readonly topics: readonly string[];
  readonly tables: T;
  /** Upcasters for old payload schemas. */
  readonly upcasters?: Upcasters;
  /** Runs after its tables exist, in the same transaction: indexes and the like. Idempotent. */
  migrate?(tx: StoreTx, tables: VersionedTables<T>): Promise<void>;
  /** Applies a batch of events in log order per partition. Throwing marks the batch for retry. */
  apply(events: readonly ProjectionEvent[], tables: BatchTables<T>): Promise<void> | void;
  /** The key whose order parking preserves; default the aggregate id (the record key). */
  keyOf?(event: ProjectionEvent): string;
}

/** Declares a projection, keeping its table names for the handler's types. */
export function defineProjection<const T extends TableMap>(
  definition: ProjectionDefinition<T>,
): ProjectionDefinition<T> {
  return definition;
}

/** Any projection, whatever its tables. */
export type AnyProjection = ProjectionDefinition<TableMap>;

/** The topic the `command-results` source names, before the prefix. */
export const COMMAND_RESULTS_TOPIC = 'command-results';

/** The event type under which command results reach a projection. */
export const COMMAND_RESULT_EVENT = 'CommandResult';
