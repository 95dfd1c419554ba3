import type { Decider } from '@sluice/core';
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
 * The `processor-state` records of a batch: every changed aggregate (its dedup window completed with
 * the positions now known) and each consumed partition's checkpoint, all on the command's partition.
 */
export function stateRecords(
  overlay: StateOverlay,
  checkpoints: ReadonlyMap<number, bigint>,
  positions: ReadonlyMap<string, string>,
  topics: TopicNames,
  deciders: ReadonlyMap<string, Decider<unknown>>,
): OutgoingRecord[] {
  const records: OutgoingRecord[] = [];
  for (const [partition, changes] of overlay.changes()) {
    for (const [key, entry] of changes) {
      const window = entry.window.map((item) => {
        const position = positions.get(item.commandId);
        return position === undefined || item.position !== undefined ? item : { ...item, position };
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
