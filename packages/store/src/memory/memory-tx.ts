import { TransactionMisuseError } from '../errors.ts';
import type { Row } from '../model/row-changes.ts';
import type { TopicPartitionKey } from '../model/topic-partition.ts';
import type { ParkedEvent, StoreTx } from '../read-store.ts';

/**
 * A memory-store transaction: writes are staged here and applied in one synchronous step at commit,
 * so readers never see half a batch; dropping the object is the rollback.
 */
export class MemoryTx implements StoreTx {
  readonly kind = 'memory' as const;
  /** Staged rows per table; `null` marks a deleted row. */
  readonly rows = new Map<string, Map<string, Row | null>>();
  /** Staged offsets per `projection\0version`. */
  readonly offsets = new Map<string, Map<TopicPartitionKey, bigint>>();
  /** Staged parked events, visible to `isKeyParked` within this transaction. */
  readonly parked: ParkedEvent[] = [];
  /** Parked events removed by this transaction (replayed), applied before `parked` at commit. */
  readonly unparked: Array<(event: ParkedEvent) => boolean> = [];
  /** Other staged effects (change log, parked events, drops), applied in order at commit. */
  readonly effects: Array<() => void> = [];
  readonly #afterCommit: Array<() => void> = [];
  #open = true;

  afterCommit(fn: () => void): void {
    this.#afterCommit.push(fn);
  }

  /** Throws unless the transaction is still running. */
  assertOpen(): void {
    if (!this.#open) throw new TransactionMisuseError('transaction used after it ended');
  }

  stagedRows(table: string): Map<string, Row | null> {
    const staged = this.rows.get(table) ?? new Map<string, Row | null>();
    this.rows.set(table, staged);
    return staged;
  }

  /** Ends the transaction and returns the hooks to run if it committed. */
  end(): Array<() => void> {
    this.#open = false;
    return this.#afterCommit.splice(0);
  }
}
