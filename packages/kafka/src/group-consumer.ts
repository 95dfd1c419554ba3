import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Admin,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  type Message,
} from '@platformatic/kafka';
import { createAdmin, type KafkaConnection } from './client.ts';
import { ConsumerStreamError } from './errors.ts';
import { hasKafkaError } from './kafka-errors.ts';
import type { ConsumedPosition, GroupGeneration } from './txn-session.ts';

/** Each join attempt is the client's own JoinGroup with its retries; these many before giving up. */
const JOIN_ATTEMPTS = 8;
const COORDINATOR_ERRORS = ['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS'];

/** A record as the consumer hands it on: raw buffers, headers by name. */
export type ConsumedRecord = Message<Buffer, Buffer, string, Buffer>;

/** The partitions this member owns in one generation of the group. */
export interface Assignment {
  readonly generation: GroupGeneration;
  readonly partitions: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
}

/** What {@link GroupConsumer.next} returns: records, or the news that the assignment changed. */
export type ConsumerEvent =
  | { readonly kind: 'records'; readonly records: ConsumedRecord[] }
  | { readonly kind: 'assignment'; readonly assignment: Assignment };

/** Options of a {@link GroupConsumer}. */
export interface GroupConsumerOptions {
  readonly connection: KafkaConnection;
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Default 10 s: a crashed member's partitions move on within that. */
  readonly sessionTimeoutMs?: number;
  readonly heartbeatIntervalMs?: number;
  readonly rebalanceTimeoutMs?: number;
  /** Longest a fetch waits for data on the broker (ms). Default 100. */
  readonly maxWaitMs?: number;
  /** Bytes a fetch waits for on the broker, at most `maxWaitMs`. Default 1: it answers with the first. */
  readonly minBytes?: number;
  /** Records buffered before the stream is paused. Default 10,000. */
  readonly bufferRecords?: number;
  /**
   * Bytes one fetch may bring, in all and per partition. Default 1 MiB (Kafka's own
   * `max.partition.fetch.bytes`).
   */
  readonly fetchMaxBytes?: number;
}

/**
 * The library turns a whole fetch response into messages at once and its per-partition limit
 * defaults to its total one, 50 MB: on a backlog, a fetch brought every record in reach (200,000
 * commands of the #15 job in two or three fetches), all held in memory until consumed. Bounded, the
 * records held are at most the buffer, the stream's high-water mark and one fetch.
 */
export const DEFAULT_FETCH_MAX_BYTES = 1_048_576;

const headerKeyFromBuffer = (data?: Buffer): string => data?.toString() ?? '';
const passBuffer = (data?: Buffer): Buffer | undefined => data;

/**
 * A read_committed consumer-group member (classic protocol, eager round-robin assignor, no
 * autocommit) whose records can be trusted to belong to the assignment the caller last saw.
 *
 * The client library stamps records with the generation current when they are pushed and has no
 * revoke callback. So on every join this wrapper drops the stream and everything buffered *before*
 * any record of the new generation is handed on, and reports the new assignment instead; the caller
 * runs its barrier and reopens the stream at offsets of its choosing ({@link GroupConsumer.open}).
 */
export class GroupConsumer {
  readonly groupId: string;
  readonly #options: GroupConsumerOptions;
  readonly #consumer: Consumer<Buffer, Buffer, string, Buffer>;
  readonly #admin: Admin;
  #stream: Awaited<ReturnType<Consumer<Buffer, Buffer, string, Buffer>['consume']>> | undefined;
  #buffer: ConsumedRecord[] = [];
  #pending: Assignment | undefined;
  #wake: (() => void) | undefined;
  /** Why the stream failed, until {@link next} reports it. */
  #streamFailure: unknown;
  #closed = false;

  constructor(options: GroupConsumerOptions) {
    this.#options = options;
    this.groupId = options.groupId;
    const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
    this.#consumer = new Consumer({
      clientId: options.connection.clientId,
      bootstrapBrokers: [...options.connection.brokers],
      groupId: options.groupId,
      groupProtocol: 'classic',
      protocols: [{ name: 'roundrobin', version: 1 }],
      sessionTimeout,
      heartbeatInterval: options.heartbeatIntervalMs ?? Math.min(3_000, Math.floor(sessionTimeout / 3)),
      rebalanceTimeout: options.rebalanceTimeoutMs ?? Math.max(sessionTimeout, 30_000),
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
      maxWaitTime: options.maxWaitMs ?? 100,
      minBytes: options.minBytes ?? 1,
      maxBytes: options.fetchMaxBytes ?? DEFAULT_FETCH_MAX_BYTES,
      maxBytesPerPartition: options.fetchMaxBytes ?? DEFAULT_FETCH_MAX_BYTES,
      deserializers: {
        key: passBuffer,
        value: passBuffer,
        headerKey: headerKeyFromBuffer,
        headerValue: passBuffer,
      },
    });
    this.#admin = createAdmin(options.connection);
    // Registered before any stream exists, so it runs before the stream's own listener.
    this.#consumer.on('consumer:group:join', () => this.#onJoin());
    // A permanent reference keeps the subscription when a stream closes (closing untracks its topics
    // and the next stream would otherwise trigger yet another rebalance).
    this.#consumer.topics.trackAll(...options.topics);
  }

  /**
   * Joins the group; the first {@link next} call reports the assignment. A coordinator that is still
   * being elected or loaded (a cluster just started, a broker just lost) is waited for, up to ~30 s.
   */
  async join(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#consumer.joinGroup({});
        return;
      } catch (error) {
        const coordinatorMoving = hasKafkaError(error, ...COORDINATOR_ERRORS);
        if (this.#closed || !coordinatorMoving || attempt >= JOIN_ATTEMPTS) throw error;
        await sleep(Math.min(5_000, 250 * 2 ** attempt));
      }
    }
  }

  /**
   * The next records of the current assignment, or the news of a new assignment. With `lingerMs`, once
   * a record is there it waits that long for up to `maxRecords` (the processor leaves the wait to the
   * broker: `minBytes`).
   */
  async next(options: { maxRecords: number; lingerMs?: number }): Promise<ConsumerEvent> {
    for (;;) {
      if (this.#streamFailure !== undefined) {
        const failure = this.#streamFailure;
        this.#streamFailure = undefined;
        throw new ConsumerStreamError(failure);
      }
      if (this.#closed) throw new Error('The consumer is closed');
      if (this.#pending) {
        const assignment = this.#pending;
        this.#pending = undefined;
        return { kind: 'assignment', assignment };
      }
      if (this.#buffer.length > 0) {
        // Linger: a fuller batch makes one transaction carry more commands.
        const until = performance.now() + (options.lingerMs ?? 0);
        while (
          this.#buffer.length < options.maxRecords &&
          !this.#pending &&
          this.#streamFailure === undefined &&
          performance.now() < until
        ) {
          await this.#waitFor(until - performance.now());
        }
        if (this.#pending || this.#streamFailure !== undefined) continue;
        const records = this.#buffer.splice(0, options.maxRecords);
        if (this.#stream?.isPaused() && this.#buffer.length < this.#bufferLimit() / 2) this.#stream.resume();
        return { kind: 'records', records };
      }
      await this.#waitFor(1_000);
    }
  }

  /** Records fetched and not yet handed on: this wrapper's buffer and the stream's. */
  get buffered(): number {
    return this.#buffer.length + (this.#stream?.readableLength ?? 0);
  }

  /** Starts fetching the assigned partitions at exactly these offsets (never `latest`). */
  async open(positions: readonly ConsumedPosition[]): Promise<void> {
    await this.#dropStream();
    if (positions.length === 0) return;
    const stream = await this.#consumer.consume({
      topics: [...this.#options.topics],
      mode: 'manual',
      offsets: positions.map(({ topic, partition, nextOffset }) => ({
        topic,
        partition,
        offset: nextOffset,
      })),
      autocommit: false,
    });
    if (this.#pending) {
      // The group moved on while the stream was being created.
      await stream.close();
      return;
    }
    this.#stream = stream;
    stream.on('data', (record: ConsumedRecord) => {
      if (this.#stream !== stream) return;
      this.#buffer.push(record);
      if (this.#buffer.length >= this.#bufferLimit()) stream.pause();
      this.#notify();
    });
    stream.on('error', (error: unknown) => {
      if (this.#stream !== stream) return;
      // The stream is dead: drop it with what it buffered; the owner reopens from committed offsets.
      this.#streamFailure = error;
      this.#stream = undefined;
      this.#buffer = [];
      stream.close().catch(() => undefined);
      this.#notify();
    });
  }

  /** Committed offsets of the group, waiting out pending transactional commits (require_stable). */
  async committedOffsets(partitions: Assignment['partitions']): Promise<Map<string, bigint | undefined>> {
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of partitions)
      byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const result = new Map<string, bigint | undefined>();
    if (byTopic.size === 0) return result;
    for (let attempt = 0; ; attempt++) {
      try {
        const [group] = await this.#admin.listConsumerGroupOffsets({
          groups: [
            {
              groupId: this.groupId,
              topics: [...byTopic].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
            },
          ],
          requireStable: true,
        });
        for (const topic of group?.topics ?? []) {
          for (const entry of topic.partitions) {
            result.set(
              `${topic.name}/${entry.partitionIndex}`,
              entry.committedOffset >= 0n ? entry.committedOffset : undefined,
            );
          }
        }
        return result;
      } catch (error) {
        if (!hasKafkaError(error, 'UNSTABLE_OFFSET_COMMIT') || attempt > 600) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
  }

  /** Earliest or latest (last stable, read_committed) offsets of a topic's partitions. */
  async listOffsets(topic: string, which: 'earliest' | 'latest'): Promise<bigint[]> {
    const offsets = await this.#consumer.listOffsets({
      topics: [topic],
      timestamp: which === 'earliest' ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    return offsets.get(topic) ?? [];
  }

  /** Leaves the group and closes the clients. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#dropStream();
    this.#notify();
    await this.#consumer.close(true);
    await this.#admin.close();
  }

  #onJoin(): void {
    const consumer = this.#consumer;
    const topics = new Set(this.#options.topics);
    this.#pending = {
      generation: {
        groupId: this.groupId,
        generationId: consumer.generationId,
        memberId: consumer.memberId ?? '',
        coordinatorId: consumer.coordinatorId ?? -1,
      },
      partitions: (consumer.assignments ?? [])
        .filter((entry) => topics.has(entry.topic))
        .flatMap((entry) => entry.partitions.map((partition) => ({ topic: entry.topic, partition })))
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition),
    };
    // Nothing of the old assignment may be handed on after this point.
    const stream = this.#stream;
    this.#stream = undefined;
    this.#buffer = [];
    if (stream) {
      stream.pause();
      stream.close().catch(() => undefined);
    }
    this.#notify();
  }

  async #dropStream(): Promise<void> {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#buffer = [];
    if (stream) await stream.close().catch(() => undefined);
  }

  #bufferLimit(): number {
    return this.#options.bufferRecords ?? 10_000;
  }

  #waitFor(ms: number): Promise<void> {
    return new Promise((resolve) => {
      // `until - now` can come out a hair below zero, which Node warns about.
      const timer = setTimeout(done, Math.max(0, ms));
      const previous = this.#wake;
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        previous?.();
        done();
      };
    });
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
