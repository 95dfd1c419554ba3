import type { ReadStore, Unsubscribe } from '../read-store.ts';

/** Waits for a projection's change notifications, with a slow re-check for batches that changed no rows. */
export class WakeSignal {
  #pending = false;
  #resolve: (() => void) | undefined;
  #unsubscribe: Unsubscribe | undefined;

  /** Subscribes before the first read, so no wake-up between read and wait is lost. */
  static async open(store: ReadStore, projection: string): Promise<WakeSignal> {
    const signal = new WakeSignal();
    signal.#unsubscribe = await store.subscribeChanges(projection, () => signal.#wake());
    return signal;
  }

  #wake(): void {
    this.#pending = true;
    this.#resolve?.();
  }

  /** Resolves on the next wake-up (or at once if one came since the last wait), after `maxMs` at most. */
  async wait(maxMs: number, abort?: AbortSignal): Promise<void> {
    if (this.#pending || abort?.aborted) {
      this.#pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        abort?.removeEventListener('abort', done);
        this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, maxMs));
      abort?.addEventListener('abort', done, { once: true });
      this.#resolve = done;
    });
    this.#pending = false;
  }

  async close(): Promise<void> {
    this.#resolve?.();
    await this.#unsubscribe?.();
  }
}
