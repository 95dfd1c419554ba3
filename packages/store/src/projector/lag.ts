import type { PartitionReader } from '@sluice/kafka';
import { topicPartitionKey } from '../model/topic-partition.ts';
import type { ReadStore } from '../read-store.ts';

/** How far one source partition of a projection version is behind its topic's end. */
export interface SourceLag {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
  readonly endOffset: bigint;
  readonly lag: bigint;
}

/**
 * Lag per source partition of a projection version: the last stable offset of each partition minus
 * the next offset stored with the rows. Read from the store and Kafka, so it is right whichever process
 * runs the projector.
 */
export async function projectionLag(
  store: ReadStore,
  reader: PartitionReader,
  projection: { readonly name: string; readonly topics: readonly string[] },
  version: number,
  topicPrefix = '',
): Promise<SourceLag[]> {
  const offsets = await store.readOffsets(projection.name, version);
  const lags: SourceLag[] = [];
  for (const topic of projection.topics.map((name) => topicPrefix + name)) {
    const ends = await reader.endOffsets(topic);
    ends.forEach((endOffset, partition) => {
      const nextOffset = offsets.get(topicPartitionKey(topic, partition)) ?? 0n;
      lags.push({
        topic,
        partition,
        nextOffset,
        endOffset,
        lag: endOffset > nextOffset ? endOffset - nextOffset : 0n,
      });
    });
  }
  return lags;
}
