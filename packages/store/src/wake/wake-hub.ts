import type { Unsubscribe } from '../read-store.ts';

/** In-process change-log wake-ups, for stores that live in a single process (PGlite, memory). */
export class WakeHub {
  readonly #subscribers = new Map<string, Set<() => void>>();

  /** Calls `onWake` whenever `wake(projection)` is called, until unsubscribed. */
  subscribe(projection: string, onWake: () => void): Unsubscribe {
    const set = this.#subscribers.get(projection) ?? new Set();
    this.#subscribers.set(projection, set);
    set.add(onWake);
    return async () => {
      set.delete(onWake);
      if (set.size === 0) this.#subscribers.delete(projection);
    };
  }

  /** Wakes the projection's subscribers; one that throws does not keep the others asleep. */
  wake(projection: string): void {
    for (const onWake of this.#subscribers.get(projection) ?? []) {
      queueMicrotask(onWake);
    }
  }

  clear(): void {
    this.#subscribers.clear();
  }
}
