import { findErrorBy } from '@platformatic/kafka';

/** Broker error names (Kafka's `Errors` enum) found anywhere in a client error chain. */
export function hasKafkaError(error: unknown, ...apiIds: string[]): boolean {
  return apiIds.some((apiId) => findErrorBy(error as Error, 'apiId', apiId) !== null);
}

/** True when the broker says another producer with our transactional id has taken over. */
export function isFencedError(error: unknown): boolean {
  return hasKafkaError(error, 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH');
}

/** True when the broker no longer knows the producer id (its state expired); a new producer fixes it. */
export function isUnknownProducerError(error: unknown): boolean {
  return hasKafkaError(error, 'UNKNOWN_PRODUCER_ID');
}

/** True when the broker refused a record over the topic's size limit. */
export function isRecordTooLargeError(error: unknown): boolean {
  return hasKafkaError(error, 'MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE');
}
