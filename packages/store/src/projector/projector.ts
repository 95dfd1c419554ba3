import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { PartitionReader } from '@sluice/kafka';
import { OffsetConflictError, VersionLaggingError } from '../errors.ts';
import { type TopicPartitionKey, topicPartitionKey } from '../model/topic-partition.ts';
import type { ProjectionState } from '../read-store.ts';
import { applyBatch } from './apply-batch.ts';
import type { StagedTables } from './batch-tables.ts';
import type { DecodedRecord } from './log-records.ts';
import { ProgressMeter, type ProjectionProgress } from './progress.ts';
import type { AnyProjection, VersionedTables } from './projection.ts';
import { LeaseLostError, PoisonEventError, projectionErrorOf } from './projector-errors.ts';
import type { ProjectorOptions } from './projector-options.ts';
import { Rounds } from './rounds.ts';
import { dropRetiredTables, prepareProjectionTables } from './tables.ts';

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
  /** Rounds read, decoded and staged ahead while batches are written. */
  readonly #rounds: Rounds;

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
    this.#rounds = new Rounds(this.#reader, options);
  }

  /** The version this projector builds. */
  get version(): number {
    return this.#version;
  }

  /** Whether it holds its version's lease now (a standby waits for it). */
  get holdsLease(): boolean {
    return this.#holding;
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
    const status = await store.readStatus(projection.name);
    const active = status?.activeVersion;
    this.#version = this.#o.version ?? Math.max(projection.version, active ?? 0);
    // A cancelled rebuild is built again only on an explicit request (`resumeCancelled`).
    const mine = status?.versions.find((v) => v.version === this.#version);
    if (!this.#o.resumeCancelled && this.#cancelled(mine?.state)) return;
    this.#tables = await prepareProjectionTables(store, projection, this.#version);
    this.#active = active === this.#version;
    this.#meter = new ProgressMeter();
    // A rebuild into an empty store activates its version once caught up, like any other rebuild.
    if (active === undefined && !this.#o.stopWhenActive) {
      await store.setStatus(projection.name, this.#version, 'running');
      await store.activateVersion(projection.name, this.#version);
      this.#active = true;
    } else if (active !== undefined && this.#version <= active) {
      await store.setStatus(projection.name, this.#version, 'running');
    } else if (this.#o.resumeCancelled || !this.#o.stopWhenActive) {
      await store.setStatus(projection.name, this.#version, 'rebuilding');
    } else if (!(await store.markRebuilding(projection.name, this.#version))) {
      // A cancel that lands after the status was read above is not overwritten: the write is refused.
      this.#cancelled('stopped');
    }
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
      await this.#rounds.takePrefetched();
      await this.#reader.close();
    }
  }

  /** A rebuild whose version an operator stopped (`cancelRebuild`) stops too, without switching. */
  #cancelled(state: ProjectionState | undefined): boolean {
    if (!this.#o.stopWhenActive || state !== 'stopped') return false;
    if (!this.#stopping) this.emit('cancelled', this.#version);
    this.#stopping = true;
    return true;
  }

  get #leaseTtlMs(): number {
    return this.#o.leaseTtlMs ?? 6000;
  }

  async #acquire(): Promise<boolean> {
    const { store, projection } = this.#o;
    const ok = await store.acquireLease(projection.name, this.#version, this.holder, this.#leaseTtlMs);
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
        if (!(await store.renewLease(projection.name, this.#version, this.holder, this.#leaseTtlMs))) {
          this.#holding = false;
          this.emit('lease', false);
        }
      }
      const status = await store.readStatus(projection.name);
      const mine = status?.versions.find((v) => v.version === this.#version);
      if (this.#cancelled(mine?.state)) return;
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
    await this.#rounds.takePrefetched();
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
    const batch =
      (await this.#rounds.takePrefetched(positions)) ?? (await this.#rounds.prepare(new Map(positions)));
    for (const [tp, end] of batch.lastStable) this.#meter.setEnd(tp, end);
    const { records, next } = batch;
    if (next.size > 0) {
      // While a version is built, the following round is read and decoded as this one is written,
      // and its handler runs over this batch's tables once they are staged. Not for the serving
      // version: decoding would hold its transactions (and lease row lock) longer.
      if (!this.#active) this.#rounds.prefetch(new Map([...positions, ...next]));
      const applied = await this.#commit(records, next, await this.#rounds.takeAhead(batch));
      this.#rounds.committed(this.#active ? undefined : applied?.staged);
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
            leaseTtlMs: this.#leaseTtlMs,
            policy: this.#o.poison ?? 'stop',
            isolate,
            records,
            expected,
            next,
            ahead: isolate ? undefined : ahead,
            onStaged: (staged) => {
              if (!this.#active) this.#rounds.stageAhead(staged, this.#version, this.#tables!);
            },
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
      const status = await store.readStatus(projection.name);
      if (this.#cancelled(status?.versions.find((v) => v.version === this.#version)?.state)) return;
      const active = status?.activeVersion;
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
