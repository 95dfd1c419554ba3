import { Admin, compatibilityPartitioner, Producer, type ProducerOptions } from '@platformatic/kafka';

/** Where the cluster is and how this process names itself to it. */
export interface KafkaConnection {
  readonly brokers: readonly string[];
  readonly clientId: string;
}

/**
 * Java's default partitioner (murmur2 of the key, positive) so that Sluice, Kafka Streams and any Java
 * or librdkafka client agree on which partition a key lives in. The library's own default differs.
 */
export const javaCompatiblePartitioner = compatibilityPartitioner;

/**
 * Retry delay for producer requests: 2 ms, doubling per attempt up to 200 ms. A transaction's first
 * AddPartitionsToTxn right after the previous commit meets CONCURRENT_TRANSACTIONS while the markers are
 * written; the library's flat 1 s default made each transaction wait a second, a flat 20 ms still cost
 * ~10 ms per transaction here. Broker trouble still backs off to 200 ms.
 */
export function producerRetryDelay(_client: unknown, _operation: string, attempt: number): number {
  return Math.min(200, 2 * 2 ** Math.max(0, attempt - 1));
}

/** Transaction timeout; above the request timeout so a slow request does not expire its transaction. */
export const TRANSACTION_TIMEOUT_MS = 15_000;

/**
 * Keys, values and header values are buffers or strings, header names are strings. Strings reach the
 * (patched) record encoder as they are and are written there as UTF-8, with no buffer of their own.
 */
export type SluiceProducer = Producer<Bytes, Bytes, string, Bytes>;

type Bytes = Buffer | string;

// The library's types say serializers return buffers; its patched encoder takes strings as well.
const passBuffer = (data?: Bytes): Buffer | undefined => data as Buffer | undefined;

/**
 * Serializers for {@link SluiceProducer}: keys and values pass through. Headers have none: with the
 * library's own pass-through for both, the (patched) producer hands a record's header Map or flat
 * array to the encoder as it is instead of copying it into a Map.
 */
export const producerSerializers = {
  key: passBuffer,
  value: passBuffer,
};

/** Options every Sluice producer shares: Java-compatible partitioning, buffers or strings in. */
export function producerOptions(
  connection: KafkaConnection,
  extra: Partial<ProducerOptions<Bytes, Bytes, string, Bytes>> = {},
): ProducerOptions<Bytes, Bytes, string, Bytes> {
  return {
    clientId: connection.clientId,
    bootstrapBrokers: [...connection.brokers],
    partitioner: javaCompatiblePartitioner,
    retryDelay: producerRetryDelay,
    serializers: producerSerializers,
    ...extra,
  };
}

/** A plain (idempotent, non-transactional) producer, e.g. for the gateway. */
export function createProducer(connection: KafkaConnection): SluiceProducer {
  return new Producer(producerOptions(connection, { idempotent: true, autocreateTopics: false }));
}

/** An admin client. */
export function createAdmin(connection: KafkaConnection): Admin {
  return new Admin({ clientId: connection.clientId, bootstrapBrokers: [...connection.brokers] });
}
