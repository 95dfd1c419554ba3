import type { Decider } from '@sluice/core';
import type { TopicNames } from '../topics.ts';
import type { GroupGeneration, OutgoingRecord, TxnSession } from '../txn-session.ts';
import type { StateOverlay } from './aggregate-state.ts';
import type { BatchPlan } from './batch-plan.ts';
import type { StageClock } from './batch-stats.ts';
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

/** A batch's records for one send: its events' offsets forecast, and everything that carries them. */
export interface PreparedBatch {
  /** The offsets forecast for `plan.events`, in order. */
  readonly offsets: readonly bigint[];
  /** The events first, then state, results, forwards and dead letters. */
  readonly records: readonly OutgoingRecord[];
}

/**
 * Forecasts the offsets of a batch's events and builds all its records with them. It runs before
 * the transaction, as soon as the batch before it is written (its offsets are what the forecast
 * learns from). `undefined` when the next offset of one of its events partitions is unknown, or when
 * its records cannot be built (a state that does not serialise): the plain way then meets the same
 * failure inside the transaction, where the processor recovers from it by bisecting the batch.
 */
export function prepareBatch(
  plan: BatchPlan,
  overlay: StateOverlay,
  context: BatchWriteContext,
): PreparedBatch | undefined {
  const offsets = plan.events.length > 0 ? context.forecast.predict(plan.events) : [];
  if (!offsets) return undefined;
  let rest: OutgoingRecord[];
  try {
    rest = laterRecords(plan, overlay, offsets, context);
  } catch {
    return undefined;
  }
  return { offsets, records: plan.events.length > 0 ? [...plan.events, ...rest] : rest };
}

/**
 * A decided batch's writes inside its open transaction `txn`: the events, then state, results,
 * forwards and dead letters, then the consumed offsets under the group generation. A `prepared` batch
 * goes in one send and its forecast is checked; otherwise the events go first and the rest once their
 * offsets are known. Once its records are written the forecast learns their offsets and `written`
 * is called (the next batch can be prepared). Returns the events' offsets; `clock` laps each stage.
 */
export async function writeBatch(
  txn: TxnSession,
  plan: BatchPlan,
  overlay: StateOverlay,
  generation: GroupGeneration,
  clock: StageClock,
  context: BatchWriteContext,
  prepared: PreparedBatch | undefined,
  written?: () => void,
): Promise<readonly bigint[]> {
  const { topics, resultPartitions, forecast } = context;
  clock.lap('begin');
  let offsets: readonly bigint[];
  if (prepared) {
    offsets = prepared.offsets;
    const sent = await txn.send(prepared.records);
    forecast.check(plan.events, offsets, sent);
  } else {
    offsets = await txn.send(plan.events, laterPartitions(plan, topics, resultPartitions));
    clock.lap('events');
    await txn.send(laterRecords(plan, overlay, offsets, context));
  }
  clock.lap('records');
  forecast.learn(plan.events, offsets);
  written?.();
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
  // forEach: a for…of over a Map makes an entry array per element, here one per command.
  plan.outcomes.forEach((outcome, commandId) => {
    const last = outcome.events[outcome.events.length - 1];
    const entry = plan.remembered.get(commandId);
    if (last !== undefined && entry) entry.eventOffset = String(offsets[last]);
  });
  return [
    ...stateRecords(overlay, plan.windowEntries, plan.checkpoints, context.topics, context.deciders),
    ...resultRecords(plan, offsets, context.topics, context.resultPartitions),
    ...plan.forwards,
    ...plan.deadLetters,
  ];
}
