/**
 * The live change stream (`GET /api/stream`) shared by every view of the page. Each connection
 * uses a fresh single-use ticket; after a drop it reconnects with a new one and resumes from the
 * last change-log position it saw, so no change is missed.
 */
import { type Session, streamTicket } from './api.ts';

/** A change to a row of a projection, or a reset (a rebuilt projection went live: reload it). */
export interface LiveChange {
  readonly projection: string;
  readonly reset: boolean;
  readonly row?: Readonly<Record<string, unknown>> | null;
}

export type LiveState = 'connecting' | 'live' | 'reconnecting';

/** The projections whose changes the shop streams; each is an SSE event name. */
const PROJECTIONS = ['order_status', 'user_items', 'users', 'seat_availability'] as const;

/** One stream per session, opened while somebody listens. */
export class LiveFeed {
  readonly #session: Session;
  readonly #listeners = new Set<(change: LiveChange) => void>();
  readonly #stateListeners = new Set<(state: LiveState) => void>();
  #source: EventSource | undefined;
  #lastEventId: string | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #failures = 0;
  #closed = false;
  state: LiveState = 'connecting';

  constructor(session: Session) {
    this.#session = session;
  }

  /** Calls `listener` with every change (and on each (re)connection, with `reset`) until unsubscribed. */
  subscribe(listener: (change: LiveChange) => void): () => void {
    this.#listeners.add(listener);
    if (this.#source === undefined && this.#retryTimer === undefined) void this.#connect();
    return () => this.#listeners.delete(listener);
  }

  onState(listener: (state: LiveState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    this.#source?.close();
    this.#source = undefined;
  }

  #setState(state: LiveState): void {
    this.state = state;
    for (const listener of this.#stateListeners) listener(state);
  }

  #emit(change: LiveChange): void {
    for (const listener of this.#listeners) listener(change);
  }

  async #connect(): Promise<void> {
    if (this.#closed) return;
    let ticket: string;
    try {
      ticket = await streamTicket(this.#session);
    } catch {
      this.#retry();
      return;
    }
    if (this.#closed) return;
    const resume =
      this.#lastEventId === undefined ? '' : `&lastEventId=${encodeURIComponent(this.#lastEventId)}`;
    const source = new EventSource(`/api/stream?ticket=${encodeURIComponent(ticket)}${resume}`);
    this.#source = source;
    const remember = (event: MessageEvent): void => {
      if (event.lastEventId) this.#lastEventId = event.lastEventId;
    };
    source.addEventListener('open', () => {
      this.#failures = 0;
      this.#setState('live');
      // Whatever changed while the stream was down (or before it first opened) is read again.
      if (this.#lastEventId === undefined) this.#emit({ projection: '*', reset: true });
    });
    for (const name of PROJECTIONS)
      source.addEventListener(name, (event) => {
        remember(event);
        const data = JSON.parse(event.data) as { row?: Record<string, unknown> | null };
        this.#emit({ projection: name, reset: false, row: data.row ?? null });
      });
    source.addEventListener('reset', (event) => {
      remember(event);
      const data = JSON.parse(event.data) as { projection?: string };
      this.#emit({ projection: data.projection ?? '*', reset: true });
    });
    // The ticket was spent: the browser's own reconnection would be refused, so reconnect here.
    source.addEventListener('error', () => {
      source.close();
      if (this.#source === source) this.#source = undefined;
      this.#retry();
    });
  }

  #retry(): void {
    if (this.#closed) return;
    this.#setState('reconnecting');
    this.#failures += 1;
    const delay = Math.min(10_000, 500 * 2 ** Math.min(this.#failures - 1, 5));
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.#connect();
    }, delay);
  }
}
