import type { CommandResult } from '@sluice/core';
import type { OutgoingRecord } from '../txn-session.ts';
import type { RememberedCommand } from './aggregate-state.ts';
import { windowRecordKey } from './window-records.ts';

// What deciding a batch makes (`decide-batch.ts`) and writing it reads (`batch-write.ts`).

/** The outcome of one command: becomes its result once the event offsets are known. */
export interface Outcome {
  readonly result: Omit<CommandResult, 'position'>;
  /** Indexes into {@link BatchPlan.events} of the events it wrote. */
  readonly events: readonly number[];
  /** Set for a duplicate: where the first time's events went, so its result carries their position. */
  readonly duplicateOf?: StoredPosition;
}

/**
 * Where the events of a command handled before went: its aggregate's events partition, and the offset
 * of its last event once known.
 */
export interface StoredPosition {
  /** The window entry of the first time; without `eventOffset` while its batch is being written. */
  readonly entry: RememberedCommand;
  readonly topic: string;
  readonly partition: number;
}

/** A window entry to write, on its `commands` partition under its slot's key. */
export interface WindowEntryWrite {
  readonly partition: number;
  readonly key: string;
  readonly entry: RememberedCommand;
}

/** Everything a batch writes, before the transaction. */
export interface BatchPlan {
  readonly events: OutgoingRecord[];
  /** One per result record to write, with the partition of `command-results` it goes to. */
  readonly replies: { readonly outcome: Outcome; readonly replyTo: number }[];
  /** Outcomes by command id, for the dedup windows' positions. */
  readonly outcomes: Map<string, Outcome>;
  /** The window entries this batch made, by command id: they get their event offsets once written. */
  readonly remembered: Map<string, RememberedCommand>;
  /** The window entries to write as `processor-state` records (`window-records.ts`), with their keys. */
  readonly windowEntries: WindowEntryWrite[];
  readonly forwards: OutgoingRecord[];
  readonly deadLetters: OutgoingRecord[];
  /** Next offset per consumed partition. */
  readonly checkpoints: Map<number, bigint>;
}

/** A plan with nothing in it yet. */
export function emptyPlan(): BatchPlan {
  return {
    events: [],
    replies: [],
    outcomes: new Map(),
    remembered: new Map(),
    windowEntries: [],
    forwards: [],
    deadLetters: [],
    checkpoints: new Map(),
  };
}

/** Marks a window entry for its record, under its slot's key. */
export function writeWindowEntry(
  plan: BatchPlan,
  partition: number,
  target: { readonly aggregateType: string; readonly aggregateId: string },
  entry: RememberedCommand,
  size: number,
): void {
  const key = windowRecordKey(target.aggregateType, target.aggregateId, entry.seq ?? 0, size);
  plan.windowEntries.push({ partition, key, entry });
}

/** Adds a result record for `outcome` to the plan. */
export function reply(plan: BatchPlan, replyTo: number, outcome: Outcome): void {
  plan.replies.push({ outcome, replyTo });
}
