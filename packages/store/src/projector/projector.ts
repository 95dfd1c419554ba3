import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { type FetchRound, PartitionReader } from '@sluice/kafka';
import { OffsetConflictError, VersionLaggingError } from '../errors.ts';
import {
  parseTopicPartitionKey,
  type TopicPartitionKey,
  topicPartitionKey,
} from '../model/topic-partition.ts';
import { applyBatch, stageAhead } from './apply-batch.ts';
import { boundBatch } from './batch-bounds.ts';
import type { StagedTables } from './batch-tables.ts';
import { type DecodedRecord, decodeRecord, toStoredRecord } from './log-records.ts';
import { ProgressMeter, type ProjectionProgress } from './progress.ts';
import type { AnyProjection, VersionedTables } from './projection.ts';
import { LeaseLostError, PoisonEventError, projectionErrorOf } from './projector-errors.ts';
import type { ProjectorOptions } from './projector-options.ts';
import { dropRetiredTables, prepareProjectionTables } from './tables.ts';

/**
 * A fetched round, bounded and decoded, and the positions it was read from. The fetched records
 * themselves are not kept: a round waits while a batch is written, and they would outlive the young
 * generation for nothing.
 */
interface PreparedRound {
  readonly from: string;
  readonly lastStable: FetchRound['lastStable'];
  readonly next: Map<TopicPartitionKey, bigint>;
  readonly records: DecodedRecord[];
}

/**
 * Runs one projection version: holds its lease, reads every source partition by manual assignment,
 * and applies each batch with its offsets in one read-store transaction. Emits `progress`, `batch`,
 * `activated`, `lease` (true/false), `stopped-on-poison` and `failure`.
 */
export class Projector extends EventEmitter {
  readonly holder: string;
  readonly #o: ProjectorOptions;
  readonly #reader: PartitionReader;
  readonly #topics: string[];
  #version = 0;
  #tables: VersionedTables<AnyProjection['tables']> | undefined;
  #meter = new ProgressMeter();
  #positions: Map<TopicPartitionKey, bigint> | undefined;
  #expected = new Map<TopicPartitionKey, bigint | undefined>();
  #holding = false;
  #paused = false;
  #active = false;
  #switchTo: number | undefined;
  #stopping = false;
  #timer: NodeJS.Timeout | undefined;
  #ticking = false;
  #ticks = 0;
  #done: Promise<void> | undefined;
  /** The next round, fetched and decoded while the current batch is written. */
  #prefetched: Promise<PreparedRound | undefined> | undefined;
  /** The tables the last committed batch wrote, while a version is built. */
  #lastStaged: StagedTables | undefined;
  /** The next round's handler work, done over a batch's tables while they are written. */
  #ahead:
    | {
        readonly base: StagedTables;
        readonly round: PreparedRound;
        readonly staged: Promise<StagedTables | undefined>;
      }
    | undefined;

  constructor(options: ProjectorOptions) {
    super();
    this.#o = options;
    this.holder = options.holder ?? `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
    this.#topics = options.projection.topics.map((t) => (options.topicPrefix ?? '') + t);
    this.#reader = new PartitionReader({
      connection: options.connection,
      maxWaitMs: options.maxWaitMs ?? 200,
      ...(options.partitionMaxBytes === undefined ? {} : { partitionMaxBytes: options.partitionMaxBytes }),
    });
  }

  /** The version this projector builds. */
  get version(): number {
    return this.#version;
  }

  /** Starts the loop; `stop()` ends it. Resolves once the tables exist. */
  async start(): Promise<void> {
    await this.#resolveVersion();
    this.#timer = setInterval(() => void this.#tick(), this.#o.renewEveryMs ?? 2000);
    this.#done = this.#run();
  }

  /** Resolves when the loop has ended (after `stop()`, or on its own with `stopWhenActive`). */
  get done(): Promise<void> {
    return this.#done ?? Promise.resolve();
  }

  /** Stops after the batch in flight and gives the lease up. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await this.done;
  }

  /** Progress as it is now. */
  progress(): ProjectionProgress {
    return this.#meter.snapshot(this.#o.projection.name, this.#version, this.#active);
  }

  async #resolveVersion(): Promise<void> {
    const { store, projection } = this.#o;
    const active = (await store.readStatus(projection.name))?.activeVersion;
    this.#version = this.#o.version ?? Math.max(projection.version, active ?? 0);
    this.#tables = await prepareProjectionTables(store, projection, this.#version);
    this.#active = active === this.#version;
    this.#meter = new ProgressMeter();
    // A rebuild into an empty store activates its version once caught up, like any other rebuild.
    if (active === undefined && !this.#o.stopWhenActive) {
      await store.setStatus(projection.name, this.#version, 'running');
      await store.activateVersion(projection.name, this.#version);
      this.#active = true;
    } else if (!this.#active) {
      await store.setStatus(
        projection.name,
        this.#version,
        active === undefined || this.#version > active ? 'rebuilding' : 'running',
      );
    } else await store.setStatus(projection.name, this.#version, 'running');
  }

  async #run(): Promise<void> {
    const renewEveryMs = this.#o.renewEveryMs ?? 2000;
    try {
      while (!this.#stopping) {
        try {
          if (this.#switchTo !== undefined) await this.#switch(this.#switchTo);
          if (!this.#holding && !(await this.#acquire())) {
            await sleep(renewEveryMs);
            continue;
          }
          if (this.#paused) {
            await sleep(Math.min(renewEveryMs, 250));
            continue;
          }
          if (this.#positions === undefined) await this.#seek();
          await this.#step();
        } catch (error) {
          this.emit('failure', error);
          this.#positions = undefined;
          await sleep(500);
        }
      }
    } finally {
      clearInterval(this.#timer);
      if (this.#holding)
        await this.#o.store.releaseLease(this.#o.projection.name, this.#version, this.holder);
      this.#holding = false;
      await this.#takePrefetched();
      await this.#reader.close();
    }
  }

  async #acquire(): Promise<boolean> {
    const { store, projection } = this.#o;
    const ok = await store.acquireLease(
      projection.name,
      this.#version,
      this.holder,
      this.#o.leaseTtlMs ?? 6000,
    );
    if (ok) {
      this.#holding = true;
      this.#positions = undefined;
      this.emit('lease', true);
    }
    return ok;
  }

  /** Renews the lease, notices a `retry` after a stop, and follows a newer active version. */
  async #tick(): Promise<void> {
    if (this.#ticking || this.#stopping) return;
    this.#ticking = true;
    const { store, projection } = this.#o;
    try {
      if (this.#holding) {
        const ttl = this.#o.leaseTtlMs ?? 6000;
        if (!(await store.renewLease(projection.name, this.#version, this.holder, ttl))) {
          this.#holding = false;
          this.emit('lease', false);
        }
      }
      const status = await store.readStatus(projection.name);
      const mine = status?.versions.find((v) => v.version === this.#version);
      if (this.#paused && mine?.state !== 'failed') {
        this.#paused = false;
        this.#positions = undefined;
      }
      const active = status?.activeVersion;
      this.#active = active === this.#version;
      // Now and then the serving projector drops what older versions left behind.
      if (this.#active && this.#holding && this.#ticks++ % 30 === 0)
        await dropRetiredTables(store, [projection], this.#o.dropGraceMs ?? 10 * 60_000);
      if (active !== undefined && active > this.#version && this.#o.followActive !== false)
        this.#switchTo = active;
    } catch (error) {
      this.emit('failure', error);
    } finally {
      this.#ticking = false;
    }
  }

  async #switch(version: number): Promise<void> {
    if (this.#holding) await this.#o.store.releaseLease(this.#o.projection.name, this.#version, this.holder);
    this.#holding = false;
    this.#switchTo = undefined;
    this.#positions = undefined;
    this.#version = version;
    this.#tables = await prepareProjectionTables(this.#o.store, this.#o.projection, version);
    this.#meter = new ProgressMeter();
    this.#active = true;
  }

  async #seek(): Promise<void> {
    await this.#takePrefetched();
    const stored = await this.#o.store.readOffsets(this.#o.projection.name, this.#version);
    const positions = new Map<TopicPartitionKey, bigint>();
    this.#expected = new Map();
    for (const topic of this.#topics) {
      const starts = await this.#reader.startOffsets(topic);
      const ends = await this.#reader.endOffsets(topic);
      for (const [partition, start] of starts.entries()) {
        const tp = topicPartitionKey(topic, partition);
        const next = stored.get(tp);
        positions.set(tp, next ?? start);
        this.#expected.set(tp, next);
        this.#meter.setStart(tp, start);
        this.#meter.setEnd(tp, ends[partition] ?? start);
        this.#meter.setNext(tp, next ?? start);
      }
    }
    this.#positions = positions;
  }

  async #step(): Promise<void> {
    if (this.#o.batchDelayMs) await sleep(this.#o.batchDelayMs);
    const positions = this.#positions!;
    const batch = (await this.#takePrefetched(positions)) ?? (await this.#prepare(new Map(positions)));
    for (const [tp, end] of batch.lastStable) this.#meter.setEnd(tp, end);
    const { records, next } = batch;
    if (next.size > 0) {
      // While a version is built, the following round is read and decoded as this one is written,
      // and its handler runs over this batch's tables once they are staged. Not for the serving
      // version: decoding would hold its transactions (and lease row lock) longer.
      if (!this.#active) this.#prefetch(new Map([...positions, ...next]));
      const applied = await this.#commit(records, next, await this.#takeAhead(batch));
      this.#lastStaged = this.#active ? undefined : applied?.staged;
      if (applied === undefined) return;
      const { staged, ...outcome } = applied;
      for (const [tp, offset] of next) {
        positions.set(tp, offset);
        this.#expected.set(tp, offset);
        this.#meter.setNext(tp, offset);
      }
      this.#meter.count(records.length);
      this.emit('batch', {
        ...outcome,
        version: this.#version,
        holder: this.holder,
        records: records.length,
      });
    }
    await this.#maybeActivate();
    this.emit('progress', this.progress());
  }

  /** Fetches one round from `positions`, keeps at most a batch of it, and decodes that. */
  async #prepare(positions: Map<TopicPartitionKey, bigint>): Promise<PreparedRound> {
    const round = await this.#reader.fetch(
      [...positions].map(([tp, offset]) => ({ ...parseTopicPartitionKey(tp), offset })),
    );
    const limit = this.#o.maxBatchRecords ?? 20_000;
    const { kept, next } = boundBatch(round.records, round.next, positions, limit);
    const prefix = this.#o.topicPrefix ?? '';
    const upcasters = this.#o.projection.upcasters;
    const records =
      next.size === 0 ? [] : kept.map((r) => decodeRecord(toStoredRecord(r), prefix, upcasters, r.offset));
    return { from: positionsKey(positions), lastStable: round.lastStable, next, records };
  }

  /**
   * The handler work staged ahead for `batch`, if it was staged over the tables of the batch that
   * committed last (not over an attempt that failed) and applied cleanly.
   */
  async #takeAhead(batch: PreparedRound): Promise<StagedTables | undefined> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead === undefined || ahead.round !== batch || ahead.base !== this.#lastStaged) return undefined;
    const staged = await ahead.staged;
    // The base committed: its rows are the store's now, and it need not be kept.
    staged?.detach();
    return staged;
  }

  /** Starts the handler work of the prefetched round over `base`, the tables of the batch being written. */
  #stageAhead(base: StagedTables): void {
    const prefetched = this.#prefetched;
    if (this.#active || prefetched === undefined) return;
    const { store, projection } = this.#o;
    const tables = this.#tables!;
    const version = this.#version;
    const policy = this.#o.poison ?? 'stop';
    void prefetched.then((round) => {
      if (round === undefined || round.next.size === 0) return;
      const staged = stageAhead({ store, projection, version, tables, policy, records: round.records, base });
      // A failed load is the batch's own to meet in its transaction.
      this.#ahead = { base, round, staged: staged.catch(() => undefined) };
    });
  }

  #prefetch(positions: Map<TopicPartitionKey, bigint>): void {
    // A failed prefetch is dropped: the next step fetches again and meets the error itself.
    this.#prefetched = this.#prepare(positions).catch(() => undefined);
  }

  /**
   * Waits for the round in flight (the reader serves one caller at a time) and returns it if it was
   * read from `positions`; a round read from elsewhere (after a failed batch, a seek) is dropped.
   */
  async #takePrefetched(positions?: Map<TopicPartitionKey, bigint>): Promise<PreparedRound | undefined> {
    const pending = this.#prefetched;
    this.#prefetched = undefined;
    const prepared = await pending;
    if (prepared === undefined || positions === undefined) return undefined;
    return prepared.from === positionsKey(positions) ? prepared : undefined;
  }

  async #commit(
    records: DecodedRecord[],
    next: Map<TopicPartitionKey, bigint>,
    ahead: StagedTables | undefined,
  ) {
    const { store, projection } = this.#o;
    const expected = new Map(this.#expected);
    const retries = this.#o.retries ?? 3;
    let isolate = false;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await store.transaction((tx) =>
          applyBatch(tx, {
            store,
            projection,
            version: this.#version,
            tables: this.#tables!,
            holder: this.holder,
            policy: this.#o.poison ?? 'stop',
            isolate,
            records,
            expected,
            next,
            ahead: isolate ? undefined : ahead,
            onStaged: (staged) => this.#stageAhead(staged),
          }),
        );
      } catch (error) {
        if (error instanceof OffsetConflictError || error instanceof LeaseLostError) {
          if (error instanceof LeaseLostError) this.#holding = false;
          this.#positions = undefined;
          this.emit('failure', error);
          return undefined;
        }
        if (error instanceof PoisonEventError) {
          await store.setStatus(projection.name, this.#version, 'failed', error.detail);
          this.#paused = true;
          this.emit('stopped-on-poison', error.detail);
          return undefined;
        }
        if (this.#stopping || !this.#holding) return undefined;
        this.emit('failure', error);
        if (attempt > retries && !isolate) isolate = true;
        else await sleep(Math.min(5000, (this.#o.retryDelayMs ?? 100) * 2 ** Math.min(attempt - 1, 6)));
        if (attempt > retries * 3)
          await store.setStatus(projection.name, this.#version, 'running', projectionErrorOf(error));
      }
    }
  }

  async #maybeActivate(): Promise<void> {
    if (!this.#meter.caughtUp()) return;
    if (!this.#active) {
      const { store, projection } = this.#o;
      const active = (await store.readStatus(projection.name))?.activeVersion;
      if (active !== undefined && active > this.#version) return;
      try {
        await store.activateVersion(projection.name, this.#version);
      } catch (error) {
        if (error instanceof VersionLaggingError) return; // the serving version moved on; catch up again
        throw error;
      }
      this.#active = true;
      this.emit('activated', this.#version);
    }
    if (this.#o.stopWhenActive) this.#stopping = true;
  }
}

function positionsKey(positions: ReadonlyMap<TopicPartitionKey, bigint>): string {
  return [...positions].map(([tp, offset]) => `${tp}@${offset}`).join(',');
}
