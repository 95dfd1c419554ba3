// How TxnSession turns its records, partitions and offsets into the client library's shapes.
import type { Message, MessageToProduce } from '@platformatic/kafka';
import type { SluiceProducer } from './client.ts';
import { TxnStateError } from './errors.ts';
import type { ConsumedPosition, GroupGeneration, OutgoingRecord, TopicPartition } from './txn-session.ts';

/** The client's transaction object. */
export type Transaction = Awaited<ReturnType<SluiceProducer['beginTransaction']>>;

/** A record as the client sends it: strings stay strings, the encoder writes them as UTF-8. */
export function toMessage(record: OutgoingRecord): MessageToProduce<Bytes, Bytes, string, Bytes> {
  return {
    topic: record.topic,
    partition: record.partition,
    ...(record.key === undefined ? {} : { key: record.key }),
    value: record.value,
    // The client reads the headers and never changes them.
    ...(record.headers === undefined ? {} : { headers: record.headers as Map<string, Bytes> }),
  };
}

/** One header of an outgoing record, whether its headers are a Map or an object. */
export function headerOf(record: OutgoingRecord, name: string): Bytes | undefined {
  const headers = record.headers;
  if (headers === undefined) return undefined;
  return headers instanceof Map ? headers.get(name) : (headers as Readonly<Record<string, Bytes>>)[name];
}

type Bytes = string | Buffer;

/** Splits records, in order, so that no partition gets more than its byte budget in one request. */
export function produceChunks(
  records: readonly OutgoingRecord[],
  budget: (topic: string) => number,
): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let chunk: OutgoingRecord[] = [];
  // Bytes used per topic, by partition: no key string per record.
  let used = new Map<string, number[]>();
  for (const record of records) {
    let byPartition = used.get(record.topic);
    if (byPartition === undefined) {
      byPartition = [];
      used.set(record.topic, byPartition);
    }
    const size = recordBytes(record);
    const before = byPartition[record.partition] ?? 0;
    if (before > 0 && before + size > budget(record.topic)) {
      chunks.push(chunk);
      chunk = [];
      byPartition = [];
      used = new Map([[record.topic, byPartition]]);
    }
    chunk.push(record);
    byPartition[record.partition] = (byPartition[record.partition] ?? 0) + size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** About the bytes a record takes in a record batch. */
function recordBytes(record: OutgoingRecord): number {
  let bytes = 24 + byteLength(record.key) + byteLength(record.value);
  const headers = record.headers;
  if (headers instanceof Map) {
    for (const [name, value] of headers) bytes += 4 + name.length + byteLength(value);
  } else if (headers !== undefined) {
    for (const [name, value] of Object.entries(headers)) bytes += 4 + name.length + byteLength(value);
  }
  return bytes;
}

function byteLength(value: Buffer | string | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

/**
 * Adds partitions to the transaction in one request. The library's `addPartitions` reads only each
 * topic's partition count from the metadata (to wrap the partition number); ours are always in range.
 */
export function addPartitions(txn: Transaction, partitions: readonly TopicPartition[]): Promise<void> {
  const unique = new Map(partitions.map((p) => [`${p.topic}/${p.partition}`, p]));
  const topics = new Map([...unique.values()].map((p) => [p.topic, { partitionsCount: 2 ** 31 }]));
  const messages = [...unique.values()].map((p) => ({ topic: p.topic, partition: p.partition }));
  return txn.addPartitions(
    { topics } as unknown as Parameters<Transaction['addPartitions']>[0],
    messages as Parameters<Transaction['addPartitions']>[1],
  );
}

/** The library reports one base offset per partition; records of a partition follow it in order. */
export function recordOffsets(
  records: readonly OutgoingRecord[],
  baseOffsets: Map<string, bigint>,
): bigint[] {
  const next = new Map(baseOffsets);
  return records.map((record) => {
    const key = `${record.topic}/${record.partition}`;
    const offset = next.get(key);
    if (offset === undefined) throw new TxnStateError(`No offset reported for ${key}`);
    next.set(key, offset + 1n);
    return offset;
  });
}

/** The library commits `message.offset + 1` with the group metadata found on the message. */
export function offsetMessage(
  position: ConsumedPosition,
  group: GroupGeneration,
): Message<Buffer, Buffer, Buffer, Buffer> {
  return {
    topic: position.topic,
    partition: position.partition,
    offset: position.nextOffset - 1n,
    metadata: { consumer: { ...group } },
  } as unknown as Message<Buffer, Buffer, Buffer, Buffer>;
}
