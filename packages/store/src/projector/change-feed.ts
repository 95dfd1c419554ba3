import type { ChangeEntry, ReadStore } from '../read-store.ts';
import { WakeSignal } from './wake-signal.ts';

/** Options of {@link changeFeed}. */
export interface ChangeFeedOptions {
  /** Ends the feed. */
  readonly signal?: AbortSignal;
  /** Entries read per query. Default 500. */
  readonly pageSize?: number;
  /** Longest wait between reads when no notification arrives. Default 1000 ms. */
  readonly recheckMs?: number;
}

/**
 * Every change of a projection after `afterPosition`, in position order, live: it waits on the store's
 * notifications (LISTEN/NOTIFY across processes on PostgreSQL). A `reset` entry means a version switch:
 * reload everything. Resume after a disconnect by passing the last position seen.
 */
export async function* changeFeed(
  store: ReadStore,
  projection: string,
  afterPosition: bigint,
  options: ChangeFeedOptions = {},
): AsyncGenerator<ChangeEntry> {
  const wake = await WakeSignal.open(store, projection);
  let after = afterPosition;
  try {
    while (!options.signal?.aborted) {
      const page = await store.readChanges(projection, after, options.pageSize ?? 500);
      for (const entry of page) {
        after = entry.position;
        yield entry;
        if (options.signal?.aborted) return;
      }
      if (page.length === 0) await wake.wait(options.recheckMs ?? 1000, options.signal);
    }
  } finally {
    await wake.close();
  }
}
