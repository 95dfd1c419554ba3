import { randomBytes } from 'node:crypto';
import { HttpCodes } from '../problems/catalogue.ts';
import { HttpProblem } from '../problems/problem.ts';
import type { Principal } from './principal.ts';

/** Options of {@link StreamTickets}. */
export interface StreamTicketsOptions {
  /** How long a ticket may wait to be used. Default 60 s. */
  readonly ttlMs?: number;
  /** Outstanding tickets at most; beyond, issuing answers 429. Default 10,000. */
  readonly maxOutstanding?: number;
  readonly now?: () => number;
}

/**
 * Short-lived, single-use tickets for `EventSource`, which cannot send an Authorization header:
 * a client trades its bearer token for a ticket and puts it in the stream URL.
 */
export class StreamTickets {
  readonly #tickets = new Map<string, { readonly principal: Principal; readonly expiresAt: number }>();
  readonly #ttlMs: number;
  readonly #maxOutstanding: number;
  readonly #now: () => number;

  constructor(options: StreamTicketsOptions = {}) {
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#maxOutstanding = options.maxOutstanding ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds a ticket is valid. */
  get ttlSeconds(): number {
    return Math.ceil(this.#ttlMs / 1000);
  }

  /** A new ticket for the principal. */
  issue(principal: Principal): string {
    this.#prune();
    if (this.#tickets.size >= this.#maxOutstanding)
      throw new HttpProblem(HttpCodes.RATE_LIMITED, 'too many stream tickets are outstanding', {
        headers: { 'retry-after': String(this.ttlSeconds) },
      });
    const ticket = randomBytes(32).toString('base64url');
    this.#tickets.set(ticket, { principal, expiresAt: this.#now() + this.#ttlMs });
    return ticket;
  }

  /** The principal of a valid ticket, which is used up; `undefined` for an unknown, used or expired one. */
  redeem(ticket: string): Principal | undefined {
    const entry = this.#tickets.get(ticket);
    if (entry === undefined) return undefined;
    this.#tickets.delete(ticket);
    return entry.expiresAt > this.#now() ? entry.principal : undefined;
  }

  /** Outstanding tickets (expired ones included until the next prune). */
  get size(): number {
    return this.#tickets.size;
  }

  #prune(): void {
    const now = this.#now();
    // Insertion order is expiry order, so the expired ones are at the front.
    for (const [ticket, entry] of this.#tickets) {
      if (entry.expiresAt > now) break;
      this.#tickets.delete(ticket);
    }
  }
}
