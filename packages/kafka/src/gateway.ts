import {
  type CommandRegistry,
  type CommandResult,
  type DecodedCommand,
  decodeCommandResult,
  encodeCommand,
} from '@sluice/core';
import { createProducer, type KafkaConnection, type SluiceProducer } from './client.ts';
import { PartitionReader, tpKey } from './partition-reader.ts';
import { partitionForKey } from './partitioning.ts';
import { DEFAULT_PARTITIONS, DEFAULT_RESULT_PARTITIONS, type TopicNames, topicNames } from './topics.ts';

/** What became of a sent command within the wait: its result, or still pending. */
export type SendOutcome =
  | { readonly status: 'done'; readonly result: CommandResult }
  | { readonly status: 'pending'; readonly commandId: string };

/** Options of a {@link CommandGateway}. */
export interface CommandGatewayOptions {
  readonly connection: KafkaConnection;
  readonly registry: CommandRegistry;
  readonly topicPrefix?: string;
  readonly partitions?: number;
  readonly resultPartitions?: number;
  /** The `command-results` partition this instance reads; results of its commands are sent there. */
  readonly replyPartition: number;
  /** How long `send` waits for the result before answering "pending". Default 5 s. */
  readonly timeoutMs?: number;
  /**
   * How long a command waits for others to share its produce request (ms); default
   * {@link DEFAULT_GATEWAY_LINGER_MS}, as Kafka's own producer (`linger.ms`, 5 since Kafka 4.0).
   * Commands that arrive while a request is in flight wait for it anyway and go in the next one.
   * 0 sends at once.
   */
  readonly lingerMs?: number;
}

/** The default of {@link CommandGatewayOptions.lingerMs}. */
export const DEFAULT_GATEWAY_LINGER_MS = 5;

/** Commands in one produce request at most. */
const MAX_REQUEST_COMMANDS = 1_000;

type CommandMessage = Parameters<SluiceProducer['send']>[0]['messages'][number];

interface Waiter {
  resolve(outcome: SendOutcome): void;
  timer: NodeJS.Timeout;
}

/**
 * Sends commands and waits for their results on this instance's own `command-results` partition
 * (manual assignment, no group). Concurrent sends are coalesced into one produce request. It uses its
 * own idempotent producer, never the processor's transactional one.
 */
export class CommandGateway {
  readonly replyPartition: number;
  readonly #options: CommandGatewayOptions;
  readonly #topics: TopicNames;
  readonly #producer: SluiceProducer;
  readonly #reader: PartitionReader;
  readonly #waiters = new Map<string, Waiter[]>();
  #queue: { record: CommandMessage; done: (error?: unknown) => void }[] = [];
  #flushing = false;
  /** Settles once the queue has gone out (or failed): `close` waits for it before closing the producer. */
  #flushed: Promise<void> = Promise.resolve();
  #reading: Promise<void> | undefined;
  #closed = false;

  constructor(options: CommandGatewayOptions) {
    this.#options = options;
    this.#topics = topicNames(options.topicPrefix);
    this.replyPartition = options.replyPartition;
    this.#producer = createProducer(options.connection);
    this.#reader = new PartitionReader({ connection: options.connection, maxWaitMs: 200 });
  }

  /** Starts reading results from the current end of this instance's partition. */
  async start(): Promise<void> {
    if (this.#reading) return;
    const ends = await this.#reader.endOffsets(this.#topics.commandResults);
    const from = ends[this.replyPartition] ?? 0n;
    this.#reading = this.#readResults(from);
  }

  /**
   * Publishes a decoded command (principal already set from the verified token) and waits for its
   * result. A command still without a result after the timeout is "pending", not failed.
   */
  async send(command: DecodedCommand, options: { timeoutMs?: number } = {}): Promise<SendOutcome> {
    const commandId = command.metadata.commandId;
    const withReply: DecodedCommand = {
      ...command,
      metadata: { ...command.metadata, replyTo: this.replyPartition },
    };
    const encoded = encodeCommand(withReply, { registry: this.#options.registry });
    const outcome = new Promise<SendOutcome>((resolve) => {
      const timer = setTimeout(
        () => {
          this.#forget(commandId, waiter);
          resolve({ status: 'pending', commandId });
        },
        options.timeoutMs ?? this.#options.timeoutMs ?? 5_000,
      );
      const waiter: Waiter = { resolve, timer };
      this.#waiters.set(commandId, [...(this.#waiters.get(commandId) ?? []), waiter]);
    });
    const partitions = this.#options.partitions ?? DEFAULT_PARTITIONS;
    await this.#enqueue({
      topic: this.#topics.commands,
      partition: partitionForKey(encoded.key, partitions),
      key: Buffer.from(encoded.key),
      value: Buffer.from(encoded.value),
      headers: new Map(Object.entries(encoded.headers).map(([name, value]) => [name, Buffer.from(value)])),
    });
    return outcome;
  }

  /** Stops reading and closes the clients; waiting sends answer "pending". */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [commandId, waiters] of this.#waiters) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.resolve({ status: 'pending', commandId });
      }
    }
    this.#waiters.clear();
    await this.#reading?.catch(() => undefined);
    // Commands already queued still go out: their callers were told "pending", not "failed".
    await this.#flushed;
    await this.#producer.close();
    await this.#reader.close();
  }

  #enqueue(record: CommandMessage): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ record, done: (error) => (error ? reject(error) : resolve()) });
      if (this.#flushing) return;
      this.#flushing = true;
      const linger = this.#options.lingerMs ?? DEFAULT_GATEWAY_LINGER_MS;
      this.#flushed =
        linger > 0
          ? new Promise<void>((done) => setTimeout(() => done(this.#flush()), linger))
          : this.#flush();
    });
  }

  /** One produce request for everything queued meanwhile: concurrent HTTP requests share a round trip. */
  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_REQUEST_COMMANDS);
        try {
          await this.#producer.send({ messages: batch.map((item) => item.record) });
          for (const item of batch) item.done();
        } catch (error) {
          for (const item of batch) item.done(error);
        }
      }
    } finally {
      this.#flushing = false;
    }
  }

  async #readResults(from: bigint): Promise<void> {
    const topic = this.#topics.commandResults;
    const partition = this.replyPartition;
    let offset = from;
    while (!this.#closed) {
      try {
        const round = await this.#reader.fetch([{ topic, partition, offset }]);
        for (const record of round.records) {
          const result = record.value ? decodeCommandResult(record.value.toString()) : undefined;
          if (result) this.#settle(result);
        }
        offset = round.next.get(tpKey(topic, partition)) ?? offset;
      } catch (error) {
        if (this.#closed) return;
        // Transient broker trouble: waiting sends time out to "pending"; keep reading.
        await new Promise((resolve) => setTimeout(resolve, 200));
        void error;
      }
    }
  }

  #settle(result: CommandResult): void {
    const waiters = this.#waiters.get(result.commandId);
    if (!waiters) return;
    this.#waiters.delete(result.commandId);
    for (const waiter of waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve({ status: 'done', result });
    }
  }

  #forget(commandId: string, waiter: Waiter): void {
    const rest = (this.#waiters.get(commandId) ?? []).filter((candidate) => candidate !== waiter);
    if (rest.length > 0) this.#waiters.set(commandId, rest);
    else this.#waiters.delete(commandId);
  }
}

/** A reply partition for an instance id, stable across restarts. */
export function replyPartitionFor(instanceId: string, resultPartitions = DEFAULT_RESULT_PARTITIONS): number {
  return partitionForKey(instanceId, resultPartitions);
}
