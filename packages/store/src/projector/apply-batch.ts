import type { TopicPartitionKey } from '../model/topic-partition.ts';
import type { ProjectionError, ReadStore, StoreTx } from '../read-store.ts';
import { StagedTables } from './batch-tables.ts';
import type { DecodedRecord } from './log-records.ts';
import type { AnyProjection, ProjectionEvent, VersionedTables } from './projection.ts';
import { LeaseLostError, PoisonEventError, projectionErrorOf } from './projector-errors.ts';

/** What happens to an event the projection cannot apply after retries. */
export type PoisonPolicy = 'stop' | 'park';

/** Everything one batch transaction needs. */
export interface BatchWork {
  readonly store: ReadStore;
  readonly projection: AnyProjection;
  readonly version: number;
  readonly tables: VersionedTables<AnyProjection['tables']>;
  /** Lease holder to check inside the transaction; undefined skips the check (a replay under a lock). */
  readonly holder: string | undefined;
  readonly policy: PoisonPolicy;
  /** The holder's lease TTL: the longest its transaction may sit idle (see `ReadStore.holdsLease`). */
  readonly leaseTtlMs?: number | undefined;
  /** Apply event by event, so a failing one is isolated. */
  readonly isolate: boolean;
  readonly records: readonly DecodedRecord[];
  readonly expected: ReadonlyMap<TopicPartitionKey, bigint | undefined>;
  readonly next: ReadonlyMap<TopicPartitionKey, bigint>;
  /** The batch's handler work, done by {@link stageAhead} over the batch before it: only written here. */
  readonly ahead?: StagedTables | undefined;
  /**
   * Called with the batch's staged tables once its handler ran cleanly (nothing parked, not
   * isolated), before they are written: the next batch can be staged over them meanwhile.
   */
  readonly onStaged?: ((staged: StagedTables) => void) | undefined;
}

/** What {@link stageAhead} needs: a batch and the staged tables of the batch before it. */
export interface AheadWork {
  readonly store: ReadStore;
  readonly projection: AnyProjection;
  readonly version: number;
  readonly tables: VersionedTables<AnyProjection['tables']>;
  readonly policy: PoisonPolicy;
  readonly records: readonly DecodedRecord[];
  readonly base: StagedTables;
}

/** What a committed batch did. */
export interface BatchOutcome {
  readonly applied: number;
  readonly parked: number;
  readonly rowsWritten: number;
}

/** A committed batch: what it did, and the tables it wrote (the base of the batch after it). */
export interface AppliedBatch extends BatchOutcome {
  readonly staged: StagedTables;
}

/** The key whose order parking keeps. */
export function parkingKey(projection: AnyProjection, record: DecodedRecord): string {
  if (!record.ok) return record.record.key ?? '';
  return projection.keyOf?.(record.event) ?? record.event.metadata.aggregateId;
}

/**
 * One batch, inside the store transaction `tx`: lease check, compare-and-set of the offsets (which
 * also serialises writers), parking, the handler, then set-based writes and the change log.
 */
export async function applyBatch(tx: StoreTx, work: BatchWork): Promise<AppliedBatch> {
  const { store, projection, version } = work;
  if (
    work.holder !== undefined &&
    !(await store.holdsLease(tx, projection.name, version, work.holder, work.leaseTtlMs))
  )
    throw new LeaseLostError(projection.name, version, work.holder);
  await store.commitOffsets(tx, projection.name, version, work.expected, work.next);
  if (work.ahead !== undefined) {
    work.onStaged?.(work.ahead);
    const rowsWritten = await work.ahead.write(store, tx, projection.name, version);
    return { applied: work.records.length, parked: 0, rowsWritten, staged: work.ahead };
  }
  const parkedKeys = new Set<string>();
  if (work.policy === 'park')
    for (const parked of await store.listParked(projection.name, version, tx)) parkedKeys.add(parked.key);
  const staged = new StagedTables(store, tx, work.tables);
  let parked = 0;
  let applied = 0;

  const poison = async (record: DecodedRecord, error: ProjectionError) => {
    if (work.policy === 'stop') throw new PoisonEventError(projection.name, error);
    const key = parkingKey(projection, record);
    parkedKeys.add(key);
    parked += 1;
    await store.parkEvent(tx, {
      projection: projection.name,
      version,
      key,
      topic: record.record.topic,
      partition: record.record.partition,
      offset: BigInt(record.record.offset),
      event: record.record,
      error,
    });
  };

  const clean = !work.isolate && work.records.every((r) => r.ok);
  if (clean) {
    const events: ProjectionEvent[] = [];
    for (const record of work.records) {
      const key = parkingKey(projection, record);
      if (parkedKeys.has(key)) await poison(record, behind(record, key));
      else if (record.ok) events.push(record.event);
    }
    if (events.length > 0) await projection.apply(events, staged.view);
    applied = events.length;
  } else {
    for (const record of work.records) {
      const key = parkingKey(projection, record);
      const at = failingEvent(record);
      if (parkedKeys.has(key)) await poison(record, behind(record, key));
      else if (!record.ok) await poison(record, { message: record.message, code: record.code, event: at });
      else {
        const child = new StagedTables(store, tx, work.tables, staged);
        try {
          await projection.apply([record.event], child.view);
        } catch (error) {
          await assertUsable(store, tx, projection.name, version, error);
          await poison(record, projectionErrorOf(error, at));
          continue;
        }
        staged.absorb(child);
        applied += 1;
      }
    }
  }
  if (parked === 0 && !work.isolate) work.onStaged?.(staged);
  const rowsWritten = await staged.write(store, tx, projection.name, version);
  return { applied, parked, rowsWritten, staged };
}

/**
 * A clean batch's handler work, done before its transaction while the batch before it is written:
 * over `base`, the staged tables of that batch, and under them the committed rows, read outside any
 * transaction. Only for a version nobody reads yet, under this projector's lease: nobody else writes
 * its tables, so a row `base` does not hold reads as the batch would read it in its transaction once
 * the batch before has committed. Undefined when the batch needs its transaction's care (a record
 * that did not decode, a parked key, a handler error): it is then applied in its transaction as usual.
 */
export async function stageAhead(work: AheadWork): Promise<StagedTables | undefined> {
  const events: ProjectionEvent[] = [];
  for (const record of work.records) {
    if (!record.ok) return undefined;
    events.push(record.event);
  }
  const { store, projection } = work;
  if (work.policy === 'park' && (await store.listParked(projection.name, work.version)).length > 0)
    return undefined;
  const staged = new StagedTables(store, undefined, work.tables, work.base);
  try {
    if (events.length > 0) await projection.apply(events, staged.view);
  } catch {
    return undefined;
  }
  return staged;
}

function failingEvent(record: DecodedRecord): NonNullable<ProjectionError['event']> {
  return {
    topic: record.record.topic,
    partition: record.record.partition,
    offset: BigInt(record.record.offset),
  };
}

function behind(record: DecodedRecord, key: string): ProjectionError {
  return { message: `an earlier event of ${key} is parked`, code: 'KEY_PARKED', event: failingEvent(record) };
}

/** A handler error from a broken transaction (the database failed) is not the event's fault: rethrow it. */
async function assertUsable(
  store: ReadStore,
  tx: StoreTx,
  projection: string,
  version: number,
  cause: unknown,
) {
  try {
    await store.readOffsets(projection, version, tx);
  } catch {
    throw cause;
  }
}
