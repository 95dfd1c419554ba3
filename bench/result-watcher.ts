/** Follows partition 0 of `command-results` (read_committed) and tells when each result arrived. */
import { decodeCommandResult } from '@sluice/core';
import { type KafkaConnection, PartitionReader, type TopicNames, tpKey } from '@sluice/kafka';

/** Counts results as they become visible and times the ones somebody waits for. */
export class ResultWatcher {
  count = 0;
  firstAt = 0;
  lastAt = 0;
  readonly latencies: number[] = [];
  readonly #reader: PartitionReader;
  readonly #topic: string;
  readonly #awaiting = new Map<string, number[]>();
  #loop: Promise<void> | undefined;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(connection: KafkaConnection, topics: TopicNames) {
    this.#reader = new PartitionReader({ connection, maxWaitMs: 20, partitionMaxBytes: 8 * 1024 * 1024 });
    this.#topic = topics.commandResults;
  }

  /** Starts at the current end of the partition. */
  async start(): Promise<void> {
    const [end = 0n] = await this.#reader.endOffsets(this.#topic);
    this.#loop = this.#run(end);
  }

  /** Times the next result of `commandId` from `sentAt` (a performance.now() time). */
  expect(commandId: string, sentAt: number): void {
    const queue = this.#awaiting.get(commandId);
    if (queue) queue.push(sentAt);
    else this.#awaiting.set(commandId, [sentAt]);
  }

  /** Resolves once `count` results have been seen (or rejects after `timeoutMs` without progress). */
  async waitForCount(count: number, timeoutMs = 120_000): Promise<void> {
    let last = this.count;
    let since = performance.now();
    while (this.count < count) {
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        setTimeout(resolve, 1_000);
      });
      if (this.count !== last) [last, since] = [this.count, performance.now()];
      else if (performance.now() - since > timeoutMs)
        throw new Error(`results stalled at ${this.count} of ${count}`);
    }
  }

  /** Stops following. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await this.#reader.close();
  }

  async #run(from: bigint): Promise<void> {
    let offset = from;
    const key = tpKey(this.#topic, 0);
    while (!this.#stopped) {
      const round = await this.#reader.fetch([{ topic: this.#topic, partition: 0, offset }]);
      const now = performance.now();
      for (const record of round.records) {
        const result = record.value ? decodeCommandResult(record.value.toString()) : undefined;
        if (!result) continue;
        if (this.count++ === 0) this.firstAt = now;
        this.lastAt = now;
        const sentAt = this.#awaiting.get(result.commandId)?.shift();
        if (sentAt !== undefined) this.latencies.push(now - sentAt);
        if (this.#awaiting.get(result.commandId)?.length === 0) this.#awaiting.delete(result.commandId);
      }
      offset = round.next.get(key) ?? offset;
      if (round.records.length > 0) this.#wake?.();
    }
  }
}
