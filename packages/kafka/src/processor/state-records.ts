import type { Decider, DedupEntry } from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { OutgoingRecord } from '../txn-session.ts';
import {
  aggregateKey,
  CHECKPOINT_KEY,
  encodeAggregateRecord,
  encodeCheckpoint,
  type StateOverlay,
} from './aggregate-state.ts';

/**
 * Event offsets learnt after the entries that need them were made. Entries are immutable and shared
 * by every window derived from them (a batch is decided while the one before it is being written), so
 * the offsets are kept beside them, by entry.
 */
export type EventOffsets = WeakMap<DedupEntry, string>;

/**
 * The `processor-state` records of a batch: every changed aggregate (its dedup window completed with
 * the event offsets now known) and each consumed partition's checkpoint, all on the command's partition.
 */
export function stateRecords(
  overlay: StateOverlay,
  checkpoints: ReadonlyMap<number, bigint>,
  /** The offset of each remembered command's last event, once known. */
  eventOffsets: EventOffsets,
  topics: TopicNames,
  deciders: ReadonlyMap<string, Decider<unknown>>,
): OutgoingRecord[] {
  const records: OutgoingRecord[] = [];
  for (const [partition, changes] of overlay.changes()) {
    for (const [key, entry] of changes) {
      const window = entry.window.map((item) => {
        if (item.eventOffset !== undefined) return item;
        const eventOffset = eventOffsets.get(item);
        return eventOffset === undefined ? item : { ...item, eventOffset };
      });
      const completed = { ...entry, window };
      overlay.set(partition, key, completed);
      const slash = key.indexOf('/');
      const aggregateType = key.slice(0, slash);
      const aggregateId = key.slice(slash + 1);
      const revision = deciders.get(aggregateType)?.stateRevision ?? 1;
      records.push({
        topic: topics.processorState,
        partition,
        key: aggregateKey(aggregateType, aggregateId),
        value: encodeAggregateRecord(aggregateType, aggregateId, completed, revision),
      });
    }
  }
  for (const [partition, next] of checkpoints) records.push(checkpointRecord(topics, partition, next));
  return records;
}

/** The checkpoint record of a `commands` partition: written in every transaction that consumed it. */
export function checkpointRecord(topics: TopicNames, partition: number, next: bigint): OutgoingRecord {
  return {
    topic: topics.processorState,
    partition,
    key: CHECKPOINT_KEY,
    value: encodeCheckpoint(topics.commands, next),
  };
}
