import { randomUUID } from 'node:crypto';
import {
  Consumer,
  FetchIsolationLevels,
  IS_CONTROL,
  type KafkaRecord,
  ListOffsetTimestamps,
  type RecordsBatch,
} from '@platformatic/kafka';
import type { KafkaConnection } from './client.ts';

/** A record read by a {@link PartitionReader}. */
export interface FetchedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Headers by name (the last of a repeated name wins), built on first use. */
  readonly headers: ReadonlyMap<string, Buffer>;
  /**
   * Headers as UTF-8 text by name (the last wins), read from the record's bytes without a Buffer per
   * name and value: for readers of text headers, such as event decoding.
   */
  headerText(): Record<string, string>;
}

/** Where to read a partition from. */
export interface ReadPosition {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** One round of fetches: the records, where to continue, and each partition's bounds. */
export interface FetchRound {
  readonly records: FetchedRecord[];
  /** Next offset per `topic/partition`, past records, filtered batches and control markers. */
  readonly next: Map<string, bigint>;
  /** Last stable offset per `topic/partition`: the end a read_committed reader can reach now. */
  readonly lastStable: Map<string, bigint>;
}

/** Options of a {@link PartitionReader}. */
export interface PartitionReaderOptions {
  readonly connection: KafkaConnection;
  /** Longest the broker holds a fetch open waiting for data. Default 100 ms. */
  readonly maxWaitMs?: number;
  /** Bytes per partition per fetch. Default 1 MiB. */
  readonly partitionMaxBytes?: number;
}

export const tpKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/**
 * Reads chosen partitions read_committed by manual assignment, with no consumer group: for restoring
 * processor state and for projectors. Built on the client's raw `fetch`, which applies the (patched)
 * aborted-transaction filter.
 */
export class PartitionReader {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #options: PartitionReaderOptions;

  constructor(options: PartitionReaderOptions) {
    this.#options = options;
    this.#consumer = new Consumer({
      clientId: options.connection.clientId,
      bootstrapBrokers: [...options.connection.brokers],
      // Never joined: the client requires a group id even for plain fetches.
      groupId: `sluice-reader-${randomUUID()}`,
      autocommit: false,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
  }

  /** Fetches once from every partition's leader and returns what arrived. */
  async fetch(positions: readonly ReadPosition[]): Promise<FetchRound> {
    const round: FetchRound = { records: [], next: new Map(), lastStable: new Map() };
    if (positions.length === 0) return round;
    const topics = [...new Set(positions.map((p) => p.topic))];
    this.#consumer.topics.trackAll(...topics.filter((topic) => !this.#consumer.topics.has(topic)));
    const metadata = await this.#consumer.metadata({ topics });
    const byNode = new Map<number, ReadPosition[]>();
    for (const position of positions) {
      const leader = metadata.topics.get(position.topic)?.partitions[position.partition]?.leader;
      if (leader === undefined) throw new Error(`No leader for ${tpKey(position.topic, position.partition)}`);
      byNode.set(leader, [...(byNode.get(leader) ?? []), position]);
    }
    const topicIds = new Map([...metadata.topics].map(([name, topic]) => [topic.id, name]));
    await Promise.all(
      [...byNode].map(async ([node, wanted]) => {
        const response = await this.#consumer.fetch({
          node,
          maxWaitTime: this.#options.maxWaitMs ?? 100,
          isolationLevel: FetchIsolationLevels.READ_COMMITTED,
          topics: topics
            .filter((topic) => wanted.some((p) => p.topic === topic))
            .map((topic) => ({
              topicId: metadata.topics.get(topic)?.id ?? '',
              partitions: wanted
                .filter((p) => p.topic === topic)
                .map((p) => ({
                  partition: p.partition,
                  currentLeaderEpoch: -1,
                  fetchOffset: p.offset,
                  lastFetchedEpoch: -1,
                  partitionMaxBytes: this.#options.partitionMaxBytes ?? 1024 * 1024,
                })),
            })),
        });
        for (const topicResponse of response.responses) {
          const topic = topicIds.get(topicResponse.topicId) ?? '';
          for (const part of topicResponse.partitions) {
            const key = tpKey(topic, part.partitionIndex);
            const from = wanted.find((p) => p.topic === topic && p.partition === part.partitionIndex)?.offset;
            if (from === undefined) continue; // a partition lingering in the fetch session
            round.lastStable.set(key, part.lastStableOffset);
            round.next.set(key, collect(topic, part.partitionIndex, from, part.records ?? [], round.records));
          }
        }
      }),
    );
    return round;
  }

  /** The topic's id (a UUID), as the broker reports it. */
  async topicId(topic: string): Promise<string> {
    this.#consumer.topics.trackAll(...[topic].filter((name) => !this.#consumer.topics.has(name)));
    const metadata = await this.#consumer.metadata({ topics: [topic] });
    const id = metadata.topics.get(topic)?.id;
    if (!id) throw new Error(`Topic ${topic} does not exist`);
    return id;
  }

  /** Earliest offsets of a topic's partitions, by partition number. */
  startOffsets(topic: string): Promise<bigint[]> {
    return this.#listOffsets(topic, ListOffsetTimestamps.EARLIEST);
  }

  /** Last stable offsets of a topic's partitions: the end a read_committed reader can reach now. */
  endOffsets(topic: string): Promise<bigint[]> {
    return this.#listOffsets(topic, ListOffsetTimestamps.LATEST);
  }

  /** Closes the connections. */
  async close(): Promise<void> {
    await this.#consumer.close(true);
  }

  async #listOffsets(topic: string, timestamp: bigint): Promise<bigint[]> {
    const offsets = await this.#consumer.listOffsets({
      topics: [topic],
      timestamp,
      isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    });
    return offsets.get(topic) ?? [];
  }
}

/** Appends the data records of the batches at or after `from`; returns the offset after the last batch. */
function collect(
  topic: string,
  partition: number,
  from: bigint,
  batches: readonly RecordsBatch[],
  into: FetchedRecord[],
): bigint {
  let next = from;
  for (const batch of batches) {
    const batchEnd = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
    if (batchEnd > next) next = batchEnd;
    if (batch.attributes & IS_CONTROL) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < from) continue; // a batch can start before the offset asked for
      into.push(new Fetched(topic, partition, offset, batch.firstTimestamp + record.timestampDelta, record));
    }
  }
  return next;
}

/**
 * A fetched record whose headers stay in the client's record until read: a Map of eight Buffers per
 * event was a third of what a rebuild allocated, for decoders that want text.
 */
class Fetched implements FetchedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly timestamp: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly #record: KafkaRecord;
  #headers: Map<string, Buffer> | undefined;

  constructor(topic: string, partition: number, offset: bigint, timestamp: bigint, record: KafkaRecord) {
    this.topic = topic;
    this.partition = partition;
    this.offset = offset;
    this.timestamp = timestamp;
    this.key = record.key;
    this.value = record.value;
    this.#record = record;
  }

  get headers(): ReadonlyMap<string, Buffer> {
    if (this.#headers === undefined) {
      this.#headers = new Map();
      for (const [name, value] of this.#record.headers)
        if (name) this.#headers.set(name.toString(), value ?? Buffer.alloc(0));
    }
    return this.#headers;
  }

  headerText(): Record<string, string> {
    // The patched client reads strings straight from the record's bytes; other records have views.
    const strings =
      this.#record.headerStrings?.() ??
      this.#record.headers.flatMap(([name, value]) => [name?.toString() ?? null, value?.toString() ?? null]);
    const text: Record<string, string> = {};
    for (let i = 0; i < strings.length; i += 2) {
      const name = strings[i];
      const value = strings[i + 1] ?? '';
      if (name === null || name === undefined) continue;
      // An own property even for `__proto__`, which assignment would take as the prototype.
      if (name === '__proto__')
        Object.defineProperty(text, name, { value, enumerable: true, writable: true });
      else text[name] = value;
    }
    return text;
  }
}
