import { setTimeout as sleep } from 'node:timers/promises';
import { type CommandResult, decodeCommandResult } from '@sluice/core';
import { type KafkaConnection, PartitionReader, tpKey } from '@sluice/kafka';

/** Follows `command-results` partition 0 (where results of commands without reply-to go) as it commits. */
export class ResultWatch {
  readonly results = new Map<string, CommandResult>();
  readonly #reader: PartitionReader;
  readonly #topic: string;
  readonly #reading: Promise<void>;
  #closed = false;

  constructor(connection: KafkaConnection, topic: string) {
    this.#reader = new PartitionReader({ connection, maxWaitMs: 100 });
    this.#topic = topic;
    this.#reading = this.#read();
  }

  async #read(): Promise<void> {
    let offset = 0n;
    while (!this.#closed) {
      const round = await this.#reader.fetch([{ topic: this.#topic, partition: 0, offset }]);
      for (const record of round.records) {
        const result = record.value ? decodeCommandResult(record.value.toString()) : undefined;
        if (result) this.results.set(result.commandId, result);
      }
      offset = round.next.get(tpKey(this.#topic, 0)) ?? offset;
    }
  }

  /** The command's result, or undefined after `timeoutMs`. */
  async wait(commandId: string, timeoutMs: number): Promise<CommandResult | undefined> {
    const until = Date.now() + timeoutMs;
    while (!this.results.has(commandId) && Date.now() < until) await sleep(25);
    return this.results.get(commandId);
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#reading.catch(() => undefined);
    await this.#reader.close();
  }
}
