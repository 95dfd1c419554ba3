import type { BatchPlan } from './batch-plan.ts';

/** Figures of one committed batch, for metrics. */
export interface BatchStats {
  readonly commands: number;
  readonly events: number;
  readonly rejected: ReadonlyMap<string, number>;
  readonly durationMs: number;
  readonly stages: BatchStages;
}

/**
 * Time spent in each step of a batch, in ms: where a slow batch spends its time. `decide`; `wait` for
 * the batch before (until its records are written, and then until it committed); `begin`; `events`:
 * forecasting the events' offsets and building the records (while the batch before commits), or
 * without a forecast the send of the events; `records`: the one send, or the second; `offsets`;
 * `commit`.
 */
export type BatchStages = Readonly<
  Record<'decide' | 'wait' | 'begin' | 'events' | 'records' | 'offsets' | 'commit', number>
>;

/** A stopwatch that adds the time since its last lap to a stage. */
export interface StageClock {
  readonly stages: BatchStages;
  lap(stage: keyof BatchStages): void;
}

/** A new {@link StageClock}, started now. */
export function stageClock(): StageClock {
  const stages: Record<string, number> = {};
  let last = performance.now();
  return {
    stages: stages as BatchStages,
    lap(stage: keyof BatchStages) {
      const now = performance.now();
      stages[stage] = (stages[stage] ?? 0) + now - last;
      last = now;
    },
  };
}

/** The figures of a committed batch. */
export function statsOf(
  commands: number,
  plan: BatchPlan,
  durationMs: number,
  stages: BatchStages,
): BatchStats {
  const rejected = new Map<string, number>();
  for (const { outcome } of plan.replies) {
    if (outcome.result.code !== 'OK')
      rejected.set(outcome.result.code, (rejected.get(outcome.result.code) ?? 0) + 1);
  }
  return { commands, events: plan.events.length, rejected, durationMs, stages };
}
