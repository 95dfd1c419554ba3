import { SluiceKafkaError } from '../errors.ts';
import { unsafe } from '../fault.ts';
import type { OutgoingRecord } from '../txn-session.ts';

/** Batches written the plain way after a missed forecast, before forecasting again. */
export const BATCHES_AFTER_MISS = 100;

/**
 * The offsets a batch's events will get, known before they are written (decision 0007).
 *
 * A processor is the only writer of the events partitions of the `commands` partitions it owns, and
 * it writes them one transaction at a time. After a committed batch, the next offset of an events
 * partition it wrote is the last event's offset plus two: the commit marker takes one. With that, a
 * batch's results and state, which carry its events' offsets, go to the broker in the same send as
 * the events instead of one round trip after them.
 *
 * A forecast is checked before the commit: when any event got another offset than forecast (another
 * writer got in between, say a zombie of the partition's previous owner), the transaction is aborted
 * and the batch written again the plain way. Offsets are learned once a batch's records are written
 * and checked, so that the next batch's records are built while it commits. A batch that then fails
 * makes the processor forget them all, and the batches decided after it are written again.
 */
export class OffsetForecast {
  /** Next offset by topic and partition. */
  readonly #next = new Map<string, Map<number, bigint>>();
  #plainBatches = 0;

  /** The offsets `events` will get, in order; `undefined` when one partition's next offset is unknown. */
  predict(events: readonly OutgoingRecord[]): bigint[] | undefined {
    if (this.#plainBatches > 0) {
      this.#plainBatches--;
      return undefined;
    }
    const running = new Map<string, Map<number, bigint>>();
    const offsets: bigint[] = [];
    for (const { topic, partition } of events) {
      let topicRunning = running.get(topic);
      if (!topicRunning) {
        topicRunning = new Map();
        running.set(topic, topicRunning);
      }
      const offset = topicRunning.get(partition) ?? this.#next.get(topic)?.get(partition);
      if (offset === undefined) return undefined;
      offsets.push(offset);
      topicRunning.set(partition, offset + 1n);
    }
    return offsets;
  }

  /** Throws {@link OffsetForecastMissedError} unless every event got the offset forecast for it. */
  check(events: readonly OutgoingRecord[], forecast: readonly bigint[], actual: readonly bigint[]): void {
    if (unsafe('no-forecast-check')) return;
    for (let i = 0; i < events.length; i++) {
      if (forecast[i] !== actual[i]) {
        const { topic, partition } = events[i]!;
        throw new OffsetForecastMissedError(topic, partition, forecast[i]!, actual[i]);
      }
    }
  }

  /** Learns from a written batch: its events got `offsets`, and each partition gets a commit marker after them. */
  learn(events: readonly OutgoingRecord[], offsets: readonly bigint[]): void {
    for (let i = 0; i < events.length; i++) {
      const { topic, partition } = events[i]!;
      let next = this.#next.get(topic);
      if (!next) {
        next = new Map();
        this.#next.set(topic, next);
      }
      next.set(partition, offsets[i]! + 2n);
    }
  }

  /** After any failure: nothing is known until committed batches teach it again. */
  forget(): void {
    this.#next.clear();
  }

  /** After a miss: forget, and write the next {@link BATCHES_AFTER_MISS} batches the plain way. */
  missed(): void {
    this.forget();
    this.#plainBatches = BATCHES_AFTER_MISS;
  }
}

/** An event got another offset than forecast: the transaction is aborted and the batch written again. */
export class OffsetForecastMissedError extends SluiceKafkaError {
  constructor(topic: string, partition: number, forecast: bigint, actual: bigint | undefined) {
    super(
      'OFFSET_FORECAST_MISSED',
      `An event for ${topic}/${partition} was forecast at offset ${forecast} but got ${actual ?? 'none'}: ` +
        'another producer wrote to the partition',
      { canRetry: true },
    );
  }
}
