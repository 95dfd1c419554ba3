import type { PartitionReader } from '@sluice/kafka';
import { type AnyProjection, type ProjectionProgress, type ReadStore, StoredProgress } from '@sluice/store';
import type { RebuildView } from './views.ts';

/** A projector's progress as a rebuild view (offsets as decimal strings). */
export function viewOf(
  progress: ProjectionProgress,
  state: RebuildView['state'],
  error?: string,
): RebuildView {
  return {
    projection: progress.projection,
    version: progress.version,
    state,
    done: progress.done.toString(),
    total: progress.total.toString(),
    eventsPerSecond: progress.eventsPerSecond,
    ...(progress.etaSeconds === undefined ? {} : { etaSeconds: progress.etaSeconds }),
    caughtUp: progress.caughtUp,
    active: progress.active,
    ...(error === undefined ? {} : { error }),
  };
}

/** A rebuild view of a rebuild this process builds. */
export const builtHere = (view: RebuildView): RebuildView => ({ ...view, builtHere: true });

/**
 * A rebuild that projector processes build, as an API process sees it from the store and Kafka
 * ({@link StoredProgress}). Once it has ended its last view is kept: nothing reads the log for it again.
 */
export class StoredRebuild {
  readonly version: number;
  readonly #store: ReadStore;
  readonly #reader: () => PartitionReader;
  readonly #projection: AnyProjection;
  readonly #topicPrefix: string;
  #progress: StoredProgress | undefined;
  #ended: RebuildView | undefined;

  constructor(options: {
    store: ReadStore;
    reader: () => PartitionReader;
    projection: AnyProjection;
    version: number;
    topicPrefix: string;
  }) {
    this.version = options.version;
    this.#store = options.store;
    this.#reader = options.reader;
    this.#projection = options.projection;
    this.#topicPrefix = options.topicPrefix;
  }

  /** Where the rebuild stands now. */
  async view(): Promise<RebuildView> {
    if (this.#ended !== undefined) return this.#ended;
    const status = await this.#store.readStatus(this.#projection.name);
    const mine = status?.versions.find((v) => v.version === this.version);
    const active = status?.activeVersion === this.version;
    this.#progress ??= new StoredProgress({
      store: this.#store,
      reader: this.#reader(),
      projection: this.#projection,
      version: this.version,
      topicPrefix: this.#topicPrefix,
    });
    const progress = await this.#progress.read(active);
    const state = active ? 'done' : mine?.state === 'rebuilding' ? 'running' : 'failed';
    const error =
      state !== 'failed'
        ? undefined
        : (mine?.lastError?.message ??
          (mine === undefined ? 'the version is gone' : `the version is ${mine.state}`));
    const view: RebuildView = { ...viewOf(progress, state, error), builtHere: false };
    if (state !== 'running') this.#ended = view;
    return view;
  }
}
