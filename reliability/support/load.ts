import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createProducer, type KafkaConnection, partitionForKey, type SluiceProducer } from '@sluice/kafka';
import type { AuditKind, AuditLog } from './audit.ts';

/** A record for `commands`, with what the audit keeps about it. */
export interface LoadRecord {
  readonly partition: number;
  readonly key?: string;
  readonly value: string | Buffer;
  readonly headers?: Readonly<Record<string, string>>;
  readonly commandId: string;
  readonly aggregateId: string;
  readonly kind: AuditKind;
}

/**
 * Writes records to `commands` with an idempotent producer (acks all), retrying a failed send with the
 * same records until the broker acknowledges them, and audits each at the offset the broker named. The
 * producer is never recreated: after broker trouble it has to recover by itself.
 */
export class AuditedProducer {
  readonly #producer: SluiceProducer;
  readonly #topic: string;
  readonly #audit: AuditLog;
  /** Sends that failed and were retried (the first attempt may have landed: a duplicate record). */
  retries = 0;
  /** The last send error, for messages when the load stalls. */
  lastError: unknown;

  constructor(connection: KafkaConnection, topic: string, audit: AuditLog) {
    this.#producer = createProducer(connection);
    this.#topic = topic;
    this.#audit = audit;
  }

  /** Sends until acknowledged (or `deadline`), then audits; resolves once the audit holds them. */
  async send(records: readonly LoadRecord[], deadline = Date.now() + 180_000): Promise<void> {
    for (;;) {
      try {
        const { offsets = [] } = await this.#producer.send({
          messages: records.map((r) => ({
            topic: this.#topic,
            partition: r.partition,
            ...(r.key === undefined ? {} : { key: Buffer.from(r.key) }),
            value: Buffer.from(r.value),
            headers: new Map(Object.entries(r.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
          })),
        });
        // One produce request appends each partition's records in order from the base offset it returns.
        const next = new Map(offsets.map((o) => [o.partition, BigInt(o.offset)]));
        await this.#audit.record(
          records.map((r) => {
            const offset = next.get(r.partition);
            if (offset === undefined) throw new Error(`no acknowledged offset for partition ${r.partition}`);
            next.set(r.partition, offset + 1n);
            const { commandId, aggregateId, kind, partition } = r;
            return { topic: this.#topic, partition, offset, commandId, aggregateId, kind };
          }),
        );
        return;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        this.lastError = error;
        this.retries++;
        await sleep(250);
      }
    }
  }

  close(): Promise<void> {
    return this.#producer.close();
  }
}

/** An UpdateUser command with a name of its own, so that it always yields exactly one event. */
export function updateUser(userId: string, name: string, partitions: number): LoadRecord {
  const commandId = randomUUID();
  return {
    partition: partitionForKey(userId, partitions),
    key: userId,
    value: JSON.stringify({ type: 'UpdateUser', userId, newName: name, commandId }),
    commandId,
    aggregateId: userId,
    kind: 'good',
  };
}

/** Options of {@link UserLoad}. */
export interface UserLoadOptions {
  readonly producer: AuditedProducer;
  readonly partitions: number;
  readonly users: number;
  /** Commands per second, sent in ten rounds a second. */
  readonly rate: number;
}

/**
 * Steady UpdateUser traffic over `users` users until stopped. A round that has to wait for a broker is
 * not made up for afterwards: the load is what the system accepted.
 */
export class UserLoad {
  readonly #options: UserLoadOptions;
  readonly #running: Promise<void>;
  #stopped = false;
  #failure: unknown;
  sent = 0;

  constructor(options: UserLoadOptions) {
    this.#options = options;
    this.#running = this.#run().catch((error: unknown) => {
      this.#failure = error;
    });
  }

  async #run(): Promise<void> {
    const { producer, partitions, users, rate } = this.#options;
    const perRound = Math.max(1, Math.round(rate / 10));
    while (!this.#stopped) {
      const round = Date.now();
      const records = Array.from({ length: perRound }, (_, i) => {
        const n = this.sent + i;
        return updateUser(String((n * 7919) % users), `name-${n}`, partitions);
      });
      await producer.send(records);
      this.sent += records.length;
      await sleep(Math.max(0, round + 100 - Date.now()));
    }
  }

  /** Waits until at least `count` commands were accepted. */
  async until(count: number, timeoutMs = 300_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.sent < count) {
      if (this.#failure) throw this.#failure;
      if (Date.now() > deadline)
        throw new Error(`load: ${this.sent} of ${count} commands in ${timeoutMs} ms`);
      await sleep(100);
    }
  }

  /** Stops after the round in flight; fails if a round failed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#running;
    if (this.#failure) throw this.#failure;
  }
}
