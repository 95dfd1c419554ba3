import { DEFAULT_DEDUP_WINDOW, type Decider } from '@sluice/core';
import { CommandsExpiredError, SluiceKafkaError } from '../errors.ts';
import { faultPoint, unsafe } from '../fault.ts';
import type { FetchedRecord, PartitionReader } from '../partition-reader.ts';
import { tpKey } from '../partition-reader.ts';
import type { TopicNames } from '../topics.ts';
import {
  type AggregateEntry,
  aggregateKey,
  CHECKPOINT_KEY,
  decodeAggregateRecord,
  decodeCheckpoint,
  type PartitionState,
  type RememberedCommand,
} from './aggregate-state.ts';
import { aggregateOfWindowKey, decodeWindowRecord, windowOfRecords } from './window-records.ts';
import { idTag } from './window-tags.ts';

/** What restoring needs to know. */
export interface RestoreInput {
  readonly reader: PartitionReader;
  readonly topics: TopicNames;
  readonly deciders: ReadonlyMap<string, Decider<unknown>>;
  /** The `commands` partitions to restore. */
  readonly partitions: readonly number[];
  /** The group's committed `commands` offsets (require_stable), by partition. */
  readonly committed: ReadonlyMap<number, bigint | undefined>;
  /** How long to wait for transaction markers to reach `processor-state`. Default 60 s. */
  readonly timeoutMs?: number;
  /** The dedup window's size: how many of an aggregate's window records to keep. Default core's. */
  readonly dedupWindow?: number | undefined;
}

/** Restored partitions and the `commands` offsets to resume from. */
export interface Restored {
  readonly states: Map<number, PartitionState>;
  readonly resumeAt: Map<number, bigint>;
}

/** Raised when `processor-state` cannot be brought in line with the committed offsets. */
export class StateRestoreError extends SluiceKafkaError {
  constructor(message: string) {
    super('STATE_RESTORE_FAILED', message, { canRetry: true });
  }
}

/** The state the barrier starts from, and the `commands` offset each partition's stream opens at. */
export interface Resumed extends Restored {
  /** The partitions restored from `processor-state`; the others kept their state in memory. */
  readonly restored: readonly number[];
}

/**
 * The assignment barrier's state: a partition's state in memory (`held`) is kept only if its
 * checkpoint is still the committed offset (nobody committed past it meanwhile); the others are
 * restored. Test-only `no-barrier` keeps every state held, even of partitions lost meanwhile.
 */
export async function keepOrRestore(
  held: ReadonlyMap<number, PartitionState>,
  input: RestoreInput,
): Promise<Resumed> {
  const kept = new Map<number, PartitionState>();
  for (const partition of input.partitions) {
    const state = held.get(partition);
    const current = state?.checkpoint !== undefined && state.checkpoint === input.committed.get(partition);
    if (state && (current || unsafe('no-barrier'))) kept.set(partition, state);
  }
  const restored = input.partitions.filter((partition) => !kept.has(partition));
  const fromLog = await restorePartitions({ ...input, partitions: restored });
  const resumeAt = new Map(fromLog.resumeAt);
  for (const [partition, state] of kept) resumeAt.set(partition, state.checkpoint ?? 0n);
  const carried = unsafe('no-barrier') ? held : [];
  return { states: new Map([...carried, ...kept, ...fromLog.states]), resumeAt, restored };
}

/**
 * Restores the state of `commands` partitions from `processor-state` (read_committed) and checks it
 * against the committed offsets. Transaction markers reach partitions one by one, so a checkpoint
 * behind the committed offset means "read on": the state topic is re-read up to its new last stable
 * offset until they match. Processing never starts while they differ.
 */
export async function restorePartitions(input: RestoreInput): Promise<Restored> {
  const { reader, topics } = input;
  const states = new Map<number, PartitionState>();
  const resumeAt = new Map<number, bigint>();
  if (input.partitions.length === 0) return { states, resumeAt };
  const stateStart = await reader.startOffsets(topics.processorState);
  const commandsStart = await reader.startOffsets(topics.commands);
  const stored = new Map<number, Map<string, FetchedRecord>>();
  const checkpoints = new Map<number, bigint | undefined>();
  const next = new Map<number, bigint>();
  for (const partition of input.partitions) {
    stored.set(partition, new Map());
    next.set(partition, stateStart[partition] ?? 0n);
  }

  const deadline = Date.now() + (input.timeoutMs ?? 60_000);
  let pending = [...input.partitions];
  while (pending.length > 0) {
    faultPoint('during-restore');
    const ends = await reader.endOffsets(topics.processorState);
    await readUpTo(reader, topics.processorState, pending, ends, next, stored);
    pending = pending.filter((partition) => {
      const checkpoint = stored.get(partition)?.get(CHECKPOINT_KEY);
      const value = checkpoint?.value ? decodeCheckpoint(checkpoint.value.toString()) : undefined;
      checkpoints.set(partition, value);
      const committed = input.committed.get(partition);
      // Behind: a transaction that committed the offsets has not yet shown its marker here.
      return committed !== undefined && (value === undefined || value < committed);
    });
    if (pending.length > 0 && Date.now() > deadline) {
      throw new StateRestoreError(
        `processor-state partitions ${pending.join(', ')} stay behind the committed command offsets; ` +
          'was processor-state deleted or recreated? Restore it, or reset the group to the checkpoints.',
      );
    }
    if (pending.length > 0) await new Promise((resolve) => setTimeout(resolve, 50));
  }

  for (const partition of input.partitions) {
    const checkpoint = checkpoints.get(partition);
    const start = commandsStart[partition] ?? 0n;
    const committed = input.committed.get(partition);
    if (committed !== undefined && committed < start) {
      throw new CommandsExpiredError(topics.commands, partition, committed, start);
    }
    // No committed offset (never, or expired after offsets.retention.minutes): the checkpoint says where.
    const resume = checkpoint ?? committed ?? start;
    if (resume < start) throw new CommandsExpiredError(topics.commands, partition, resume, start);
    resumeAt.set(partition, resume);
    states.set(
      partition,
      await decodePartition(input, partition, stored.get(partition) ?? new Map(), checkpoint),
    );
  }
  return { states, resumeAt };
}

async function readUpTo(
  reader: PartitionReader,
  topic: string,
  partitions: readonly number[],
  ends: readonly bigint[],
  next: Map<number, bigint>,
  into: Map<number, Map<string, FetchedRecord>>,
): Promise<void> {
  let open = partitions.filter((p) => (next.get(p) ?? 0n) < (ends[p] ?? 0n));
  while (open.length > 0) {
    const round = await reader.fetch(
      open.map((partition) => ({ topic, partition, offset: next.get(partition) ?? 0n })),
    );
    for (const record of round.records) {
      const key = record.key?.toString() ?? '';
      const byKey = into.get(record.partition);
      if (record.value === null) byKey?.delete(key);
      else byKey?.set(key, record);
    }
    for (const partition of open) {
      const reached = round.next.get(tpKey(topic, partition));
      if (reached !== undefined) next.set(partition, reached);
    }
    open = open.filter((p) => (next.get(p) ?? 0n) < (ends[p] ?? 0n));
  }
}

async function decodePartition(
  input: RestoreInput,
  partition: number,
  records: Map<string, FetchedRecord>,
  checkpoint: bigint | undefined,
): Promise<PartitionState> {
  const aggregates = new Map<string, AggregateEntry>();
  const stale: StaleAggregate[] = [];
  const revisionOf = (type: string) => input.deciders.get(type)?.stateRevision ?? 1;
  const size = input.dedupWindow ?? DEFAULT_DEDUP_WINDOW;
  const windows = new Map<string, RememberedCommand[]>();
  const owners: [string, string][] = [];
  for (const [key, record] of records) {
    if (key === CHECKPOINT_KEY || !record.value) continue;
    const aggregate = aggregateOfWindowKey(key);
    if (aggregate === undefined) {
      owners.push([key, record.value.toString()]);
      continue;
    }
    const entry = decodeWindowRecord(record.value.toString());
    const entries = windows.get(aggregate);
    if (entries === undefined) windows.set(aggregate, [entry]);
    else entries.push(entry);
  }
  for (const [key, text] of owners) {
    const decoded = decodeAggregateRecord(text, revisionOf);
    // A record of an earlier format carried its window: it is written as window records next time.
    const unsaved = decoded.count === undefined;
    const count = decoded.count ?? decoded.window.length;
    const window = unsaved ? decoded.window : windowOfRecords(windows.get(key) ?? [], count, size);
    // Tagged here, once: a window without tags has them made by every check and remember until then.
    const tags = window.map((entry) => idTag(entry.commandId));
    const restored = { window, tags, windowFrom: 0, windowTo: window.length, count, unsaved };
    if (decoded.state.ok) {
      aggregates.set(key, { state: decoded.state.value, version: decoded.version, ...restored });
    } else {
      stale.push({ key, aggregateType: decoded.aggregateType, aggregateId: decoded.aggregateId, restored });
    }
  }
  if (stale.length > 0) await rebuildFromEvents(input, partition, stale, aggregates);
  return { partition, aggregates, checkpoint };
}

/** An aggregate whose stored state is of another revision, and what was restored of it besides. */
interface StaleAggregate {
  readonly key: string;
  readonly aggregateType: string;
  readonly aggregateId: string;
  readonly restored: Pick<
    AggregateEntry,
    'window' | 'tags' | 'windowFrom' | 'windowTo' | 'count' | 'unsaved'
  >;
}

/** State written for another state revision is rebuilt from the aggregate's events, never misread. */
async function rebuildFromEvents(
  input: RestoreInput,
  partition: number,
  stale: readonly StaleAggregate[],
  into: Map<string, AggregateEntry>,
): Promise<void> {
  for (const aggregateType of new Set(stale.map((s) => s.aggregateType))) {
    const decider = input.deciders.get(aggregateType);
    if (!decider) continue;
    const wanted = new Map(
      stale.filter((s) => s.aggregateType === aggregateType).map((s) => [s.aggregateId, s]),
    );
    const topic = input.topics.events(aggregateType);
    const [start, end] = await Promise.all([
      input.reader.startOffsets(topic),
      input.reader.endOffsets(topic),
    ]);
    const folded = new Map<string, AggregateEntry>();
    // Events are not compacted: fold them in order as they arrive.
    let offset = start[partition] ?? 0n;
    const until = end[partition] ?? 0n;
    while (offset < until) {
      const round = await input.reader.fetch([{ topic, partition, offset }]);
      for (const record of round.records) {
        const id = record.key?.toString() ?? '';
        const target = wanted.get(id);
        if (!target || !record.value) continue;
        const current = folded.get(id) ?? { state: decider.initialState(), version: 0, ...target.restored };
        const type = record.headers.get('sluice-type')?.toString() ?? '';
        const data = JSON.parse(record.value.toString()) as Record<string, unknown>;
        folded.set(id, {
          ...current,
          state: decider.evolve(current.state, { type, data }),
          version: current.version + 1,
        });
      }
      offset = round.next.get(tpKey(topic, partition)) ?? offset;
    }
    for (const [id, target] of wanted) {
      into.set(
        aggregateKey(aggregateType, id),
        folded.get(id) ?? { state: decider.initialState(), version: 0, ...target.restored },
      );
    }
  }
}
