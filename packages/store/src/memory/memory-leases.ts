/** Leases of the memory store, timed by this process's clock (the only clock a memory store has). */
export class MemoryLeases {
  readonly #leases = new Map<string, { holder: string; expiresAt: number }>();

  /** Takes the lease if free, expired or already `holder`'s. */
  acquire(key: string, holder: string, ttlMs: number): boolean {
    const lease = this.#leases.get(key);
    const now = Date.now();
    if (lease && lease.holder !== holder && lease.expiresAt > now) return false;
    this.#leases.set(key, { holder, expiresAt: now + ttlMs });
    return true;
  }

  /** Extends `holder`'s lease; false if someone else holds it. */
  renew(key: string, holder: string, ttlMs: number): boolean {
    const lease = this.#leases.get(key);
    if (lease?.holder !== holder) return false;
    lease.expiresAt = Date.now() + ttlMs;
    return true;
  }

  /** Whether `holder` holds the lease and it has not expired. */
  holds(key: string, holder: string): boolean {
    const lease = this.#leases.get(key);
    return lease?.holder === holder && lease.expiresAt > Date.now();
  }

  /** Deletes `holder`'s lease. */
  release(key: string, holder: string): void {
    if (this.#leases.get(key)?.holder === holder) this.#leases.delete(key);
  }

  delete(key: string): void {
    this.#leases.delete(key);
  }
}
