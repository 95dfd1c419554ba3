import type { Decider } from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { OutgoingRecord } from '../txn-session.ts';
import {
  CHECKPOINT_KEY,
  encodeAggregateRecord,
  encodeCheckpoint,
  type StateOverlay,
} from './aggregate-state.ts';
import type { WindowEntryWrite } from './batch-plan.ts';
import { encodeWindowRecord } from './window-records.ts';

/**
 * The `processor-state` records of a batch: every changed aggregate, the window entries it made, and
 * each consumed partition's checkpoint, all on the command's partition. Call once the batch's events
 * are written: the windows' entries then all have their event offsets.
 */
export function stateRecords(
  overlay: StateOverlay,
  windowEntries: readonly WindowEntryWrite[],
  checkpoints: ReadonlyMap<number, bigint>,
  topics: TopicNames,
  deciders: ReadonlyMap<string, Decider<unknown>>,
): OutgoingRecord[] {
  const records: OutgoingRecord[] = [];
  // forEach: a for…of over a Map makes an entry array per element, here one per command.
  overlay.changes().forEach((changes, partition) => {
    changes.forEach((entry, key) => {
      const slash = key.indexOf('/');
      const aggregateType = key.slice(0, slash);
      const aggregateId = key.slice(slash + 1);
      const revision = deciders.get(aggregateType)?.stateRevision ?? 1;
      records.push({
        topic: topics.processorState,
        partition,
        key,
        value: encodeAggregateRecord(aggregateType, aggregateId, entry, revision),
      });
    });
  });
  for (const { partition, key, entry } of windowEntries)
    records.push({ topic: topics.processorState, partition, key, value: encodeWindowRecord(entry) });
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
