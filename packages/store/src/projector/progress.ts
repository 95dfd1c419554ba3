import type { TopicPartitionKey } from '../model/topic-partition.ts';

/** How far a projection version has read, in offsets: for status, rebuild bars and ETAs. */
export interface ProjectionProgress {
  readonly projection: string;
  readonly version: number;
  /** Offsets read since the start of the log, summed over partitions. */
  readonly done: bigint;
  /** Offsets from log start to the last stable offset, summed over partitions. */
  readonly total: bigint;
  /** Events applied per second, smoothed. */
  readonly eventsPerSecond: number;
  /** Seconds left at the current rate; undefined while the rate is unknown. */
  readonly etaSeconds: number | undefined;
  readonly caughtUp: boolean;
  /** Whether this version is the one queries read. */
  readonly active: boolean;
}

/** Partition bounds and positions, kept by the projector as it reads. */
export class ProgressMeter {
  readonly #start = new Map<TopicPartitionKey, bigint>();
  readonly #end = new Map<TopicPartitionKey, bigint>();
  readonly #next = new Map<TopicPartitionKey, bigint>();
  #rate = 0;
  #lastAt = performance.now();
  #pending = 0;

  setStart(tp: TopicPartitionKey, offset: bigint): void {
    this.#start.set(tp, offset);
  }

  setEnd(tp: TopicPartitionKey, offset: bigint): void {
    this.#end.set(tp, offset);
  }

  setNext(tp: TopicPartitionKey, offset: bigint): void {
    this.#next.set(tp, offset);
  }

  /** Counts applied events towards the smoothed rate. */
  count(events: number): void {
    this.#pending += events;
    const now = performance.now();
    const elapsed = (now - this.#lastAt) / 1000;
    if (elapsed < 0.25) return;
    const rate = this.#pending / elapsed;
    this.#rate = this.#rate === 0 ? rate : 0.7 * this.#rate + 0.3 * rate;
    this.#pending = 0;
    this.#lastAt = now;
  }

  /** Whether every partition has reached its last known stable offset. */
  caughtUp(): boolean {
    for (const [tp, end] of this.#end)
      if ((this.#next.get(tp) ?? this.#start.get(tp) ?? 0n) < end) return false;
    return this.#end.size > 0;
  }

  snapshot(projection: string, version: number, active: boolean): ProjectionProgress {
    let done = 0n;
    let total = 0n;
    for (const [tp, end] of this.#end) {
      const start = this.#start.get(tp) ?? 0n;
      const next = this.#next.get(tp) ?? start;
      total += end > start ? end - start : 0n;
      done += next > start ? (next < end ? next - start : end - start) : 0n;
    }
    const left = Number(total - done);
    const etaSeconds = this.#rate > 0 ? left / this.#rate : left === 0 ? 0 : undefined;
    return {
      projection,
      version,
      done,
      total,
      eventsPerSecond: Math.round(this.#rate),
      etaSeconds,
      caughtUp: this.caughtUp(),
      active,
    };
  }
}
