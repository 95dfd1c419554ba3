import { decodePositionToken, isSatisfiedBy, type PositionToken, SluiceError } from '@sluice/core';
import type { Row } from '../model/row-changes.ts';
import { parseTopicPartitionKey } from '../model/topic-partition.ts';
import type { ChangeEntry, ReadStore } from '../read-store.ts';
import { type ChangeFeedOptions, changeFeed } from './change-feed.ts';
import type { AnyProjection, TableMap, VersionedTables } from './projection.ts';
import { ProjectionBehindError, UnknownProjectionError } from './projector-errors.ts';
import { QueryCache, type QueryCacheOptions, type QueryCacheStats } from './query-cache.ts';
import { prepareProjectionTables } from './tables.ts';
import { WakeSignal } from './wake-signal.ts';

/** Settings of a {@link ReadSide}. */
export interface ReadSideOptions {
  readonly store: ReadStore;
  readonly projections: readonly AnyProjection[];
  readonly topicPrefix?: string;
  /**
   * Keeps `findRows` answers in memory until the projection's next change notification (see
   * {@link QueryCache}): `true` for the defaults, or its options. Off by default.
   */
  readonly cache?: boolean | QueryCacheOptions;
}

/** What queries need from the projections: the active tables, read-your-writes waits, change feeds. */
export class ReadSide {
  readonly store: ReadStore;
  readonly #byName: Map<string, AnyProjection>;
  readonly #prefix: string;
  readonly #tables = new Map<string, VersionedTables<TableMap>>();
  /** The active version each projection had when last looked up: queries confirm it as they read. */
  readonly #lastActive = new Map<string, number>();
  readonly #cache: QueryCache | undefined;

  constructor(options: ReadSideOptions) {
    this.store = options.store;
    this.#prefix = options.topicPrefix ?? '';
    this.#byName = new Map(options.projections.map((p) => [p.name, p]));
    const cache = options.cache ?? false;
    if (cache !== false) this.#cache = new QueryCache(this.store, cache === true ? {} : cache);
  }

  /** The query cache's counters, when it is on. */
  cacheStats(): QueryCacheStats | undefined {
    return this.#cache?.stats();
  }

  /** Stops the query cache's notifications (the store is the caller's to close). */
  async close(): Promise<void> {
    await this.#cache?.close();
  }

  /** The projection named `name`; throws `UNKNOWN_PROJECTION`. */
  projection(name: string): AnyProjection {
    const projection = this.#byName.get(name);
    if (projection === undefined) throw new UnknownProjectionError(name);
    return projection;
  }

  /** The tables of the version queries read now (it changes at a version switch: resolve per query). */
  async tables(name: string): Promise<VersionedTables<TableMap>> {
    this.projection(name);
    const active = (await this.store.readStatus(name))?.activeVersion;
    if (active === undefined) throw new UnknownProjectionError(name, 'has no active version yet');
    const tables = await this.#tablesOf(name, active);
    this.#lastActive.set(name, active);
    return tables;
  }

  async #tablesOf(name: string, version: number): Promise<VersionedTables<TableMap>> {
    const cacheKey = `${name}\u0000${version}`;
    let tables = this.#tables.get(cacheKey);
    if (tables === undefined) {
      tables = await prepareProjectionTables(this.store, this.projection(name), version);
      this.#tables.set(cacheKey, tables);
    }
    return tables;
  }

  /**
   * Rows of one table of the active version. While the version last seen is still active this is one
   * round trip (the rows and the active version come from one statement); after a version switch the
   * tables are resolved again.
   */
  async findRows(name: string, table: string, where: Row = {}): Promise<Row[]> {
    const known = this.#lastActive.get(name);
    if (known !== undefined) {
      const cached = this.#cache?.lookup(name, known, table, where);
      if (cached !== undefined && 'rows' in cached) return [...cached.rows];
      const tables = await this.#tablesOf(name, known);
      // A version retired long enough ago has had its tables dropped: the statement fails, and the
      // tables are resolved again below (which also surfaces any other error).
      const found = await this.store
        .findActiveRows(name, this.#table(name, tables, table), where)
        .catch(() => undefined);
      if (found?.activeVersion === known) {
        const miss = cached?.miss;
        if (miss !== undefined) this.#cache!.store(miss, found.rows);
        return found.rows;
      }
    }
    const tables = await this.tables(name);
    return this.store.findRows(this.#table(name, tables, table), where);
  }

  #table(name: string, tables: VersionedTables<TableMap>, table: string) {
    const found = tables[table];
    if (found === undefined) throw new TypeError(`projection ${name} has no table ${table}`);
    return found;
  }

  /** Whether the active version has passed every entry of the token on topics it reads. */
  async isSatisfied(name: string, token: PositionToken): Promise<boolean> {
    const projection = this.projection(name);
    const active = (await this.store.readStatus(name))?.activeVersion;
    const offsets = active === undefined ? new Map() : await this.store.readOffsets(name, active);
    const next = [...offsets].map(([tp, nextOffset]) => ({ ...parseTopicPartitionKey(tp), nextOffset }));
    return isSatisfiedBy(
      token,
      next,
      projection.topics.map((t) => this.#prefix + t),
    );
  }

  /**
   * Resolves once the projection has applied everything the token names, woken by the store's change
   * notifications; after `timeoutMs` throws `ProjectionBehindError` (`PROJECTION_BEHIND`).
   */
  async waitForPosition(name: string, token: string | PositionToken, timeoutMs = 5000): Promise<void> {
    const decoded = typeof token === 'string' ? decodePositionToken(token) : { ok: true as const, token };
    if (!decoded.ok) throw new SluiceError(decoded.code, decoded.message);
    const deadline = performance.now() + timeoutMs;
    const wake = await WakeSignal.open(this.store, name);
    try {
      for (;;) {
        if (await this.isSatisfied(name, decoded.token)) {
          // Cached answers may predate what the token names until its notification arrives.
          this.#cache?.invalidate(name);
          return;
        }
        const left = deadline - performance.now();
        if (left <= 0) throw new ProjectionBehindError(name, timeoutMs);
        // Notifications come with every batch that changed rows; the re-check covers those that did not.
        await wake.wait(Math.min(left, 250));
      }
    } finally {
      await wake.close();
    }
  }

  /** The projection's changes after `afterPosition`, live; see {@link changeFeed}. */
  changes(name: string, afterPosition = 0n, options: ChangeFeedOptions = {}): AsyncGenerator<ChangeEntry> {
    this.projection(name);
    return changeFeed(this.store, name, afterPosition, options);
  }
}
