import type { FetchRound, PartitionReader } from '@sluice/kafka';
import { parseTopicPartitionKey, type TopicPartitionKey } from '../model/topic-partition.ts';
import { stageAhead } from './apply-batch.ts';
import { boundBatch } from './batch-bounds.ts';
import type { StagedTables } from './batch-tables.ts';
import { type DecodedRecord, decodeRecord, toStoredRecord } from './log-records.ts';
import type { AnyProjection, VersionedTables } from './projection.ts';
import type { ProjectorOptions } from './projector-options.ts';

/**
 * A fetched round, bounded and decoded, and the positions it was read from. The fetched records
 * themselves are not kept: a round waits while a batch is written, and they would outlive the young
 * generation for nothing.
 */
export interface PreparedRound {
  readonly from: string;
  readonly lastStable: FetchRound['lastStable'];
  readonly next: Map<TopicPartitionKey, bigint>;
  readonly records: DecodedRecord[];
}

/**
 * A projector's rounds: read and decoded on demand, or ahead while a batch is written (`prefetch`),
 * and then staged ahead over that batch's tables (`stageAhead`). Whatever was read or staged from
 * positions or tables that did not commit is dropped when taken.
 */
export class Rounds {
  readonly #reader: PartitionReader;
  readonly #o: ProjectorOptions;
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

  constructor(reader: PartitionReader, options: ProjectorOptions) {
    this.#reader = reader;
    this.#o = options;
  }

  /** Fetches one round from `positions`, keeps at most a batch of it, and decodes that. */
  async prepare(positions: Map<TopicPartitionKey, bigint>): Promise<PreparedRound> {
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
  async takeAhead(batch: PreparedRound): Promise<StagedTables | undefined> {
    const ahead = this.#ahead;
    this.#ahead = undefined;
    if (ahead === undefined || ahead.round !== batch || ahead.base !== this.#lastStaged) return undefined;
    const staged = await ahead.staged;
    // The base committed: its rows are the store's now, and it need not be kept.
    staged?.detach();
    return staged;
  }

  /**
   * Starts the handler work of the prefetched round over `base`, the tables of the batch being
   * written to `version` (one that is not active: see `stageAhead`).
   */
  stageAhead(base: StagedTables, version: number, tables: VersionedTables<AnyProjection['tables']>): void {
    const prefetched = this.#prefetched;
    if (prefetched === undefined) return;
    const { store, projection } = this.#o;
    const policy = this.#o.poison ?? 'stop';
    void prefetched.then((round) => {
      if (round === undefined || round.next.size === 0) return;
      const staged = stageAhead({ store, projection, version, tables, policy, records: round.records, base });
      // A failed load is the batch's own to meet in its transaction.
      this.#ahead = { base, round, staged: staged.catch(() => undefined) };
    });
  }

  prefetch(positions: Map<TopicPartitionKey, bigint>): void {
    // A failed prefetch is dropped: the next step fetches again and meets the error itself.
    this.#prefetched = this.prepare(positions).catch(() => undefined);
  }

  /**
   * Waits for the round in flight (the reader serves one caller at a time) and returns it if it was
   * read from `positions`; a round read from elsewhere (after a failed batch, a seek) is dropped.
   */
  async takePrefetched(positions?: Map<TopicPartitionKey, bigint>): Promise<PreparedRound | undefined> {
    const pending = this.#prefetched;
    this.#prefetched = undefined;
    const prepared = await pending;
    if (prepared === undefined || positions === undefined) return undefined;
    return prepared.from === positionsKey(positions) ? prepared : undefined;
  }

  /** The tables of the batch that committed last; undefined when the next one must not build on them. */
  committed(staged: StagedTables | undefined): void {
    this.#lastStaged = staged;
  }
}

function positionsKey(positions: ReadonlyMap<TopicPartitionKey, bigint>): string {
  return [...positions].map(([tp, offset]) => `${tp}@${offset}`).join(',');
}
