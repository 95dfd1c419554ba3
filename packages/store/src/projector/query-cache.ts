import type { Row } from '../model/row-changes.ts';
import type { ReadStore, Unsubscribe } from '../read-store.ts';

/** Settings of the query cache of a {@link ReadSide}. */
export interface QueryCacheOptions {
  /** Cached answers kept over all projections; the least recently used go first. Default 10,000. */
  readonly maxEntries?: number;
}

/** How the cache has done since it opened. */
export interface QueryCacheStats {
  readonly hits: number;
  readonly misses: number;
  readonly entries: number;
  /** Whole-projection invalidations: change notifications, lost listeners, read-your-writes waits. */
  readonly invalidations: number;
}

interface ProjectionEntry {
  /** Bumped by every invalidation: an answer read under an older generation is not kept. */
  generation: number;
  /** Whether change notifications reach this process now; nothing is cached while they do not. */
  live: boolean;
  subscribed: Promise<Unsubscribe> | undefined;
  readonly answers: Set<string>;
}

/** An answer read from the store, with the generation to store it under. */
export interface CacheMiss {
  readonly key: string;
  readonly projection: string;
  readonly generation: number;
}

export const DEFAULT_QUERY_CACHE_ENTRIES = 10_000;
const SUBSCRIBE_RETRY_MS = 1_000;

/**
 * Answers of `findRows` kept in memory and dropped, a whole projection at a time, on the store's change
 * notifications: the same wake-ups that drive change feeds and read-your-writes waits (LISTEN/NOTIFY
 * across processes on PostgreSQL). An answer is at most one notification's delivery behind the store;
 * `ReadSide.waitForPosition` drops the projection's answers when it returns, so a read after it sees
 * the store. While the listener is down nothing is cached.
 */
export class QueryCache {
  readonly #store: ReadStore;
  readonly #maxEntries: number;
  readonly #projections = new Map<string, ProjectionEntry>();
  /** Every cached answer by key, in least-recently-used order (a Map keeps insertion order). */
  readonly #answers = new Map<string, { readonly projection: string; readonly rows: readonly Row[] }>();
  #hits = 0;
  #misses = 0;
  #invalidations = 0;
  #closed = false;

  constructor(store: ReadStore, options: QueryCacheOptions = {}) {
    this.#store = store;
    this.#maxEntries = options.maxEntries ?? DEFAULT_QUERY_CACHE_ENTRIES;
    if (!Number.isSafeInteger(this.#maxEntries) || this.#maxEntries < 1)
      throw new RangeError(`query cache maxEntries must be a positive integer, got ${options.maxEntries}`);
  }

  /** The cached answer, or what to store the store's answer under (`undefined` when it cannot be kept). */
  lookup(
    projection: string,
    version: number,
    table: string,
    where: Row,
  ): { readonly rows: readonly Row[] } | { readonly miss: CacheMiss | undefined } {
    const key = `${projection}\u0000${version}\u0000${table}\u0000${JSON.stringify(where)}`;
    const found = this.#answers.get(key);
    if (found !== undefined) {
      this.#answers.delete(key);
      this.#answers.set(key, found);
      this.#hits++;
      return { rows: found.rows };
    }
    this.#misses++;
    const entry = this.#entry(projection);
    return { miss: entry.live ? { key, projection, generation: entry.generation } : undefined };
  }

  /** Keeps an answer read from the store, unless its projection changed since the lookup. */
  store(miss: CacheMiss, rows: readonly Row[]): void {
    const entry = this.#projections.get(miss.projection);
    if (this.#closed || entry === undefined || !entry.live || entry.generation !== miss.generation) return;
    for (const row of rows) deepFreeze(row);
    this.#answers.set(miss.key, { projection: miss.projection, rows: Object.freeze([...rows]) });
    entry.answers.add(miss.key);
    if (this.#answers.size > this.#maxEntries) {
      const oldest = this.#answers.keys().next().value as string;
      this.#projections.get(this.#answers.get(oldest)!.projection)?.answers.delete(oldest);
      this.#answers.delete(oldest);
    }
  }

  /** Drops every answer of a projection; lookups in flight do not keep theirs. */
  invalidate(projection: string): void {
    const entry = this.#projections.get(projection);
    if (entry === undefined) return;
    entry.generation++;
    this.#invalidations++;
    for (const key of entry.answers) this.#answers.delete(key);
    entry.answers.clear();
  }

  stats(): QueryCacheStats {
    return {
      hits: this.#hits,
      misses: this.#misses,
      entries: this.#answers.size,
      invalidations: this.#invalidations,
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    const subscriptions = [...this.#projections.values()].map((entry) => entry.subscribed);
    this.#projections.clear();
    this.#answers.clear();
    await Promise.all(
      subscriptions.map(async (subscribed) => (await subscribed?.catch(() => undefined))?.()),
    );
  }

  /** The projection's bookkeeping; subscribes to its notifications on first use (live once subscribed). */
  #entry(projection: string): ProjectionEntry {
    let entry = this.#projections.get(projection);
    if (entry === undefined) {
      const created: ProjectionEntry = {
        generation: 0,
        live: false,
        subscribed: undefined,
        answers: new Set(),
      };
      entry = created;
      this.#projections.set(projection, created);
      this.#subscribe(projection, created);
    }
    return entry;
  }

  #subscribe(projection: string, entry: ProjectionEntry): void {
    const subscribed = this.#store.subscribeChanges(
      projection,
      () => {
        this.invalidate(projection);
        entry.live = !this.#closed;
      },
      () => {
        this.invalidate(projection);
        entry.live = false;
      },
    );
    entry.subscribed = subscribed;
    subscribed.then(
      () => {
        // Anything read before the subscription could have missed a notification.
        this.invalidate(projection);
        entry.live = !this.#closed;
      },
      () => {
        // No notifications, no caching: try again in a while (reads go to the store meanwhile).
        setTimeout(() => {
          if (!this.#closed && this.#projections.get(projection) === entry)
            this.#subscribe(projection, entry);
        }, SUBSCRIBE_RETRY_MS).unref();
      },
    );
  }
}

function deepFreeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const inner of Object.values(value)) deepFreeze(inner);
}
