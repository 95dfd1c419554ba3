import type { PartitionLag } from '../errors.ts';
import type { StoredParkedEvent } from '../read-store.ts';
import type { TopicPartitionKey } from './topic-partition.ts';

/** Partitions where the candidate's next offset is below the active version's (missing counts as 0). */
export function lagOf(
  active: ReadonlyMap<TopicPartitionKey, bigint>,
  candidate: ReadonlyMap<TopicPartitionKey, bigint>,
): PartitionLag[] {
  const lagging: PartitionLag[] = [];
  for (const [tp, next] of active) {
    const theirs = candidate.get(tp);
    if ((theirs ?? 0n) < next) lagging.push({ topicPartition: tp, active: next, candidate: theirs });
  }
  return lagging;
}

/** Orders parked events as they were in the log. */
export function byLogPosition(a: StoredParkedEvent, b: StoredParkedEvent): number {
  if (a.version !== b.version) return a.version - b.version;
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  if (a.partition !== b.partition) return a.partition - b.partition;
  return a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : 0;
}
