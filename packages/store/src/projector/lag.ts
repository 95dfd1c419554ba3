import type { PartitionReader } from '@sluice/kafka';
import { topicPartitionKey } from '../model/topic-partition.ts';
import type { ReadStore } from '../read-store.ts';
import { ProgressMeter, type ProjectionProgress } from './progress.ts';

/** How far one source partition of a projection version is behind its topic's end. */
export interface SourceLag {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
  readonly endOffset: bigint;
  readonly lag: bigint;
}

/**
 * Lag per source partition of a projection version: the last stable offset of each partition minus
 * the next offset stored with the rows. Read from the store and Kafka, so it is right whichever process
 * runs the projector.
 */
export async function projectionLag(
  store: ReadStore,
  reader: PartitionReader,
  projection: { readonly name: string; readonly topics: readonly string[] },
  version: number,
  topicPrefix = '',
): Promise<SourceLag[]> {
  const offsets = await store.readOffsets(projection.name, version);
  const lags: SourceLag[] = [];
  for (const topic of projection.topics.map((name) => topicPrefix + name)) {
    const ends = await reader.endOffsets(topic);
    ends.forEach((endOffset, partition) => {
      const nextOffset = offsets.get(topicPartitionKey(topic, partition)) ?? 0n;
      lags.push({
        topic,
        partition,
        nextOffset,
        endOffset,
        lag: endOffset > nextOffset ? endOffset - nextOffset : 0n,
      });
    });
  }
  return lags;
}

/**
 * A projection version's progress as the store and Kafka show it, whichever process builds it: the
 * version's stored offsets against each source partition's log start and last stable offset, with a
 * rate from one reading to the next. The same figures as the building projector's own progress.
 */
export class StoredProgress {
  readonly #store: ReadStore;
  readonly #reader: PartitionReader;
  readonly #projection: { readonly name: string; readonly topics: readonly string[] };
  readonly #version: number;
  readonly #topicPrefix: string;
  readonly #meter = new ProgressMeter();
  /** Each source topic's log start offsets, read once: a rebuild counts from where it started. */
  readonly #starts = new Map<string, bigint[]>();
  #lastDone: bigint | undefined;

  constructor(options: {
    store: ReadStore;
    reader: PartitionReader;
    projection: { readonly name: string; readonly topics: readonly string[] };
    version: number;
    topicPrefix?: string;
  }) {
    this.#store = options.store;
    this.#reader = options.reader;
    this.#projection = options.projection;
    this.#version = options.version;
    this.#topicPrefix = options.topicPrefix ?? '';
  }

  /** Reads where the version stands; `active`: whether it is the version queries read. */
  async read(active: boolean): Promise<ProjectionProgress> {
    const lags = await projectionLag(
      this.#store,
      this.#reader,
      this.#projection,
      this.#version,
      this.#topicPrefix,
    );
    for (const { topic, partition, nextOffset, endOffset } of lags) {
      if (!this.#starts.has(topic)) this.#starts.set(topic, await this.#reader.startOffsets(topic));
      const tp = topicPartitionKey(topic, partition);
      this.#meter.setStart(tp, this.#starts.get(topic)?.[partition] ?? 0n);
      this.#meter.setEnd(tp, endOffset);
      this.#meter.setNext(tp, nextOffset);
    }
    const { name } = this.#projection;
    const { done } = this.#meter.snapshot(name, this.#version, active);
    if (this.#lastDone !== undefined && done > this.#lastDone)
      this.#meter.count(Number(done - this.#lastDone));
    this.#lastDone = done;
    return this.#meter.snapshot(name, this.#version, active);
  }
}
