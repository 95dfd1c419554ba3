import pg from 'pg';
import type { Unsubscribe } from '../read-store.ts';

interface Subscriber {
  readonly onWake: () => void;
  readonly onLost: (() => void) | undefined;
}

/**
 * One dedicated connection that LISTENs on the change channel and wakes in-process subscribers by
 * projection. If the connection drops it reconnects with backoff and then wakes everybody, since
 * notifications sent while it was away are lost (subscribers re-read the change log anyway).
 */
export class ChangeListener {
  readonly #connectionString: string;
  readonly #channel: string;
  readonly #onError: (error: Error) => void;
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  #client: pg.Client | undefined;
  #connecting: Promise<void> | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #retryMs = 100;
  #closed = false;

  readonly #applicationName: string;

  constructor(
    connectionString: string,
    channel: string,
    applicationName: string,
    onError: (error: Error) => void,
  ) {
    this.#connectionString = connectionString;
    this.#applicationName = applicationName;
    this.#channel = channel;
    this.#onError = onError;
  }

  /** Registers `onWake` (and `onLost`, told when the connection drops) for a projection; connects on first use. */
  async subscribe(projection: string, onWake: () => void, onLost?: () => void): Promise<Unsubscribe> {
    const set = this.#subscribers.get(projection) ?? new Set();
    this.#subscribers.set(projection, set);
    const subscriber: Subscriber = { onWake, onLost };
    set.add(subscriber);
    if (this.#client === undefined) await this.#ensureConnected();
    return async () => {
      set.delete(subscriber);
      if (set.size === 0) this.#subscribers.delete(projection);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #ensureConnected(): Promise<void> {
    // A subscriber may have reconnected ahead of the retry timer.
    if (this.#client !== undefined) return Promise.resolve();
    this.#connecting ??= this.#connect();
    return this.#connecting;
  }

  async #connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.#connectionString,
      application_name: this.#applicationName,
    });
    client.on('notification', (message) => this.#wake(message.payload));
    client.on('error', (error) => this.#lost(client, error));
    client.on('end', () => this.#lost(client, new Error('change listener connection ended')));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.#channel}"`);
    } catch (error) {
      this.#connecting = undefined;
      await client.end().catch(() => undefined);
      throw error;
    }
    if (this.#closed) {
      await client.end();
      return;
    }
    this.#client = client;
    this.#connecting = undefined;
    this.#retryMs = 100;
  }

  #wake(projection: string | undefined): void {
    const targets =
      projection === undefined ? [...this.#subscribers.values()] : [this.#subscribers.get(projection)];
    for (const set of targets) for (const { onWake } of set ?? []) onWake();
  }

  #lost(client: pg.Client, error: Error): void {
    if (this.#closed || this.#client !== client) return;
    this.#client = undefined;
    for (const set of this.#subscribers.values()) for (const { onLost } of set) onLost?.();
    this.#onError(error);
    client.end().catch(() => undefined);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#retryTimer !== undefined) return;
    this.#retryTimer = setTimeout(async () => {
      this.#retryTimer = undefined;
      try {
        await this.#ensureConnected();
        this.#wake(undefined);
      } catch (error) {
        this.#onError(error as Error);
        this.#retryMs = Math.min(this.#retryMs * 2, 5_000);
        this.#scheduleReconnect();
      }
    }, this.#retryMs);
    this.#retryTimer.unref();
  }
}
