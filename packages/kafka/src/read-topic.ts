import { randomUUID } from 'node:crypto';
import { Consumer, FetchIsolationLevels } from '@platformatic/kafka';
import type { KafkaConnection } from './client.ts';

/** A record read back from a topic, decoded for inspection. */
export interface ReadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer;
  readonly headers: ReadonlyMap<string, Buffer>;
}

/** Options of {@link readTopic}. */
export interface ReadTopicOptions {
  readonly isolationLevel?: 'read_committed' | 'read_uncommitted';
  /** Stop as soon as this many records arrived. */
  readonly expect?: number;
  /** Stop after this long without a new record (ms). Default 2,000. */
  readonly idleMs?: number;
  /** Give up after this long in all (ms). Default 30,000. */
  readonly timeoutMs?: number;
}

/**
 * Reads a whole topic from its beginning with a throw-away consumer group: for tests, tools and
 * diagnostics. Records come in partition order, each partition in offset order.
 */
export async function readTopic(
  connection: KafkaConnection,
  topic: string,
  options: ReadTopicOptions = {},
): Promise<ReadRecord[]> {
  const consumer = new Consumer({
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.brokers],
    groupId: `sluice-read-${randomUUID()}`,
    autocommit: false,
    maxWaitTime: 200,
    isolationLevel:
      options.isolationLevel === 'read_uncommitted'
        ? FetchIsolationLevels.READ_UNCOMMITTED
        : FetchIsolationLevels.READ_COMMITTED,
  });
  const records: ReadRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const idleMs = options.idleMs ?? 2_000;
    await new Promise<void>((resolve, reject) => {
      let idle: NodeJS.Timeout | undefined;
      const finish = () => {
        clearTimeout(idle);
        clearTimeout(overall);
        stream.removeAllListeners('data');
        resolve();
      };
      const armIdle = () => {
        clearTimeout(idle);
        idle = setTimeout(finish, idleMs);
      };
      const overall = setTimeout(finish, deadline - Date.now());
      stream.on('data', (message) => {
        records.push({
          topic: message.topic,
          partition: message.partition,
          offset: message.offset,
          key: message.key && message.key.length > 0 ? message.key : null,
          value: message.value ?? Buffer.alloc(0),
          headers: new Map([...message.headers].map(([name, value]) => [name.toString(), value])),
        });
        if (options.expect !== undefined && records.length >= options.expect) finish();
        else armIdle();
      });
      stream.once('error', reject);
      armIdle();
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return records.sort(
    (a, b) => a.partition - b.partition || (a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0),
  );
}
