// How TxnSession turns its records, partitions and offsets into the client library's shapes.
import type { Message, MessageToProduce } from '@platformatic/kafka';
import type { SluiceProducer } from './client.ts';
import { TxnStateError } from './errors.ts';
import type { ConsumedPosition, GroupGeneration, OutgoingRecord, TopicPartition } from './txn-session.ts';

/** The client's transaction object. */
export type Transaction = Awaited<ReturnType<SluiceProducer['beginTransaction']>>;

/**
 * Records as the client sends them: it reads an OutgoingRecord's fields as they are (strings stay
 * strings, the patched encoder writes them as UTF-8; a missing key or headers is fine) and copies each
 * message before it changes anything, so no copy of ours per record.
 */
export function asMessages(
  records: readonly OutgoingRecord[],
): MessageToProduce<Bytes, Bytes, string, Bytes>[] {
  return records as unknown as MessageToProduce<Bytes, Bytes, string, Bytes>[];
}

/** One header of an outgoing record, whether its headers are a Map, a flat array or an object. */
export function headerOf(record: OutgoingRecord, name: string): Bytes | undefined {
  const headers = record.headers;
  if (headers === undefined) return undefined;
  if (headers instanceof Map) return headers.get(name);
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
    return undefined;
  }
  return (headers as Readonly<Record<string, Bytes>>)[name];
}

type Bytes = string | Buffer;

/**
 * Splits records, in order, so that no partition gets more than its byte budget in one request. Sizes
 * are first bounded from above by string lengths (UTF-8 takes at most 3 bytes per UTF-16 unit): only
 * when a partition's bounds reach its budget are its records measured exactly, each at most once
 * (measuring every record cost ~4 % of the processor's thread). A chunk so ends only where the next
 * record does not fit by its exact size: a batch's events mostly share one partition, and their
 * bounds (about three times their size) split a batch into two requests, each with its own round
 * trips.
 */
export function produceChunks(
  records: readonly OutgoingRecord[],
  budget: (topic: string) => number,
): OutgoingRecord[][] {
  const chunks: OutgoingRecord[][] = [];
  let chunk: OutgoingRecord[] = [];
  // Per topic, by partition: no key string per record.
  let used = new Map<string, PartitionUse[]>();
  for (const record of records) {
    let byPartition = used.get(record.topic);
    if (byPartition === undefined) {
      byPartition = [];
      used.set(record.topic, byPartition);
    }
    let use = byPartition[record.partition];
    if (use === undefined) {
      use = { bytes: 0, bounded: [], boundBytes: 0 };
      byPartition[record.partition] = use;
    }
    const limit = budget(record.topic);
    let size = recordBytes(record, maxByteLength);
    if (use.bytes + size > limit) {
      measureExactly(use);
      size = recordBytes(record, byteLength);
      if (use.bytes > 0 && use.bytes + size > limit) {
        chunks.push(chunk);
        chunk = [];
        use = { bytes: 0, bounded: [], boundBytes: 0 };
        const fresh: PartitionUse[] = [];
        fresh[record.partition] = use;
        used = new Map([[record.topic, fresh]]);
      }
      use.bytes += size;
    } else {
      use.bytes += size;
      use.boundBytes += size;
      use.bounded.push(record);
    }
    chunk.push(record);
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}

/** A partition's bytes in the chunk: exact sizes, plus the bounds of the records in `bounded`. */
interface PartitionUse {
  bytes: number;
  bounded: OutgoingRecord[];
  /** The part of `bytes` that is `bounded`'s bounds. */
  boundBytes: number;
}

/** Replaces the bounds of a partition's records by their exact sizes. */
function measureExactly(use: PartitionUse): void {
  use.bytes -= use.boundBytes;
  for (const record of use.bounded) use.bytes += recordBytes(record, byteLength);
  use.bounded = [];
  use.boundBytes = 0;
}

type Measure = (value: Buffer | string | undefined) => number;

/** About the bytes a record takes in a record batch, its strings measured by `measure`. */
function recordBytes(record: OutgoingRecord, measure: Measure): number {
  let bytes = 24 + measure(record.key) + measure(record.value);
  const headers = record.headers;
  if (Array.isArray(headers)) {
    for (let i = 0; i < headers.length; i += 2) bytes += 4 + measure(headers[i]) + measure(headers[i + 1]);
  } else if (headers instanceof Map) {
    // forEach: a for…of over the Map allocated an entry array per header.
    headers.forEach((value: Buffer | string, name: string) => {
      bytes += 4 + measure(name) + measure(value);
    });
  } else if (headers !== undefined) {
    const object = headers as Readonly<Record<string, Buffer | string>>;
    for (const name of Object.keys(object)) bytes += 4 + measure(name) + measure(object[name]);
  }
  return bytes;
}

function byteLength(value: Buffer | string | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function maxByteLength(value: Buffer | string | undefined): number {
  if (value === undefined) return 0;
  return typeof value === 'string' ? 3 * value.length : value.length;
}

/**
 * Adds the partitions of `lists` to the transaction in one request. The library's `addPartitions`
 * reads only each topic's partition count from the metadata (to wrap the partition number); ours are
 * always in range.
 */
export function addPartitions(
  txn: Transaction,
  ...lists: readonly (readonly TopicPartition[])[]
): Promise<void> {
  // Partitions by topic: no key string per record.
  const byTopic = new Map<string, Set<number>>();
  for (const list of lists) {
    for (const { topic, partition } of list) {
      let partitions = byTopic.get(topic);
      if (partitions === undefined) {
        partitions = new Set();
        byTopic.set(topic, partitions);
      }
      partitions.add(partition);
    }
  }
  const topics = new Map([...byTopic.keys()].map((topic) => [topic, { partitionsCount: 2 ** 31 }]));
  const messages = [...byTopic].flatMap(([topic, partitions]) =>
    [...partitions].map((partition) => ({ topic, partition })),
  );
  return txn.addPartitions(
    { topics } as unknown as Parameters<Transaction['addPartitions']>[0],
    messages as Parameters<Transaction['addPartitions']>[1],
  );
}

/**
 * The library reports one base offset per partition; records of a partition follow it in order.
 * Looked up by topic, then partition number: no key string per record.
 */
export function recordOffsets(
  records: readonly OutgoingRecord[],
  reported: readonly { topic: string; partition: number; offset: bigint }[],
): bigint[] {
  const next = new Map<string, bigint[]>();
  for (const { topic, partition, offset } of reported) {
    let byPartition = next.get(topic);
    if (byPartition === undefined) {
      byPartition = [];
      next.set(topic, byPartition);
    }
    byPartition[partition] = offset;
  }
  const offsets = new Array<bigint>(records.length);
  for (let i = 0; i < records.length; i++) {
    const { topic, partition } = records[i]!;
    const byPartition = next.get(topic);
    const offset = byPartition?.[partition];
    if (byPartition === undefined || offset === undefined)
      throw new TxnStateError(`No offset reported for ${topic}/${partition}`);
    offsets[i] = offset;
    byPartition[partition] = offset + 1n;
  }
  return offsets;
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
