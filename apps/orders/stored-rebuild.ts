import type { PartitionReader } from '@sluice/kafka';
import { type AnyProjection, projectionLag, type ReadStore } from '@sluice/store';
import type { RebuildView } from './views.ts';

/**
 * A rebuild that projector processes build, as an API process sees it from the store and Kafka:
 * offsets done and to do per source partition (the version's stored offsets against each partition's
 * log start and last stable offset), and a rate from one look to the next.
 */
export class StoredRebuild {
  readonly version: number;
  readonly #store: ReadStore;
  readonly #reader: () => PartitionReader;
  readonly #projection: AnyProjection;
  readonly #topicPrefix: string;
  #last: { readonly at: number; readonly done: bigint } | undefined;
  #rate = 0;

  constructor(options: {
    store: ReadStore;
    reader: () => PartitionReader;
    projection: AnyProjection;
    version: number;
    topicPrefix: string;
  }) {
    this.version = options.version;
    this.#store = options.store;
    this.#reader = options.reader;
    this.#projection = options.projection;
    this.#topicPrefix = options.topicPrefix;
  }

  /** Where the rebuild stands now. */
  async view(): Promise<RebuildView> {
    const { name } = this.#projection;
    const status = await this.#store.readStatus(name);
    const mine = status?.versions.find((v) => v.version === this.version);
    const reader = this.#reader();
    const lags = await projectionLag(this.#store, reader, this.#projection, this.version, this.#topicPrefix);
    const starts = new Map<string, bigint[]>();
    let done = 0n;
    let total = 0n;
    for (const { topic, partition, nextOffset, endOffset } of lags) {
      if (!starts.has(topic)) starts.set(topic, await reader.startOffsets(topic));
      const start = starts.get(topic)?.[partition] ?? 0n;
      if (endOffset > start) total += endOffset - start;
      const reached = nextOffset < endOffset ? nextOffset : endOffset;
      if (reached > start) done += reached - start;
    }
    const now = performance.now();
    if (this.#last !== undefined && now > this.#last.at) {
      const rate = (Number(done - this.#last.done) * 1000) / (now - this.#last.at);
      this.#rate = this.#rate === 0 ? rate : 0.5 * this.#rate + 0.5 * rate;
    }
    this.#last = { at: now, done };
    const active = status?.activeVersion === this.version;
    const state = active ? 'done' : mine?.state === 'rebuilding' ? 'running' : 'failed';
    const error =
      state !== 'failed'
        ? undefined
        : (mine?.lastError?.message ??
          (mine === undefined ? 'the version is gone' : `the version is ${mine.state}`));
    return {
      projection: name,
      version: this.version,
      state,
      done: done.toString(),
      total: total.toString(),
      eventsPerSecond: Math.max(0, this.#rate),
      ...(state === 'running' && this.#rate > 0 ? { etaSeconds: Number(total - done) / this.#rate } : {}),
      caughtUp: done >= total,
      active,
      ...(error === undefined ? {} : { error }),
      builtHere: false,
    };
  }
}
