import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KafkaConnection } from '@sluice/kafka';
import type { ReadStore } from '../read-store.ts';
import type { AnyProjection } from './projection.ts';
import type { ProjectorOptions } from './projector-options.ts';
import { pendingRebuild, type Rebuild, rebuildProjection } from './rebuild.ts';

/** Settings of a {@link RebuildCarrier}; the projector settings apply to the rebuilds it carries. */
export interface RebuildCarrierOptions
  extends Partial<Omit<ProjectorOptions, 'projection' | 'version' | 'stopWhenActive' | 'followActive'>> {
  readonly store: ReadStore;
  readonly connection: KafkaConnection;
  readonly projections: readonly AnyProjection[];
  /** How often the store is read for rebuilds to carry on. Default 5 s. */
  readonly pollMs?: number;
  /** Versions this process builds already (its projectors, its operator routes): not carried twice. */
  readonly buildsHere?: (projection: string, version: number) => boolean;
}

/**
 * Carries on rebuilds started elsewhere: it follows the store's projection versions and, for each
 * rebuild under way ({@link pendingRebuild}) that this process does not build yet, runs the same
 * rebuild here. The version's lease lets one builder write at a time, so this one stands by while the
 * process that started the rebuild (an API process, an operator's CLI) holds it, and takes over
 * where it stopped if that process dies. A carried rebuild ends once its version is active, and is
 * stopped when it no longer is the pending one (activated, failed or superseded).
 *
 * Emits `carrying` (`{ projection, version }`), `carried` (`{ projection, version }`, once active)
 * and `failure` (errors reading the store or starting a rebuild; it keeps polling).
 */
export class RebuildCarrier extends EventEmitter {
  readonly #options: RebuildCarrierOptions;
  readonly #carried = new Map<string, Rebuild>();
  #stopping = false;
  #loop: Promise<void> | undefined;
  readonly #wake = new AbortController();

  constructor(options: RebuildCarrierOptions) {
    super();
    this.#options = options;
  }

  /** Starts following the store; the first look is immediate. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** The rebuilds carried here now, by projection name. */
  carried(): ReadonlyMap<string, Rebuild> {
    return this.#carried;
  }

  /** Stops following and stops the rebuilds carried here (their progress stays in the store). */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake.abort();
    await this.#loop;
    await Promise.all([...this.#carried.values()].map((rebuild) => rebuild.projector.stop()));
    this.#carried.clear();
  }

  async #run(): Promise<void> {
    const pollMs = this.#options.pollMs ?? 5_000;
    while (!this.#stopping) {
      try {
        await this.#look();
      } catch (error) {
        this.emit('failure', error);
      }
      await sleep(pollMs, undefined, { signal: this.#wake.signal }).catch(() => undefined);
    }
  }

  async #look(): Promise<void> {
    const statuses = new Map((await this.#options.store.listStatuses()).map((s) => [s.projection, s]));
    for (const projection of this.#options.projections) {
      if (this.#stopping) return;
      const pending = pendingRebuild(statuses.get(projection.name), projection);
      const carried = this.#carried.get(projection.name);
      if (carried !== undefined && carried.version !== pending) {
        this.#carried.delete(projection.name);
        await carried.projector.stop();
      }
      if (pending === undefined || this.#carried.has(projection.name)) continue;
      if (this.#options.buildsHere?.(projection.name, pending)) continue;
      await this.#carry(projection, pending);
    }
  }

  async #carry(projection: AnyProjection, version: number): Promise<void> {
    const { projections: _projections, pollMs: _pollMs, buildsHere: _buildsHere, ...options } = this.#options;
    const rebuild = await rebuildProjection({ ...options, projection, version });
    this.#carried.set(projection.name, rebuild);
    this.emit('carrying', { projection: projection.name, version });
    rebuild.done
      .then(
        () => this.emit('carried', { projection: projection.name, version }),
        () => undefined, // stopped: superseded, cancelled, or this process is stopping
      )
      .finally(() => {
        if (this.#carried.get(projection.name) === rebuild) this.#carried.delete(projection.name);
      });
  }
}
