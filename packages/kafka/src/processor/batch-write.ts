import type { Decider } from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { GroupGeneration, OutgoingRecord, TxnSession } from '../txn-session.ts';
import type { StateOverlay } from './aggregate-state.ts';
import type { StageClock } from './batch-stats.ts';
import type { BatchPlan } from './decide-batch.ts';
import type { OffsetForecast } from './offset-forecast.ts';
import { laterPartitions, resultRecords } from './result-records.ts';
import { stateRecords } from './state-records.ts';

/** What a batch's writes depend on besides the batch. */
export interface BatchWriteContext {
  readonly topics: TopicNames;
  readonly deciders: ReadonlyMap<string, Decider<unknown>>;
  readonly resultPartitions: number;
  readonly forecast: OffsetForecast;
}

/**
 * A decided batch's writes inside its open transaction `txn`: the events, then state, results,
 * forwards and dead letters, then the consumed offsets under the group generation. When the events'
 * offsets can be forecast, everything goes in one send and the forecast is checked; otherwise the
 * events go first and the rest once their offsets are known. Returns the events' offsets; `clock`
 * laps each stage (with a forecast, `records` is the one send and `events` the time to build it).
 */
export async function writeBatch(
  txn: TxnSession,
  plan: BatchPlan,
  overlay: StateOverlay,
  generation: GroupGeneration,
  clock: StageClock,
  context: BatchWriteContext,
): Promise<readonly bigint[]> {
  const { topics, resultPartitions, forecast } = context;
  clock.lap('begin');
  const predicted = plan.events.length > 0 ? forecast.predict(plan.events) : [];
  let offsets: readonly bigint[];
  if (predicted) {
    offsets = predicted;
    const rest = laterRecords(plan, overlay, offsets, context);
    clock.lap('events');
    const sent = await txn.send(plan.events.length > 0 ? [...plan.events, ...rest] : rest);
    forecast.check(plan.events, predicted, sent);
  } else {
    offsets = await txn.send(plan.events, laterPartitions(plan, topics, resultPartitions));
    clock.lap('events');
    await txn.send(laterRecords(plan, overlay, offsets, context));
  }
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
  return offsets;
}

/** State, results, forwards and dead letters, once the events' offsets are known (or forecast). */
function laterRecords(
  plan: BatchPlan,
  overlay: StateOverlay,
  offsets: readonly bigint[],
  context: BatchWriteContext,
): OutgoingRecord[] {
  for (const [commandId, outcome] of plan.outcomes) {
    const last = outcome.events.at(-1);
    const entry = plan.remembered.get(commandId);
    if (last !== undefined && entry) entry.eventOffset = String(offsets[last]);
  }
  return [
    ...stateRecords(overlay, plan.checkpoints, context.topics, context.deciders),
    ...resultRecords(plan, offsets, context.topics, context.resultPartitions),
    ...plan.forwards,
    ...plan.deadLetters,
  ];
}
