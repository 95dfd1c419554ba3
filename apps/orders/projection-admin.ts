import { setTimeout as sleep } from 'node:timers/promises';
import { type KafkaConnection, PartitionReader } from '@sluice/kafka';
import {
  type AnyProjection,
  cancelRebuild,
  nextRebuildVersion,
  type ProjectionProgress,
  pendingRebuild,
  prepareProjectionTables,
  projectionLag,
  type ReadStore,
  type Rebuild,
  rebuildProjection,
  UnknownProjectionError,
} from '@sluice/store';
import { builtHere, StoredRebuild, viewOf } from './rebuild-views.ts';
import type { ProjectionStatusView, RebuildView } from './views.ts';

export type { PartitionLagView, ProjectionErrorView, ProjectionStatusView, RebuildView } from './views.ts';

/** What the operator routes need: statuses and blue-green rebuilds with their progress. */
export interface ProjectionAdmin {
  statuses(): Promise<ProjectionStatusView[]>;
  /**
   * Starts a rebuild: 409 `REBUILD_RUNNING` while one is under way, here or in any process sharing the
   * store (projector processes carry it on if its starter dies); 404 `UNKNOWN_PROJECTION`.
   */
  startRebuild(name: string): Promise<RebuildView>;
  /**
   * Cancels the rebuild under way, wherever it runs (its builder stops within a lease tick): its
   * version, or `undefined` when none is under way; 409 `REBUILD_NOT_CANCELLABLE` for the code's own.
   */
  cancelRebuild(name: string): Promise<number | undefined>;
  /**
   * The last rebuild of a projection this process started (here or, without the projector role, in
   * the projector processes) or carried on.
   */
  rebuild(name: string): Promise<RebuildView | undefined>;
  /** Calls `onProgress` on every round of the running rebuild until it ends or `signal` aborts. */
  watch(name: string, onProgress: (view: RebuildView) => void, signal: AbortSignal): Promise<void>;
}

/** A rebuild of this projection is already running. */
export class RebuildRunningError extends Error {
  readonly code = 'REBUILD_RUNNING';
  constructor(name: string, version?: number) {
    super(`a rebuild of ${name}${version === undefined ? '' : ` to version ${version}`} is already running`);
  }
}

interface Running {
  readonly rebuild: Rebuild;
  state: RebuildView['state'];
  error?: string;
}

/** Projection status and rebuilds over the read store and Kafka. */
export class StoreProjectionAdmin implements ProjectionAdmin {
  readonly #store: ReadStore;
  readonly #connection: KafkaConnection;
  readonly #projections: ReadonlyMap<string, AnyProjection>;
  readonly #topicPrefix: string;
  readonly #progress: () => ReadonlyMap<string, ProjectionProgress>;
  readonly #rebuilds = new Map<string, Running>();
  readonly #carried: () => ReadonlyMap<string, Rebuild>;
  readonly #buildsRebuilds: boolean;
  /** Rebuilds started here for the projector processes to build, by projection name. */
  readonly #requested = new Map<string, StoredRebuild>();
  #reader: PartitionReader | undefined;

  constructor(options: {
    store: ReadStore;
    connection: KafkaConnection;
    projections: readonly AnyProjection[];
    topicPrefix: string;
    /** Progress of the projectors this process runs, by projection name. */
    progress: () => ReadonlyMap<string, ProjectionProgress>;
    /** Rebuilds this process carries on for others (its `RebuildCarrier`), shown once they build here. */
    carried?: () => ReadonlyMap<string, Rebuild>;
    /**
     * Whether a rebuild started here is built here (default). An API process without the projector
     * role only registers the new version, and the projector processes' carriers build it.
     */
    buildsRebuilds?: boolean;
  }) {
    this.#store = options.store;
    this.#connection = options.connection;
    this.#projections = new Map(options.projections.map((p) => [p.name, p]));
    this.#topicPrefix = options.topicPrefix;
    this.#progress = options.progress;
    this.#carried = options.carried ?? (() => new Map());
    this.#buildsRebuilds = options.buildsRebuilds ?? true;
  }

  async statuses(): Promise<ProjectionStatusView[]> {
    const stored = new Map((await this.#store.listStatuses()).map((s) => [s.projection, s]));
    const running = this.#progress();
    const views: ProjectionStatusView[] = [];
    for (const [name, projection] of this.#projections) {
      const status = stored.get(name);
      const partitions =
        status?.activeVersion === undefined ? undefined : await this.#lag(projection, status.activeVersion);
      const progress = running.get(name);
      const rebuild = await this.rebuild(name);
      views.push({
        projection: name,
        ...(status?.activeVersion === undefined ? {} : { activeVersion: status.activeVersion }),
        versions: (status?.versions ?? []).map((v) => ({
          version: v.version,
          state: v.state,
          ...(v.lastError === undefined
            ? {}
            : {
                lastError: {
                  ...v.lastError,
                  event: v.lastError.event && {
                    ...v.lastError.event,
                    offset: v.lastError.event.offset.toString(),
                  },
                },
              }),
          updatedAt: v.updatedAt.toISOString(),
        })),
        ...(partitions === undefined ? {} : { partitions }),
        ...(progress === undefined ? {} : { progress: viewOf(progress, 'running') }),
        ...(rebuild === undefined ? {} : { rebuild }),
      });
    }
    return views;
  }

  /** Lag samples of every serving version, for the `sluice_projection_lag` gauge. */
  async lagSamples(): Promise<{ projection: string; topic: string; partition: number; lag: bigint }[]> {
    const stored = await this.#store.listStatuses();
    const samples: { projection: string; topic: string; partition: number; lag: bigint }[] = [];
    for (const status of stored) {
      const projection = this.#projections.get(status.projection);
      if (projection === undefined || status.activeVersion === undefined) continue;
      for (const lag of await this.#lag(projection, status.activeVersion)) {
        samples.push({
          projection: status.projection,
          topic: lag.topic,
          partition: lag.partition,
          lag: BigInt(lag.lag),
        });
      }
    }
    return samples;
  }

  async #lag(projection: AnyProjection, version: number) {
    const lags = await projectionLag(this.#store, this.#partitions(), projection, version, this.#topicPrefix);
    return lags.map((l) => ({
      topic: l.topic,
      partition: l.partition,
      nextOffset: l.nextOffset.toString(),
      endOffset: l.endOffset.toString(),
      lag: l.lag.toString(),
    }));
  }

  async startRebuild(name: string): Promise<RebuildView> {
    const projection = this.#projections.get(name);
    if (projection === undefined) throw new UnknownProjectionError(name);
    if (this.#rebuilds.get(name)?.state === 'running') throw new RebuildRunningError(name);
    const status = await this.#store.readStatus(name);
    const pending = pendingRebuild(status, projection);
    if (pending !== undefined) throw new RebuildRunningError(name, pending);
    if (!this.#buildsRebuilds) {
      // Registered only: the projector processes' carriers see it within their poll and build it.
      const version = nextRebuildVersion(status, projection);
      await prepareProjectionTables(this.#store, projection, version);
      await this.#store.setStatus(name, version, 'rebuilding');
      const requested = new StoredRebuild({
        store: this.#store,
        reader: () => this.#partitions(),
        projection,
        version,
        topicPrefix: this.#topicPrefix,
      });
      this.#requested.set(name, requested);
      this.#rebuilds.delete(name);
      return requested.view();
    }
    const rebuild = await rebuildProjection({
      store: this.#store,
      connection: this.#connection,
      projection,
      topicPrefix: this.#topicPrefix,
    });
    this.#track(name, rebuild);
    return builtHere(viewOf(rebuild.projector.progress(), 'running'));
  }

  #track(name: string, rebuild: Rebuild): Running {
    const running: Running = { rebuild, state: 'running' };
    this.#rebuilds.set(name, running);
    rebuild.done.then(
      () => {
        running.state = 'done';
      },
      (error: unknown) => {
        running.state = 'failed';
        running.error = error instanceof Error ? error.message : String(error);
      },
    );
    return running;
  }

  /** The rebuild of `name` this process runs or ran last: started here, or carried on and building here. */
  #running(name: string): Running | undefined {
    const own = this.#rebuilds.get(name);
    const carried = this.#carried().get(name);
    if (carried === undefined || own?.rebuild === carried || own?.state === 'running') return own;
    return carried.projector.holdsLease ? this.#track(name, carried) : own;
  }

  async cancelRebuild(name: string): Promise<number | undefined> {
    const projection = this.#projections.get(name);
    if (projection === undefined) throw new UnknownProjectionError(name);
    return cancelRebuild(this.#store, projection);
  }

  /** Whether this process runs the rebuild of `name` to `version` (a carrier leaves it alone). */
  builds(name: string, version: number): boolean {
    const running = this.#rebuilds.get(name);
    return running?.state === 'running' && running.rebuild.version === version;
  }

  async rebuild(name: string): Promise<RebuildView | undefined> {
    const running = this.#running(name);
    if (running !== undefined)
      return builtHere(viewOf(running.rebuild.projector.progress(), running.state, running.error));
    return this.#requested.get(name)?.view();
  }

  async watch(name: string, onProgress: (view: RebuildView) => void, signal: AbortSignal): Promise<void> {
    const running = this.#running(name);
    if (running === undefined) {
      const requested = this.#requested.get(name);
      if (requested !== undefined) await followStored(requested, onProgress, signal);
      return;
    }
    const stop = new Promise<void>((resolve) =>
      signal.addEventListener('abort', () => resolve(), { once: true }),
    );
    const follow = (async () => {
      for await (const progress of running.rebuild.progress()) {
        if (signal.aborted) return;
        const state = running.state === 'running' && progress.active ? 'done' : running.state;
        onProgress(builtHere(viewOf(progress, state)));
      }
      await running.rebuild.done.catch(() => undefined);
      onProgress((await this.rebuild(name))!);
    })();
    await Promise.race([follow, stop]);
  }

  #partitions(): PartitionReader {
    this.#reader ??= new PartitionReader({ connection: this.#connection });
    return this.#reader;
  }

  /** Stops rebuilds still running (at shutdown). */
  async close(): Promise<void> {
    for (const running of this.#rebuilds.values())
      if (running.state === 'running') await running.rebuild.projector.stop();
    await this.#reader?.close();
  }
}

/** Reports a stored rebuild's progress every second until it ends or `signal` aborts. */
async function followStored(
  rebuild: StoredRebuild,
  onProgress: (view: RebuildView) => void,
  signal: AbortSignal,
): Promise<void> {
  while (!signal.aborted) {
    const view = await rebuild.view();
    onProgress(view);
    if (view.state !== 'running') return;
    await sleep(1_000, undefined, { signal }).catch(() => undefined);
  }
}
