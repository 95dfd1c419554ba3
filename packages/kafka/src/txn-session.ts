import type { Consumer, Message, ProduceResult } from '@platformatic/kafka';
import { Producer } from '@platformatic/kafka';
import {
  type KafkaConnection,
  producerOptions,
  type SluiceProducer,
  TRANSACTION_TIMEOUT_MS,
} from './client.ts';
import {
  ProducerFencedError,
  RecordTooLargeError,
  TransactionAbortedError,
  TxnStateError,
} from './errors.ts';
import { faultPoint } from './fault.ts';
import {
  hasKafkaError,
  isFencedError,
  isRecordTooLargeError,
  isUnknownProducerError,
} from './kafka-errors.ts';
import {
  addPartitions,
  asMessages,
  offsetMessage,
  produceChunks,
  recordOffsets,
  type Transaction,
} from './txn-records.ts';

/** A record written inside a transaction. The partition is explicit: the writer always knows it. */
export interface OutgoingRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key?: Buffer | string;
  readonly value: Buffer | string;
  /**
   * A Map, or a flat array of names and values (`[name, value, name, value, …]`), is handed to the
   * client as it is (the patched encoder reads both); an object is turned into a Map there.
   */
  readonly headers?: OutgoingHeaders;
}

/** An outgoing record's headers: an object, a Map, or names and values alternating in one array. */
export type OutgoingHeaders =
  | Readonly<Record<string, string | Buffer>>
  | ReadonlyMap<string, string | Buffer>
  | readonly (string | Buffer)[];

/** A partition of a topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** The next offset to consume from a partition, committed with the transaction. */
export interface ConsumedPosition {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
}

/**
 * The consumer group generation the offsets belong to, captured at the assignment barrier. The broker
 * refuses offsets of an older generation, which is what fences a member that lost its partitions.
 */
export interface GroupGeneration {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly coordinatorId: number;
}

/** `idle` → begin → `open` → commit/abort → `idle`; any error → `abort-only`; fenced is final. */
export type TxnState = 'idle' | 'open' | 'abort-only' | 'fenced' | 'closed';

/** Options of a {@link TxnSession}. */
export interface TxnSessionOptions {
  readonly connection: KafkaConnection;
  readonly transactionalId: string;
  /** Transaction timeout in ms (also the produce acknowledgement timeout). Default 15 s. */
  readonly timeoutMs?: number;
  /**
   * Most bytes of one partition's records in one produce request, by topic: they travel as one
   * record batch, which the broker refuses above the topic's `max.message.bytes`. A send over it
   * goes as several requests. Default 960 KiB (the broker's default limit is 1 MiB).
   */
  readonly partitionBatchBytes?: (topic: string) => number;
}

const defaultBatchBytes = () => 960 * 1024;

/** Raised by {@link TxnSession.sendOffsets} when the group moved on: re-run the assignment barrier. */
export class StaleGenerationError extends TransactionAbortedError {
  override readonly code = 'STALE_GENERATION';
}

/**
 * A Kafka transaction driven strictly one step at a time: begin → send → offsets → commit. The
 * client library de-duplicates concurrent calls of the same kind and has no abort-only state, so this
 * session serialises every call and, after any failure, refuses to commit: the only way on is abort.
 *
 * A failed commit has an unknown outcome (the broker may have committed before the error reached us):
 * callers must resynchronise from Kafka (committed offsets, restored state), never retry from memory.
 */
export class TxnSession {
  readonly transactionalId: string;
  readonly #options: TxnSessionOptions;
  #producer: SluiceProducer;
  #txn: Transaction | undefined;
  #state: TxnState = 'idle';
  #failure: unknown;
  #touched = false;
  #groupAdded = false;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: TxnSessionOptions) {
    this.transactionalId = options.transactionalId;
    this.#options = options;
    this.#producer = this.#createProducer();
  }

  /** The session's state; see {@link TxnState}. */
  get state(): TxnState {
    return this.#state;
  }

  /** Starts a transaction. The first one registers the transactional id, fencing any predecessor. */
  begin(): Promise<void> {
    return this.#serial(async () => {
      this.#expect('idle', 'begin');
      try {
        // A new producer must register as "no producer id yet" (-1/-1): the client's default (0/0) reads
        // to the coordinator as a stale epoch of another producer and is refused as fenced.
        this.#txn = await this.#producer.beginTransaction({ producerId: -1n, producerEpoch: -1 });
      } catch (error) {
        this.#producer.transaction?.cancel();
        if (isFencedError(error)) this.#fence(error);
        if (isUnknownProducerError(error)) await this.#recreateProducer();
        throw new TransactionAbortedError(
          `Could not begin a transaction: ${(error as Error).message}`,
          error,
        );
      }
      this.#state = 'open';
      this.#touched = false;
      this.#groupAdded = false;
      this.#failure = undefined;
    });
  }

  /**
   * Sends records in the open transaction; returns each record's offset, in input order.
   * `laterPartitions` are partitions a later send of this transaction will write: they are added to
   * the transaction in the same AddPartitionsToTxn request as these records' own, saving a round trip
   * to the coordinator per later send.
   */
  send(
    records: readonly OutgoingRecord[],
    laterPartitions: readonly TopicPartition[] = [],
  ): Promise<bigint[]> {
    return this.#serial(async () => {
      const txn = this.#openTransaction('send');
      if (records.length === 0) return [];
      this.#touched = true;
      const sent: [OutgoingRecord[], NonNullable<ProduceResult['offsets']>][] = [];
      try {
        if (laterPartitions.length > 0) await addPartitions(txn, records, laterPartitions);
        for (const chunk of produceChunks(records, this.#options.partitionBatchBytes ?? defaultBatchBytes)) {
          const result: ProduceResult = await txn.send({ messages: asMessages(chunk) });
          sent.push([chunk, result.offsets ?? []]);
        }
      } catch (error) {
        throw this.#fail(error, records[0]?.topic ?? '');
      }
      faultPoint('after-send');
      return sent.flatMap(([chunk, reported]) => recordOffsets(chunk, reported));
    });
  }

  /** Adds the consumed positions to the transaction, stamped with the generation of the barrier. */
  sendOffsets(positions: readonly ConsumedPosition[], group: GroupGeneration): Promise<void> {
    return this.#serial(async () => {
      const txn = this.#openTransaction('sendOffsets');
      if (positions.length === 0) return;
      this.#touched = true;
      try {
        if (!this.#groupAdded) {
          await txn.addConsumer({ groupId: group.groupId } as Consumer<Buffer, Buffer, Buffer, Buffer>);
          this.#groupAdded = true;
        }
        // All partitions in one TxnOffsetCommit (the patched client takes several messages; PATCHES.md).
        await txn.addOffset(
          positions.map((position) => offsetMessage(position, group)) as unknown as Message<
            Buffer,
            Buffer,
            Buffer,
            Buffer
          >,
        );
      } catch (error) {
        throw this.#fail(error, positions[0]?.topic ?? '');
      }
      faultPoint('after-offsets');
    });
  }

  /** Commits the open transaction. After a failed step it aborts instead and throws. */
  commit(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'abort-only') {
        const failure = this.#failure;
        await this.#abortNow();
        throw new TransactionAbortedError('The transaction was aborted after an earlier failure', failure);
      }
      const txn = this.#openTransaction('commit');
      faultPoint('before-commit');
      try {
        if (this.#touched) await txn.commit();
        else await txn.cancel();
      } catch (error) {
        const failure = this.#fail(error, '');
        await this.#abortNow().catch(() => undefined);
        throw failure;
      }
      this.#finish();
    });
  }

  /** Aborts the open transaction, if any. Safe in every state but `fenced` and `closed`. */
  abort(): Promise<void> {
    return this.#serial(() => this.#abortNow());
  }

  /** Runs `work` in a transaction: begin, work, commit; on any error abort and rethrow. */
  async transact<T>(work: (session: TxnSession) => Promise<T>): Promise<T> {
    await this.begin();
    let result: T;
    try {
      result = await work(this);
    } catch (error) {
      if (this.#state === 'open' || this.#state === 'abort-only') await this.abort();
      throw error;
    }
    await this.commit();
    return result;
  }

  /** Aborts what is open and closes the producer. */
  close(): Promise<void> {
    return this.#serial(async () => {
      if (this.#state === 'closed') return;
      if (this.#state === 'open' || this.#state === 'abort-only')
        await this.#abortNow().catch(() => undefined);
      this.#state = 'closed';
      await this.#producer.close(true);
    });
  }

  async #abortNow(): Promise<void> {
    if (this.#state === 'idle') return;
    if (this.#state === 'fenced' || this.#state === 'closed') {
      throw new TxnStateError(`Cannot abort: the session is ${this.#state}`);
    }
    const txn = this.#txn;
    try {
      if (txn && !txn.completed) {
        if (this.#touched) await txn.abort();
        else await txn.cancel();
      }
    } catch (error) {
      if (isFencedError(error)) this.#fence(error);
      // Whatever state the coordinator holds, a new producer with the same transactional id bumps
      // the epoch and makes the coordinator abort the open transaction.
      await this.#recreateProducer();
      this.#finish();
      return;
    }
    // The client does not roll back idempotent sequence numbers of a failed produce: the next
    // transaction would be refused OUT_OF_ORDER_SEQUENCE_NUMBER. A new producer (new epoch) resets them.
    if (this.#failure !== undefined) await this.#recreateProducer();
    this.#finish();
  }

  #fail(error: unknown, topic: string): Error {
    this.#failure = error;
    if (this.#state === 'open') this.#state = 'abort-only';
    if (isFencedError(error)) this.#fence(error);
    if (isRecordTooLargeError(error)) return new RecordTooLargeError(topic, error);
    if (
      hasKafkaError(
        error,
        'ILLEGAL_GENERATION',
        'UNKNOWN_MEMBER_ID',
        'FENCED_INSTANCE_ID',
        'REBALANCE_IN_PROGRESS',
      )
    ) {
      return new StaleGenerationError('The consumer group moved to a new generation', error);
    }
    return new TransactionAbortedError(`Transaction step failed: ${(error as Error).message}`, error);
  }

  #fence(error: unknown): never {
    this.#state = 'fenced';
    this.#txn = undefined;
    throw new ProducerFencedError(this.transactionalId, error);
  }

  #finish(): void {
    this.#state = 'idle';
    this.#txn = undefined;
    this.#touched = false;
    this.#groupAdded = false;
    this.#failure = undefined;
  }

  #openTransaction(operation: string): Transaction {
    if (this.#state === 'abort-only') {
      throw new TransactionAbortedError(
        `Cannot ${operation}: the transaction must be aborted`,
        this.#failure,
      );
    }
    this.#expect('open', operation);
    if (!this.#txn) throw new TxnStateError(`Cannot ${operation}: no transaction`);
    return this.#txn;
  }

  #expect(state: TxnState, operation: string): void {
    if (this.#state === 'fenced') throw new ProducerFencedError(this.transactionalId, this.#failure);
    if (this.#state !== state)
      throw new TxnStateError(`Cannot ${operation} while the session is ${this.#state}`);
  }

  #createProducer(): SluiceProducer {
    return new Producer(
      producerOptions(this.#options.connection, {
        transactionalId: this.transactionalId,
        idempotent: true,
        timeout: this.#options.timeoutMs ?? TRANSACTION_TIMEOUT_MS,
        autocreateTopics: false,
      }),
    );
  }

  async #recreateProducer(): Promise<void> {
    const old = this.#producer;
    this.#producer = this.#createProducer();
    this.#txn = undefined;
    await old.close(true).catch(() => undefined);
  }

  #serial<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.#queue.then(operation);
    this.#queue = result.catch(() => undefined);
    return result;
  }
}
