import { OffsetConflictError, type OffsetMismatch, TransactionMisuseError } from '../errors.ts';
import { byLogPosition } from '../model/ordering.ts';
import { foldByKey, type Row, type RowChange, rowKeyOf, toJson } from '../model/row-changes.ts';
import {
  assertIdentifier,
  type VersionedTable,
  validateTableDefinition,
  versionedTableName,
} from '../model/table-definition.ts';
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
  StoreTx,
  Unsubscribe,
} from '../read-store.ts';
import { WakeHub } from '../wake/wake-hub.ts';
import { MemoryState, versionKey } from './memory-state.ts';
import { MemoryTx } from './memory-tx.ts';

/** A read store in process memory, rebuilt from the log at start; transactions run one at a time. */
export class MemoryReadStore implements ReadStore<MemoryTx> {
  readonly kind = 'memory' as const;
  readonly #state = new MemoryState();
  readonly #hub = new WakeHub();
  #queue: Promise<unknown> = Promise.resolve();

  /** Runs `fn` after every earlier transaction has finished. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  transaction<T>(fn: (tx: MemoryTx) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      const tx = new MemoryTx();
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        tx.end();
        throw error;
      }
      const hooks = tx.end();
      this.#apply(tx);
      for (const hook of hooks) hook();
      return result;
    });
  }

  #apply(tx: MemoryTx): void {
    for (const [name, staged] of tx.rows) {
      const rows = this.#state.tables.get(name)?.rows;
      if (!rows) continue;
      for (const [key, row] of staged) row === null ? rows.delete(key) : rows.set(key, row);
    }
    for (const [key, staged] of tx.offsets) {
      const offsets = this.#state.offsets.get(key) ?? new Map<TopicPartitionKey, bigint>();
      for (const [tp, next] of staged) offsets.set(tp, next);
      this.#state.offsets.set(key, offsets);
    }
    if (tx.unparked.length > 0) {
      const kept = this.#state.parked.filter((p) => !tx.unparked.some((match) => match(p)));
      this.#state.parked.splice(0, this.#state.parked.length, ...kept);
    }
    for (const event of tx.parked) this.#state.park(event);
    for (const effect of tx.effects) effect();
  }

  #tx(tx: StoreTx): MemoryTx {
    if (!(tx instanceof MemoryTx))
      throw new TransactionMisuseError(`expected a memory transaction, got ${tx.kind}`);
    tx.assertOpen();
    return tx;
  }

  async readOffsets(
    projection: string,
    version: number,
    tx?: MemoryTx,
  ): Promise<Map<TopicPartitionKey, bigint>> {
    const key = versionKey(projection, version);
    const offsets = new Map(this.#state.offsets.get(key));
    if (tx) for (const [tp, next] of this.#tx(tx).offsets.get(key) ?? []) offsets.set(tp, next);
    return offsets;
  }

  async commitOffsets(
    tx: MemoryTx,
    projection: string,
    version: number,
    expected: ReadonlyMap<TopicPartitionKey, bigint | undefined>,
    next: ReadonlyMap<TopicPartitionKey, bigint>,
  ): Promise<void> {
    const stored = await this.readOffsets(projection, version, tx);
    const mismatches: OffsetMismatch[] = [];
    for (const tp of new Set([...expected.keys(), ...next.keys()])) {
      if (expected.get(tp) !== stored.get(tp)) {
        mismatches.push({ topicPartition: tp, expected: expected.get(tp), actual: stored.get(tp) });
      }
    }
    if (mismatches.length > 0) throw new OffsetConflictError(projection, version, mismatches);
    const key = versionKey(projection, version);
    const staged = tx.offsets.get(key) ?? new Map<TopicPartitionKey, bigint>();
    for (const [tp, offset] of next) staged.set(tp, offset);
    tx.offsets.set(key, staged);
  }

  async acquireLease(projection: string, version: number, holder: string, ttlMs: number): Promise<boolean> {
    return this.#state.leases.acquire(versionKey(projection, version), holder, ttlMs);
  }

  async renewLease(projection: string, version: number, holder: string, ttlMs: number): Promise<boolean> {
    return this.#state.leases.renew(versionKey(projection, version), holder, ttlMs);
  }

  async holdsLease(tx: MemoryTx, projection: string, version: number, holder: string): Promise<boolean> {
    this.#tx(tx);
    return this.#state.leases.holds(versionKey(projection, version), holder);
  }

  async releaseLease(projection: string, version: number, holder: string): Promise<void> {
    this.#state.leases.release(versionKey(projection, version), holder);
  }

  async markRebuilding(projection: string, version: number): Promise<boolean> {
    const record = this.#state.version(projection, version);
    if (record.state === 'stopped') return false;
    await this.setStatus(projection, version, 'rebuilding');
    return true;
  }

  async setStatus(projection: string, version: number, state: ProjectionState, lastError?: ProjectionError) {
    const record = this.#state.version(projection, version);
    record.state = state;
    record.lastError = lastError;
    record.updatedAt = new Date();
  }

  async readStatus(projection: string): Promise<ProjectionStatus | undefined> {
    return this.#state.status(projection);
  }

  activateVersion(projection: string, version: number): Promise<void> {
    return this.#exclusive(async () => {
      if (this.#state.activate(projection, version)) this.#hub.wake(projection);
    });
  }

  async listStatuses(): Promise<ProjectionStatus[]> {
    const names = [...this.#state.projections.keys()].sort();
    const statuses = await Promise.all(names.map((name) => this.readStatus(name)));
    return statuses.filter((s) => s !== undefined);
  }

  async dropRetired(graceMs: number, drop: DropVersion<MemoryTx>, only?: string) {
    const cutoff = Date.now() - graceMs;
    const due: Array<{ projection: string; version: number }> = [];
    for (const [projection, record] of this.#state.projections) {
      if (only !== undefined && projection !== only) continue;
      for (const [version, v] of record.versions) {
        const retired = v.retiredAt !== undefined && v.retiredAt.getTime() <= cutoff;
        if (retired && v.droppedAt === undefined && record.active !== version)
          due.push({ projection, version });
      }
    }
    return this.transaction(async (tx) => {
      for (const { projection, version } of due) {
        await drop(tx, projection, version);
        tx.effects.push(() => this.#state.forgetVersion(projection, version));
      }
      return due;
    });
  }

  async appendChanges(
    tx: MemoryTx,
    projection: string,
    version: number,
    changes: readonly RowChange[],
    options: AppendChangesOptions = {},
  ) {
    const active = this.#state.projections.get(projection)?.active;
    if (active === undefined ? options.onlyIfActive : active !== version) return 0;
    const folded = foldByKey(changes);
    if (folded.length === 0) return 0;
    this.#tx(tx).effects.push(() => {
      for (const c of folded) {
        // Stored as JSON, as the SQL stores do, so readers see the same values from every store.
        const row = JSON.parse(toJson(c.row)) as Row;
        this.#state.appendChange({ projection, version, key: c.key, op: c.op, row });
      }
    });
    tx.afterCommit(() => this.#hub.wake(projection));
    return folded.length;
  }

  async readChanges(projection: string, afterPosition: bigint, limit: number): Promise<ChangeEntry[]> {
    const active = this.#state.projections.get(projection)?.active;
    const visible = (e: ChangeEntry) => active === undefined || e.version === active || e.op === 'reset';
    return this.#state.changeLog
      .filter((e) => e.projection === projection && e.position > afterPosition && visible(e))
      .slice(0, Math.max(0, Math.floor(limit)));
  }

  async lastChangePosition(projection: string): Promise<bigint> {
    let last = 0n;
    for (const entry of this.#state.changeLog)
      if (entry.projection === projection && entry.position > last) last = entry.position;
    return last;
  }

  async pruneChanges(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    const log = this.#state.changeLog;
    const kept = log.filter((e) => e.createdAt.getTime() >= cutoff);
    const pruned = log.length - kept.length;
    log.splice(0, log.length, ...kept);
    return pruned;
  }

  async subscribeChanges(projection: string, onWake: () => void): Promise<Unsubscribe> {
    return this.#hub.subscribe(projection, onWake);
  }

  async parkEvent(tx: MemoryTx, event: ParkedEvent): Promise<void> {
    this.#tx(tx).parked.push(event);
  }

  async isKeyParked(projection: string, version: number, key: string, tx?: MemoryTx): Promise<boolean> {
    const match = (p: ParkedEvent) => p.projection === projection && p.version === version && p.key === key;
    const removed = tx === undefined ? [] : this.#tx(tx).unparked;
    const stored = this.#state.parked.some((p) => match(p) && !removed.some((gone) => gone(p)));
    return stored || tx?.parked.some(match) === true;
  }

  async listParked(projection: string, version?: number, tx?: MemoryTx): Promise<StoredParkedEvent[]> {
    const match = (p: ParkedEvent) =>
      p.projection === projection && (version === undefined || p.version === version);
    const staged = tx === undefined ? [] : this.#tx(tx).parked.filter(match);
    const removed = tx === undefined ? [] : tx.unparked;
    return [
      ...this.#state.parked.filter((p) => match(p) && !removed.some((gone) => gone(p))),
      ...staged.map((p) => ({ ...p, parkedAt: new Date() })),
    ].sort(byLogPosition);
  }

  unpark(projection: string, version: number, key?: string, tx?: MemoryTx): Promise<StoredParkedEvent[]> {
    const match = (p: StoredParkedEvent) =>
      p.projection === projection && p.version === version && (key === undefined || p.key === key);
    const remove = () => {
      const removed = this.#state.parked.filter(match);
      const kept = this.#state.parked.filter((p) => !match(p));
      this.#state.parked.splice(0, this.#state.parked.length, ...kept);
      return removed.sort(byLogPosition);
    };
    if (tx === undefined) return this.#exclusive(async () => remove());
    // Inside a transaction: report now, remove at commit (and hide from this transaction's reads).
    const found = this.#state.parked.filter(
      (p) => match(p) && !this.#tx(tx).unparked.some((gone) => gone(p)),
    );
    tx.unparked.push((p) => found.includes(p as StoredParkedEvent));
    return Promise.resolve(found.sort(byLogPosition));
  }

  async prepareTables(
    version: number,
    specs: readonly ProjectionTableSpec<MemoryTx>[],
  ): Promise<VersionedTable[]> {
    const tables = specs.map(({ definition }) => {
      validateTableDefinition(definition);
      const name = versionedTableName(definition.name, version);
      return { definition, name, schema: '', qualified: name };
    });
    await this.transaction(async (tx) => {
      for (const [i, spec] of specs.entries()) {
        const table = tables[i]!;
        if (!this.#state.tables.has(table.name)) {
          this.#state.tables.set(table.name, { definition: table.definition, rows: new Map() });
        }
        await spec.migrate?.(tx, table);
      }
    });
    return tables;
  }

  async writeRows(tx: MemoryTx, table: VersionedTable, changes: readonly RowChange[]) {
    const staged = this.#tx(tx).stagedRows(table.name);
    const existing = this.#state.tables.get(table.name)?.rows;
    if (!existing) throw new TransactionMisuseError(`table ${table.name} was not prepared`);
    let upserted = 0;
    let deleted = 0;
    for (const change of foldByKey(changes)) {
      const key = rowKeyOf(table.definition.key, change.row);
      if (change.op === 'upsert') {
        staged.set(key, { ...change.row });
        upserted += 1;
      } else {
        const present = staged.has(key) ? staged.get(key) !== null : existing.has(key);
        staged.set(key, null);
        if (present) deleted += 1;
      }
    }
    return { upserted, deleted };
  }

  async loadRows(table: VersionedTable, keys: readonly Row[], tx?: MemoryTx): Promise<Map<string, Row>> {
    const rows = this.#state.tables.get(table.name)?.rows;
    if (!rows) throw new TransactionMisuseError(`table ${table.name} does not exist`);
    const staged = tx ? this.#tx(tx).rows.get(table.name) : undefined;
    const found = new Map<string, Row>();
    for (const keyRow of keys) {
      const key = rowKeyOf(table.definition.key, keyRow);
      const row = staged?.has(key) ? staged.get(key) : rows.get(key);
      if (row) found.set(key, row);
    }
    return found;
  }

  async findActiveRows(projection: string, table: VersionedTable, where: Row = {}): Promise<ActiveRows> {
    // findRows reads synchronously when called: both reads see one state, as the SQL stores' statement.
    const activeVersion = this.#state.status(projection)?.activeVersion;
    if (activeVersion === undefined) return { activeVersion, rows: [] };
    const rows = this.findRows(table, where);
    return { activeVersion, rows: await rows };
  }

  async findRows(table: VersionedTable, where: Row = {}, tx?: MemoryTx): Promise<Row[]> {
    const rows = this.#state.tables.get(table.name)?.rows;
    if (!rows) throw new TransactionMisuseError(`table ${table.name} does not exist`);
    const merged = new Map(rows);
    for (const [key, row] of (tx ? this.#tx(tx).rows.get(table.name) : undefined) ?? []) {
      row === null ? merged.delete(key) : merged.set(key, row);
    }
    const wanted = Object.entries(where).map(([column, value]) => [column, toJson(value)] as const);
    return [...merged]
      .filter(([, row]) => wanted.every(([column, value]) => toJson(row[column]) === value))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
  }

  async dropTable(tx: MemoryTx, tableName: string): Promise<void> {
    assertIdentifier('table name', tableName);
    this.#tx(tx).effects.push(() => this.#state.tables.delete(tableName));
  }

  async close(): Promise<void> {
    this.#hub.clear();
  }
}
