import type { Decider } from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { GroupGeneration, TxnSession } from '../txn-session.ts';
import type { StateOverlay } from './aggregate-state.ts';
import type { StageClock } from './batch-stats.ts';
import type { BatchPlan } from './decide-batch.ts';
import { laterPartitions, resultRecords } from './result-records.ts';
import { stateRecords } from './state-records.ts';

/** What a batch's writes depend on besides the batch. */
export interface BatchWriteContext {
  readonly topics: TopicNames;
  readonly deciders: ReadonlyMap<string, Decider<unknown>>;
  readonly resultPartitions: number;
}

/**
 * A decided batch's writes inside its open transaction `txn`: the events first (their offsets go
 * into the window entries and the results), then state, results, forwards and dead letters in one
 * send, then the consumed offsets under the group generation. `clock` laps each stage.
 */
export async function writeBatch(
  txn: TxnSession,
  plan: BatchPlan,
  overlay: StateOverlay,
  generation: GroupGeneration,
  clock: StageClock,
  context: BatchWriteContext,
): Promise<void> {
  const { topics, resultPartitions } = context;
  clock.lap('begin');
  const offsets = await txn.send(plan.events, laterPartitions(plan, topics, resultPartitions));
  clock.lap('events');
  for (const [commandId, outcome] of plan.outcomes) {
    const last = outcome.events.at(-1);
    const entry = plan.remembered.get(commandId);
    if (last !== undefined && entry) entry.eventOffset = String(offsets[last]);
  }
  await txn.send([
    ...stateRecords(overlay, plan.checkpoints, topics, context.deciders),
    ...resultRecords(plan, offsets, topics, resultPartitions),
    ...plan.forwards,
    ...plan.deadLetters,
  ]);
  clock.lap('records');
  await txn.sendOffsets(
    [...plan.checkpoints].map(([partition, nextOffset]) => ({
      topic: topics.commands,
      partition,
      nextOffset,
    })),
    generation,
  );
  clock.lap('offsets');
}
