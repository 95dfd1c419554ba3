import { on } from 'node:events';
import type { KafkaConnection } from '@sluice/kafka';
import type { ProjectionStatus, ReadStore } from '../read-store.ts';
import type { ProjectionProgress } from './progress.ts';
import type { AnyProjection } from './projection.ts';
import { Projector } from './projector.ts';
import { RebuildNotCancellableError } from './projector-errors.ts';
import type { ProjectorOptions } from './projector-options.ts';

/**
 * Most records a rebuild applies per transaction: a whole fetch round as a rule (1 MiB per partition),
 * so no fetched record is dropped to be fetched again, and more events fold into each row write.
 */
export const REBUILD_BATCH_RECORDS = 50_000;

/** Settings of {@link rebuildProjection}. */
export interface RebuildOptions extends Partial<ProjectorOptions> {
  readonly store: ReadStore;
  readonly connection: KafkaConnection;
  readonly projection: AnyProjection;
  /** Version to build; default one above every version the store knows (and at least the code's). */
  readonly version?: number;
}

/** A running rebuild: its progress as an async iterator, and its end (the new version is active). */
export interface Rebuild {
  readonly projector: Projector;
  readonly version: number;
  /** Progress after every round, until the new version is active. */
  progress(): AsyncIterable<ProjectionProgress>;
  /** Resolves once the new version is active (its projector then stops and gives the lease up). */
  readonly done: Promise<number>;
}

/**
 * Blue-green rebuild: builds a new version in new tables from each partition's log start while the
 * active version keeps serving, then switches by the store's `activateVersion` (subscribers get a
 * reset). A running projector of the old version follows the switch on its next lease tick.
 */
export async function rebuildProjection(options: RebuildOptions): Promise<Rebuild> {
  const { store, projection } = options;
  const version = options.version ?? nextRebuildVersion(await store.readStatus(projection.name), projection);
  const projector = new Projector({
    ...options,
    maxBatchRecords: options.maxBatchRecords ?? REBUILD_BATCH_RECORDS,
    version,
    stopWhenActive: true,
    followActive: false,
  });
  const ended = new AbortController();
  let cancelled = false;
  projector.once('cancelled', () => {
    cancelled = true;
  });
  await projector.start();
  const done = projector.done.then(() => {
    ended.abort();
    if (cancelled) throw new Error(`rebuild of ${projection.name} v${version} was cancelled`);
    if (!projector.progress().active)
      throw new Error(`rebuild of ${projection.name} v${version} stopped before it switched`);
    return version;
  });
  return {
    projector,
    version,
    done,
    async *progress() {
      try {
        for await (const [progress] of on(projector, 'progress', { signal: ended.signal }))
          yield progress as ProjectionProgress;
      } catch (error) {
        if (!ended.signal.aborted) throw error;
      }
      yield projector.progress();
    },
  };
}

/** The version a new rebuild builds: one above every version the store knows, and at least the code's. */
export function nextRebuildVersion(
  status: ProjectionStatus | undefined,
  projection: Pick<AnyProjection, 'version'>,
): number {
  return Math.max(projection.version, ...(status?.versions ?? []).map((v) => v.version + 1));
}

/**
 * The version a rebuild of `projection` is under way for, if any: the newest version in state
 * `rebuilding` above the active one, and not older than the code's (a rebuild started by older code
 * is left alone: this code's projector builds its own version).
 */
export function pendingRebuild(
  status: ProjectionStatus | undefined,
  projection: Pick<AnyProjection, 'version'>,
): number | undefined {
  if (status === undefined) return undefined;
  const floor = Math.max(projection.version, (status.activeVersion ?? 0) + 1);
  let pending: number | undefined;
  for (const { version, state } of status.versions)
    if (state === 'rebuilding' && version >= floor && (pending === undefined || version > pending))
      pending = version;
  return pending;
}

/**
 * Cancels the rebuild of `projection` under way ({@link pendingRebuild}), wherever it runs: its version
 * is marked `stopped`, so its builder stops on its next lease tick (or before switching) and carriers
 * leave it. Returns the version, or `undefined` when no rebuild is under way. The code's own version,
 * which every projector of this code builds, cannot be cancelled ({@link RebuildNotCancellableError}).
 */
export async function cancelRebuild(
  store: ReadStore,
  projection: AnyProjection,
): Promise<number | undefined> {
  const pending = pendingRebuild(await store.readStatus(projection.name), projection);
  if (pending === undefined) return undefined;
  if (pending === projection.version) throw new RebuildNotCancellableError(projection.name, pending);
  await store.setStatus(projection.name, pending, 'stopped', { message: 'rebuild cancelled' });
  return pending;
}
