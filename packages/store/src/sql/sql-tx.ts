import type { Kysely, Transaction } from 'kysely';
import { TransactionMisuseError } from '../errors.ts';
import type { StoreKind, StoreTx } from '../read-store.ts';

/** Any table of a projection: the SQL stores do not know projection tables' shapes. */
export type ProjectionDatabase = Record<string, Record<string, unknown>>;

/** A Kysely connection or transaction of a SQL store. */
export type SqlExecutor = Kysely<ProjectionDatabase>;

/** A transaction of a SQL store; `db` is the Kysely transaction a projection writes its rows with. */
export class SqlTx implements StoreTx {
  readonly kind: StoreKind;
  readonly #db: Transaction<ProjectionDatabase>;
  readonly #afterCommit: Array<() => void> = [];
  #open = true;

  constructor(kind: StoreKind, db: Transaction<ProjectionDatabase>) {
    this.kind = kind;
    this.#db = db;
  }

  /** The Kysely transaction; valid only while the store's `transaction` callback runs. */
  get db(): Transaction<ProjectionDatabase> {
    if (!this.#open) throw new TransactionMisuseError('transaction used after it ended');
    return this.#db;
  }

  afterCommit(fn: () => void): void {
    this.#afterCommit.push(fn);
  }

  /** Marks the transaction ended and returns the hooks to run if it committed. */
  end(): Array<() => void> {
    this.#open = false;
    return this.#afterCommit.splice(0);
  }
}

/** Checks that `tx` is a transaction of this kind of SQL store. */
export function asSqlTx(tx: StoreTx, kind: StoreKind): SqlTx {
  if (!(tx instanceof SqlTx) || tx.kind !== kind) {
    throw new TransactionMisuseError(`expected a ${kind} transaction, got ${tx.kind}`);
  }
  return tx;
}

/** int8 arrives as a string from pg and as a bigint from PGlite. */
export function toBigInt(value: unknown): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'string' || typeof value === 'number') return BigInt(value);
  throw new TypeError(`not an integer: ${String(value)}`);
}
