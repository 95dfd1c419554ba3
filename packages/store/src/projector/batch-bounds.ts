import type { FetchedRecord } from '@sluice/kafka';
import { type TopicPartitionKey, topicPartitionKey } from '../model/topic-partition.ts';

/** Keeps at most `limit` records of a round; a partition cut short resumes after its last kept record. */
export function boundBatch(
  records: readonly FetchedRecord[],
  roundNext: ReadonlyMap<TopicPartitionKey, bigint>,
  positions: ReadonlyMap<TopicPartitionKey, bigint>,
  limit: number,
): { kept: FetchedRecord[]; next: Map<TopicPartitionKey, bigint> } {
  const next = new Map<TopicPartitionKey, bigint>();
  for (const [tp, offset] of roundNext) if (offset > (positions.get(tp) ?? 0n)) next.set(tp, offset);
  if (records.length <= limit) return { kept: [...records], next };
  const kept = records.slice(0, limit);
  const last = new Map<TopicPartitionKey, bigint>();
  for (const r of kept) last.set(topicPartitionKey(r.topic, r.partition), r.offset);
  for (const r of records.slice(limit)) {
    const tp = topicPartitionKey(r.topic, r.partition);
    const lastKept = last.get(tp);
    if (lastKept === undefined) next.delete(tp);
    else next.set(tp, lastKept + 1n);
  }
  return { kept, next };
}
