/** A value read from the API and read again whenever the live stream says it changed. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { LiveChange, LiveFeed } from './live.ts';

export interface Resource<T> {
  readonly data: T | undefined;
  readonly error: Error | undefined;
  readonly loading: boolean;
  readonly reload: () => void;
}

/** What changes of the stream make a resource stale. */
export interface LiveInterest {
  readonly feed: LiveFeed | undefined;
  readonly projections: readonly string[];
  /** Only rows that pass (e.g. of this show) count; resets always do. */
  readonly match?: (row: Readonly<Record<string, unknown>>) => boolean;
}

/**
 * Loads `load()` now, again when `key` changes, and again after every matching live change
 * (coalesced: one read in flight, at most one queued behind it).
 */
export function useLiveResource<T>(key: string, load: () => Promise<T>, live?: LiveInterest): Resource<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const loadRef = useRef(load);
  loadRef.current = load;
  const inFlight = useRef(false);
  const queued = useRef(false);
  const generation = useRef(0);

  const reload = useCallback(() => {
    if (inFlight.current) {
      queued.current = true;
      return;
    }
    inFlight.current = true;
    const mine = generation.current;
    setState((previous) => ({ ...previous, loading: true }));
    loadRef
      .current()
      .then(
        (data) => {
          if (mine === generation.current) setState({ data, loading: false });
        },
        (error: unknown) => {
          if (mine === generation.current)
            setState((previous) => ({ ...previous, error: error as Error, loading: false }));
        },
      )
      .finally(() => {
        if (mine !== generation.current) return;
        inFlight.current = false;
        if (queued.current) {
          queued.current = false;
          reload();
        }
      });
  }, []);

  useEffect(() => {
    generation.current += 1;
    inFlight.current = false;
    queued.current = false;
    setState({ loading: true });
    reload();
  }, [key, reload]);

  const feed = live?.feed;
  const projections = live?.projections.join(',') ?? '';
  const matchRef = useRef(live?.match);
  matchRef.current = live?.match;
  useEffect(() => {
    if (feed === undefined) return;
    const wanted = new Set(projections.split(','));
    return feed.subscribe((change: LiveChange) => {
      if (change.projection !== '*' && !wanted.has(change.projection)) return;
      if (!change.reset && change.row && matchRef.current && !matchRef.current(change.row)) return;
      reload();
    });
  }, [feed, projections, reload]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}
