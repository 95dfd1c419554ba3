/**
 * Fixtures for the read_committed contract: write a scripted mix of committed and aborted
 * transactions into one partition, then read it back with @platformatic/kafka while recording
 * the shape of every raw Fetch response (before the client filters it).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import {
  type Admin,
  Consumer,
  FetchIsolationLevels,
  ListOffsetTimestamps,
  Producer,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { javaCompatiblePartitioner } from '../client.ts';

/** One step of a script: a record sent in the producer's open transaction, or its end. */
export type ScriptStep =
  | { readonly producer: number; readonly action: 'send'; readonly value: string }
  | { readonly producer: number; readonly action: 'commit' | 'abort' };

export interface DeliveredRecord {
  readonly offset: bigint;
  readonly key: string | null;
  readonly value: string | null;
}

/** A record batch of a raw Fetch response, as the broker sent it. */
export interface RawBatch {
  readonly firstOffset: bigint;
  readonly lastOffset: bigint;
  readonly producerId: bigint;
  readonly control: boolean;
}

/** One partition of a raw Fetch response. */
export interface RawPartitionFetch {
  readonly abortedTransactions: readonly { readonly producerId: bigint; readonly firstOffset: bigint }[];
  readonly batches: readonly RawBatch[];
}

export const PARTITION = 0;

/**
 * Runs the script one step at a time (so log order is script order) with one transactional
 * producer per index; returns the values of committed transactions in log order.
 */
export async function writeScript(
  brokers: readonly string[],
  topic: string,
  steps: readonly ScriptStep[],
): Promise<string[]> {
  const producers = new Map<number, Producer<string, string, string, string>>();
  // Every value sent, in log order, with the transaction (producer, number) it belongs to.
  const sent: { readonly transaction: string; readonly value: string }[] = [];
  const transactionOf = new Map<number, number>();
  const committedTransactions = new Set<string>();
  try {
    for (const step of steps) {
      let producer = producers.get(step.producer);
      if (!producer) {
        producer = new Producer({
          clientId: `${topic}-p${step.producer}`,
          bootstrapBrokers: [...brokers],
          transactionalId: `${topic}-p${step.producer}`,
          idempotent: true,
          retryDelay: 20,
          partitioner: javaCompatiblePartitioner,
          serializers: stringSerializers,
        });
        producers.set(step.producer, producer);
      }
      const transaction = producer.transaction ?? (await producer.beginTransaction());
      const current = `${step.producer}/${transactionOf.get(step.producer) ?? 0}`;
      if (step.action === 'send') {
        const key = `p${step.producer}`;
        await transaction.send({ messages: [{ topic, partition: PARTITION, key, value: step.value }] });
        sent.push({ transaction: current, value: step.value });
        continue;
      }
      if (step.action === 'commit') {
        await transaction.commit();
        committedTransactions.add(current);
      } else {
        await transaction.abort();
      }
      transactionOf.set(step.producer, (transactionOf.get(step.producer) ?? 0) + 1);
    }
  } finally {
    await Promise.all([...producers.values()].map((p) => p.close()));
  }
  return sent.filter((s) => committedTransactions.has(s.transaction)).map((s) => s.value);
}

/**
 * Waits until every transaction in the partition is complete (its marker written, so the last
 * stable offset equals the high watermark) and returns that end offset.
 */
export async function awaitStableEnd(admin: Admin, topic: string, timeoutMs = 15_000): Promise<bigint> {
  const latest = async (isolationLevel: number): Promise<bigint | undefined> => {
    const [listed] = await admin.listOffsets({
      topics: [
        { name: topic, partitions: [{ partitionIndex: PARTITION, timestamp: ListOffsetTimestamps.LATEST }] },
      ],
      isolationLevel: isolationLevel as 0 | 1,
    });
    return listed?.partitions[0]?.offset;
  };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stable = await latest(FetchIsolationLevels.READ_COMMITTED);
    const end = await latest(FetchIsolationLevels.READ_UNCOMMITTED);
    if (stable !== undefined && stable === end) return end;
    if (Date.now() > deadline) throw new Error(`${topic}: last stable offset ${stable} never reached ${end}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Reads the partition read_committed through `consume()` until the stream's position reaches
 * `endOffset`; `maxBytes` bounds both the response and the partition.
 */
export async function readCommitted(
  brokers: readonly string[],
  topic: string,
  endOffset: bigint,
  maxBytes = 1_048_576,
): Promise<{ delivered: DeliveredRecord[]; fetches: RawPartitionFetch[] }> {
  const consumer = new Consumer({
    clientId: `${topic}-reader`,
    groupId: `${topic}-reader-${process.hrtime.bigint()}`,
    bootstrapBrokers: [...brokers],
    deserializers: stringDeserializers,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    maxBytes,
    maxBytesPerPartition: maxBytes,
    maxWaitTime: 100,
  });
  const fetches: RawPartitionFetch[] = [];
  const delivered: DeliveredRecord[] = [];
  try {
    const metadata = await consumer.metadata({ topics: [topic] });
    const topicId = metadata.topics.get(topic)?.id;
    const onResponse = (message: unknown): void => recordRawFetch(message, topicId, fetches);
    subscribe(rawResponseChannel, onResponse);
    try {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
      stream.on('data', (m) =>
        delivered.push({ offset: m.offset, key: m.key ?? null, value: m.value ?? null }),
      );
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const at = stream.offsetsToFetch.get(`${topic}:${PARTITION}`);
          reject(new Error(`${topic}: reader stuck at offset ${at}, end is ${endOffset}`));
        }, 20_000);
        // The stream emits 'fetch' just before it pushes the response, so check on the next turn.
        stream.on('fetch', () =>
          setImmediate(() => {
            if ((stream.offsetsToFetch.get(`${topic}:${PARTITION}`) ?? -1n) >= endOffset) {
              clearTimeout(timer);
              resolve();
            }
          }),
        );
        stream.on('error', reject);
      });
      await stream.close();
    } finally {
      unsubscribe(rawResponseChannel, onResponse);
    }
  } finally {
    await consumer.close(true);
  }
  return { delivered, fetches };
}

// Published with the decoded response before the client's callback (and its filter) runs.
const rawResponseChannel = 'tracing:plt:kafka:connections:api:asyncStart';
const FETCH_API_KEY = 1;
const IS_CONTROL = 1 << 5;

interface FetchResponseShape {
  responses: {
    topicId: string;
    partitions: {
      partitionIndex: number;
      abortedTransactions?: { producerId: bigint; firstOffset: bigint }[] | null;
      records?: { firstOffset: bigint; lastOffsetDelta: number; producerId: bigint; attributes: number }[];
    }[];
  }[];
}

function recordRawFetch(message: unknown, topicId: string | undefined, into: RawPartitionFetch[]): void {
  const context = message as { apiKey?: number; result?: FetchResponseShape };
  if (context.apiKey !== FETCH_API_KEY || !context.result) return;
  for (const topicResponse of context.result.responses) {
    if (topicResponse.topicId !== topicId) continue;
    for (const partition of topicResponse.partitions) {
      if (partition.partitionIndex !== PARTITION || !partition.records?.length) continue;
      into.push({
        abortedTransactions: (partition.abortedTransactions ?? []).map((t) => ({ ...t })),
        batches: partition.records.map((b) => ({
          firstOffset: b.firstOffset,
          lastOffset: b.firstOffset + BigInt(b.lastOffsetDelta),
          producerId: b.producerId,
          control: (b.attributes & IS_CONTROL) !== 0,
        })),
      });
    }
  }
}

/**
 * True when the response's last batch lies inside an aborted transaction whose abort marker is
 * not in the response: the transaction began at or before it and its producer wrote no control
 * batch in between.
 */
export function endsInsideAbortedTransaction(fetch: RawPartitionFetch): boolean {
  const last = fetch.batches.at(-1);
  if (!last || last.control) return false;
  return fetch.abortedTransactions.some(
    (aborted) =>
      aborted.producerId === last.producerId &&
      aborted.firstOffset <= last.firstOffset &&
      !fetch.batches.some(
        (b) => b.control && b.producerId === last.producerId && b.firstOffset >= aborted.firstOffset,
      ),
  );
}
