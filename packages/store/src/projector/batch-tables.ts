import { StoreError } from '../errors.ts';
import { deleteChange, type Row, type RowChange, rowKeyOf, upsertChange } from '../model/row-changes.ts';
import type { VersionedTable } from '../model/table-definition.ts';
import type { ReadStore, StoreTx } from '../read-store.ts';
import type { BatchTable, BatchTables, TableMap, VersionedTables } from './projection.ts';

/** A handler read a row it had neither loaded nor written in this batch. */
export class KeyNotLoadedError extends StoreError {
  constructor(table: string, key: string) {
    super('KEY_NOT_LOADED', `row ${key} of ${table} was read before it was loaded: call load() first`);
  }
}

/** One table's rows as a batch sees them: loaded rows under the batch's own writes. */
export class StagedTable implements BatchTable {
  readonly table: VersionedTable;
  readonly #store: ReadStore;
  readonly #tx: StoreTx | undefined;
  #base: StagedTable | undefined;
  /** Row key → row, or null for a row known to be absent. */
  readonly #known = new Map<string, Row | null>();
  readonly #changes: RowChange[] = [];

  /** `tx` undefined: rows are loaded outside any transaction (see `stageAhead`). */
  constructor(store: ReadStore, tx: StoreTx | undefined, table: VersionedTable, base?: StagedTable) {
    this.#store = store;
    this.#tx = tx;
    this.table = table;
    this.#base = base;
  }

  async load(keys: readonly Row[]): Promise<void> {
    const { key } = this.table.definition;
    const missing = new Map<string, Row>();
    for (const k of keys) {
      const rowKey = rowKeyOf(key, k);
      if (!this.#knows(rowKey)) missing.set(rowKey, k);
    }
    if (missing.size === 0) return;
    const found = await this.#store.loadRows(this.table, [...missing.values()], this.#tx);
    for (const rowKey of missing.keys()) this.#known.set(rowKey, found.get(rowKey) ?? null);
  }

  get(key: Row): Row | undefined {
    const rowKey = rowKeyOf(this.table.definition.key, key);
    const row = this.#lookup(rowKey);
    if (row === undefined) throw new KeyNotLoadedError(this.table.definition.name, rowKey);
    return row ?? undefined;
  }

  upsert(row: Row): void {
    const change = upsertChange(this.table.definition, row);
    this.#known.set(change.key, row);
    this.#changes.push(change);
  }

  delete(key: Row): void {
    const change = deleteChange(this.table.definition, key);
    this.#known.set(change.key, null);
    this.#changes.push(change);
  }

  update(key: Row, change: (row: Row) => Row): boolean {
    const row = this.get(key);
    if (row === undefined) return false;
    this.upsert(change(row));
    return true;
  }

  /** The changes written through this table, in order (folding happens at write time). */
  get changes(): readonly RowChange[] {
    return this.#changes;
  }

  /** Stops reading through the base: its rows are committed, so the store has them. */
  detach(): void {
    this.#base = undefined;
  }

  /** Makes a child's reads and writes this table's own (an event that applied cleanly). */
  absorb(child: StagedTable): void {
    for (const [key, row] of child.#known) this.#known.set(key, row);
    this.#changes.push(...child.#changes);
  }

  #knows(rowKey: string): boolean {
    return this.#lookup(rowKey) !== undefined;
  }

  /** Row, null (absent), or undefined (unknown). */
  #lookup(rowKey: string): Row | null | undefined {
    if (this.#known.has(rowKey)) return this.#known.get(rowKey);
    return this.#base === undefined ? undefined : this.#base.#lookup(rowKey);
  }
}

/** A batch's staged tables keyed like the projection's table map. */
export class StagedTables<T extends TableMap = TableMap> {
  readonly byName: Record<string, StagedTable>;

  constructor(store: ReadStore, tx: StoreTx | undefined, tables: VersionedTables<T>, base?: StagedTables<T>) {
    this.byName = {};
    for (const [name, table] of Object.entries(tables) as Array<[string, VersionedTable]>) {
      this.byName[name] = new StagedTable(store, tx, table, base?.byName[name]);
    }
  }

  /** The view a handler receives. */
  get view(): BatchTables<T> {
    return this.byName as BatchTables<T>;
  }

  /** See {@link StagedTable.detach}. */
  detach(): void {
    for (const table of Object.values(this.byName)) table.detach();
  }

  /** Folds a child's work into this one. */
  absorb(child: StagedTables<T>): void {
    for (const [name, table] of Object.entries(this.byName)) table.absorb(child.byName[name]!);
  }

  /** Writes every table's changes set-based and appends them to the change log; returns rows changed. */
  async write(store: ReadStore, tx: StoreTx, projection: string, version: number): Promise<number> {
    const logged: RowChange[] = [];
    let written = 0;
    for (const staged of Object.values(this.byName)) {
      if (staged.changes.length === 0) continue;
      const result = await store.writeRows(tx, staged.table, staged.changes);
      written += result.upserted + result.deleted;
      // The change log is per projection: a key names its table so two tables never fold together.
      const prefix = `${staged.table.definition.name}:`;
      for (const change of staged.changes) logged.push({ ...change, key: prefix + change.key });
    }
    // A version that is not active yet logs nothing: its activation appends a reset for subscribers.
    await store.appendChanges(tx, projection, version, logged, { onlyIfActive: true });
    return written;
  }
}
