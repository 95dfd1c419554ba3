/** A topic/partition pair as one string key, `order-events/3`: Kafka topic names never contain `/`. */
export type TopicPartitionKey = string;

/** The map key for a topic and partition. */
export function topicPartitionKey(topic: string, partition: number): TopicPartitionKey {
  return `${topic}/${partition}`;
}

/** Splits a key made by `topicPartitionKey` back into topic and partition. */
export function parseTopicPartitionKey(key: TopicPartitionKey): { topic: string; partition: number } {
  const slash = key.lastIndexOf('/');
  const partition = Number(key.slice(slash + 1));
  if (slash <= 0 || !Number.isInteger(partition) || partition < 0) {
    throw new TypeError(`not a topic/partition key: ${JSON.stringify(key)}`);
  }
  return { topic: key.slice(0, slash), partition };
}
