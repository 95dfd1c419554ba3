import type { ReadStore } from '../read-store.ts';
import { applyBatch, type BatchOutcome } from './apply-batch.ts';
import { decodeRecord, type StoredRecord } from './log-records.ts';
import type { AnyProjection } from './projection.ts';
import { UnknownProjectionError } from './projector-errors.ts';
import { prepareProjectionTables } from './tables.ts';

/** Settings of {@link retryProjection}. */
export interface RetryOptions {
  readonly topicPrefix?: string;
  /** Default: the active version. */
  readonly version?: number;
  /** Replay only this key's parked events. */
  readonly key?: string;
}

/** What a retry did: events replayed, and how many were parked again because they still fail. */
export interface RetryReport extends BatchOutcome {
  readonly version: number;
  readonly replayed: number;
  /** Whether a projection stopped on a poison event was set running again. */
  readonly resumed: boolean;
}

/**
 * `sluice projections retry`: replays a version's parked events in log order through the (fixed)
 * handler, in one transaction that holds the offsets' row locks, so the running projector's batches
 * wait for it; events that fail again are parked again. A projection stopped on a poison event is
 * set running, and its projector re-reads the event.
 */
export async function retryProjection(
  store: ReadStore,
  projection: AnyProjection,
  options: RetryOptions = {},
): Promise<RetryReport> {
  const status = await store.readStatus(projection.name);
  const version = options.version ?? status?.activeVersion;
  if (version === undefined) throw new UnknownProjectionError(projection.name, 'has no active version');
  const tables = await prepareProjectionTables(store, projection, version);
  const prefix = options.topicPrefix ?? '';
  const outcome = await store.transaction(async (tx) => {
    const offsets = await store.readOffsets(projection.name, version, tx);
    // Lock first (a compare-and-set to the same offsets), then take the parked events.
    await store.commitOffsets(tx, projection.name, version, offsets, offsets);
    const parked = await store.unpark(projection.name, version, options.key, tx);
    const records = parked.map((p) => decodeRecord(p.event as StoredRecord, prefix, projection.upcasters));
    const { staged, ...result } = await applyBatch(tx, {
      store,
      projection,
      version,
      tables,
      holder: undefined,
      policy: 'park',
      isolate: true,
      records,
      expected: offsets,
      next: offsets,
    });
    return { ...result, replayed: parked.length };
  });
  const failed = status?.versions.find((v) => v.version === version)?.state === 'failed';
  if (failed) await store.setStatus(projection.name, version, 'running');
  return { ...outcome, version, resumed: failed };
}
