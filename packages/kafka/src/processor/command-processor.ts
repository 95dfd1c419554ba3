import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import {
  CommandsExpiredError,
  ConsumerStreamError,
  DuplicateInstanceError,
  ProducerFencedError,
  RecordTooLargeError,
  SluiceKafkaError,
} from '../errors.ts';
import { type Assignment, type ConsumedRecord, GroupConsumer } from '../group-consumer.ts';
import { PartitionReader } from '../partition-reader.ts';
import { DEFAULT_RESULT_PARTITIONS, type TopicNames, topicNames } from '../topics.ts';
import { type GroupGeneration, StaleGenerationError, TxnSession } from '../txn-session.ts';
import { type PartitionState, StateOverlay } from './aggregate-state.ts';
import type { BatchPlan } from './batch-plan.ts';
import { type StageClock, stageClock, statsOf } from './batch-stats.ts';
import { type BatchWriteContext, type PreparedBatch, prepareBatch, writeBatch } from './batch-write.ts';
import type { CommandRecord } from './command-record.ts';
import { writeDeadLetter } from './dead-letters.ts';
import { type DecideContext, decideBatch, decideBatchInSlices } from './decide-batch.ts';
import { OffsetForecast, OffsetForecastMissedError } from './offset-forecast.ts';
import {
  type CommandProcessorOptions,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_BATCH,
  decideContextOf,
  fetchWaitOf,
  type ProcessorLogger,
  partitionBatchBytes,
  silentLogger,
} from './processor-options.ts';
import { keepOrRestore } from './restore.ts';
import { poisonResult } from './result-records.ts';

/**
 * A batch in flight: the next is decided on its overlay once `decided` settled, and prepared once it is
 * `written` (its records sent and its forecast checked); `done` is `true` once it committed.
 */
interface Batch {
  readonly overlay: StateOverlay;
  readonly decided: Promise<unknown>;
  readonly written: Promise<void>;
  readonly done: Promise<boolean>;
}

/**
 * Consumes `commands` and writes, per batch and in one Kafka transaction, the events, the changed
 * aggregate states, each partition's checkpoint, the results, forwards, dead letters and the consumed
 * offsets. State for assigned partitions lives in memory, restored from `processor-state` behind the
 * assignment barrier (DESIGN 3.1).
 */
export class CommandProcessor {
  readonly transactionalId: string;
  readonly #options: CommandProcessorOptions;
  readonly #topics: TopicNames;
  readonly #consumer: GroupConsumer;
  readonly #reader: PartitionReader;
  readonly #log: ProcessorLogger;
  #session: TxnSession;
  #states = new Map<number, PartitionState>();
  readonly #forecast = new OffsetForecast();
  readonly #writeContext: BatchWriteContext;
  #assignment: Assignment | undefined;
  #context: DecideContext | undefined;
  #fencedInARow = 0;
  #stopping = false;
  #loop: Promise<void> | undefined;
  /** The batch being written, if any. */
  #batch: Batch | undefined;
  /** Counts the barriers: records consumed before the latest one belong to a stream that was reopened. */
  #streamEpoch = 0;

  constructor(options: CommandProcessorOptions) {
    this.#options = options;
    this.#topics = topicNames(options.topicPrefix);
    this.#log = options.logger ?? silentLogger;
    this.transactionalId = `${options.topicPrefix ?? ''}processor-${options.instanceId}`;
    this.#consumer = new GroupConsumer({
      connection: options.connection,
      groupId: options.groupId ?? `${options.topicPrefix ?? ''}sluice-processor`,
      topics: [this.#topics.commands],
      bufferRecords: 2 * (options.maxBatch ?? DEFAULT_MAX_BATCH),
      ...fetchWaitOf(options.lingerMs ?? DEFAULT_LINGER_MS),
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
    });
    this.#reader = new PartitionReader({ connection: options.connection });
    this.#session = this.#newSession();
    this.#writeContext = {
      topics: this.#topics,
      deciders: options.deciders,
      resultPartitions: options.resultPartitions ?? DEFAULT_RESULT_PARTITIONS,
      forecast: this.#forecast,
    };
  }

  /** Joins the group and processes until {@link stop}; the promise settles when the loop ends. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return this.#loop;
  }

  /** Finishes the open batch, leaves the group and closes the clients. */
  async stop(): Promise<void> {
    this.#stopping = true;
    // Leaving the group first would make the open batch's offsets stale and abort it.
    await this.#batch?.done.catch(() => undefined);
    await this.#consumer.close();
    await this.#loop?.catch(() => undefined);
    await this.#session.close().catch(() => undefined);
    await this.#reader.close();
  }

  /** The partitions this instance owns now. */
  get partitions(): number[] {
    return [...this.#states.keys()].sort((a, b) => a - b);
  }

  async #run(): Promise<void> {
    try {
      await this.#consume();
    } catch (error) {
      // stop() closes the clients under whatever is running, a join or a restore included: once it
      // was asked for, what fails is the stop's doing, and the next start resynchronises from Kafka.
      if (!this.#stopping) throw error;
      this.#log.info({ error: String(error) }, 'stopped while starting or resynchronising');
    }
  }

  async #consume(): Promise<void> {
    const commandsTopicId = await this.#reader.topicId(this.#topics.commands);
    this.#context = decideContextOf(this.#options, this.#topics, commandsTopicId);
    await this.#consumer.join();
    while (!this.#stopping) {
      let event: Awaited<ReturnType<GroupConsumer['next']>>;
      try {
        event = await this.#consumer.next({
          maxRecords: this.#options.maxBatch ?? DEFAULT_MAX_BATCH,
        });
      } catch (error) {
        if (this.#stopping) return;
        if (!(error instanceof ConsumerStreamError)) throw error;
        this.#log.warn({ error: error.message }, 'command stream failed; resynchronising');
        await this.#settle();
        await this.#resync();
        continue;
      }
      if (event.kind === 'assignment') {
        await this.#settle();
        this.#assignment = event.assignment;
        await this.#resync();
      } else if (event.records.length > 0) {
        // The next batch is decided while this one is written: at most one batch in flight.
        const earlier = this.#batch;
        this.#batch = this.#pipelined(event.records, earlier);
        // The batch after it is decided on its overlay: only once all of this one's decisions are in it.
        await this.#batch.decided;
        if (earlier) {
          await earlier.done;
          // Let this batch send its first request before the next one is decided, so the two overlap.
          await setImmediate();
        }
      }
    }
  }

  /** Waits for the batch in flight; rethrows what stops the processor. */
  async #settle(): Promise<void> {
    const batch = this.#batch;
    this.#batch = undefined;
    if (batch) await batch.done;
  }

  /** The assignment barrier: nothing is processed until state and committed offsets agree. */
  async #barrier(assignment: Assignment): Promise<void> {
    this.#assignment = assignment;
    this.#streamEpoch++;
    this.#fencedInARow = 0;
    this.#forecast.forget();
    await this.#session.abort().catch(() => undefined);
    // Registering the transactional id fences a crashed predecessor and aborts what it left open; until
    // then its offsets keep the committed offsets unstable for up to the transaction timeout (15 s).
    await this.#session.transact(async () => undefined);
    const partitions = assignment.partitions.map((p) => p.partition);
    const committed = await this.#consumer.committedOffsets(assignment.partitions);
    const started = Date.now();
    const resumed = await keepOrRestore(this.#states, {
      reader: this.#reader,
      topics: this.#topics,
      deciders: this.#options.deciders,
      partitions,
      dedupWindow: this.#options.dedupWindow,
      committed: new Map(partitions.map((p) => [p, committed.get(`${this.#topics.commands}/${p}`)])),
    });
    this.#states = resumed.states;
    const positions = partitions.map((partition) => ({
      topic: this.#topics.commands,
      partition,
      nextOffset: resumed.resumeAt.get(partition) ?? 0n,
    }));
    const { restored } = resumed;
    const aggregates = restored.reduce((n, p) => n + (resumed.states.get(p)?.aggregates.size ?? 0), 0);
    const generation = assignment.generation.generationId;
    const ms = Date.now() - started;
    this.#log.info({ generation, partitions, restored, aggregates, ms }, 'command partitions assigned');
    await this.#consumer.open(positions);
  }

  /**
   * Decides a batch now, on top of the `earlier` batch still being written, and writes it once that
   * one committed. If it did not, the decisions rest on state that never was: the records are decided
   * again on the committed state, or dropped when the barrier reopened the stream meanwhile (they will
   * be consumed again).
   */
  #pipelined(records: readonly ConsumedRecord[], earlier: Batch | undefined): Batch {
    const streamEpoch = this.#streamEpoch;
    const started = performance.now();
    const clock = stageClock();
    const overlay = new StateOverlay(this.#states, earlier?.overlay);
    // In slices, so that the earlier batch's responses are handled while this one is decided.
    const decided: Promise<{ plan?: BatchPlan; failure?: unknown }> = decideBatchInSlices(
      records,
      overlay,
      this.#decideContext(),
    ).then(
      (plan) => ({ plan }),
      (failure: unknown) => ({ failure }),
    );
    const { promise: written, resolve: markWritten } = Promise.withResolvers<void>();
    const write = async (): Promise<boolean> => {
      const { plan, failure } = await decided;
      clock.lap('decide');
      const earlierDone = earlier?.done.catch(() => false);
      // Prepared while the batch before commits: its written offsets are what the forecast builds on.
      if (earlier) await Promise.race([earlier.written, earlierDone]);
      clock.lap('wait');
      const prepared = plan && prepareBatch(plan, overlay, this.#writeContext);
      clock.lap('events');
      const committedBefore = earlier === undefined || (await earlierDone);
      clock.lap('wait');
      if (this.#streamEpoch !== streamEpoch) return false;
      if (!committedBefore) return this.#process(records);
      overlay.detach();
      const generation = this.#assignment?.generation;
      if (!generation) return false;
      try {
        if (!plan) throw failure;
        await this.#commit(plan, overlay, generation, clock, prepared, markWritten);
      } catch (error) {
        await this.#recover(error, records, generation);
        return false;
      }
      this.#fencedInARow = 0;
      this.#options.onBatch?.(statsOf(records.length, plan, performance.now() - started, clock.stages));
      return true;
    };
    const done = write();
    // A fatal error reaches #run through the next `await earlier.done`; meanwhile it is not unhandled.
    done.catch(() => undefined);
    return { overlay, decided, written, done };
  }

  /** Decides and writes a batch on the committed state alone; `true` when it committed. */
  async #process(records: readonly ConsumedRecord[]): Promise<boolean> {
    const generation = this.#assignment?.generation;
    if (!generation || records.length === 0) return false;
    const started = performance.now();
    const clock = stageClock();
    const overlay = new StateOverlay(this.#states);
    try {
      const plan = decideBatch(records, overlay, this.#decideContext());
      clock.lap('decide');
      const prepared = prepareBatch(plan, overlay, this.#writeContext);
      clock.lap('events');
      await this.#commit(plan, overlay, generation, clock, prepared);
      this.#fencedInARow = 0;
      this.#options.onBatch?.(statsOf(records.length, plan, performance.now() - started, clock.stages));
      return true;
    } catch (error) {
      await this.#recover(error, records, generation);
      return false;
    }
  }

  #decideContext(): DecideContext {
    if (!this.#context) throw new Error('The processor has not started');
    return this.#context;
  }

  /** Writes a decided batch in one transaction; on success folds it into the committed state. */
  async #commit(
    plan: BatchPlan,
    overlay: StateOverlay,
    generation: GroupGeneration,
    clock: StageClock,
    prepared: PreparedBatch | undefined,
    written?: () => void,
  ): Promise<void> {
    await this.#session.transact((txn) =>
      writeBatch(txn, plan, overlay, generation, clock, this.#writeContext, prepared, written),
    );
    clock.lap('commit');
    overlay.commitInto(this.#states, plan.checkpoints);
  }

  /** What to do after a failed batch; the overlay is simply dropped, so committed state is untouched. */
  async #recover(
    error: unknown,
    records: readonly ConsumedRecord[],
    generation: GroupGeneration,
  ): Promise<void> {
    // An aborted transaction left abort markers in the events partitions it wrote, and the batches
    // after it were prepared on offsets that did not commit.
    this.#forecast.forget();
    if (error instanceof OffsetForecastMissedError) {
      this.#forecast.missed();
      this.#log.warn({ error: error.message }, 'event offsets forecast wrongly; writing the batch again');
      await this.#process(records);
      return;
    }
    if (error instanceof ProducerFencedError) {
      this.#fencedInARow++;
      this.#log.warn({ fencedInARow: this.#fencedInARow }, 'producer fenced; dropping state');
      if (this.#fencedInARow >= 2) throw new DuplicateInstanceError(this.transactionalId);
      this.#session = this.#newSession();
      this.#states.clear();
      if (this.#assignment) await this.#resync();
      return;
    }
    if (error instanceof StaleGenerationError) {
      // The group moved on; the consumer reports the new assignment next.
      this.#states.clear();
      return;
    }
    if (error instanceof RecordTooLargeError || !(error instanceof SluiceKafkaError)) {
      // Not Kafka's fault: isolate the command that causes it by bisecting the batch.
      this.#log.warn({ error: String(error), records: records.length }, 'batch failed; bisecting');
      if (records.length > 1) {
        const middle = Math.floor(records.length / 2);
        await this.#process(records.slice(0, middle));
        await this.#process(records.slice(middle));
        return;
      }
      const [record] = records;
      if (!record) return;
      try {
        await this.#poison(record, error, generation);
      } catch (failure) {
        if (!(failure instanceof SluiceKafkaError) || !failure.canRetry) throw failure;
        this.#log.warn({ error: String(failure) }, 'dead letter not written; resynchronising');
        await this.#resync();
      }
      return;
    }
    // Unknown outcome (a commit may have landed): resynchronise from Kafka, never retry from memory.
    this.#log.warn({ error: String(error) }, 'transaction failed; resynchronising');
    await this.#resync();
  }

  /** One command that cannot be written: an INTERNAL_ERROR result and a dead letter, nothing else. */
  async #poison(record: CommandRecord, error: unknown, generation: GroupGeneration): Promise<void> {
    const message = `command could not be written: ${error instanceof Error ? error.message : String(error)}`;
    this.#log.error(
      { partition: record.partition, offset: String(record.offset), message },
      'poison command',
    );
    const result = poisonResult(record, message, this.#topics, this.#writeContext.resultPartitions);
    await writeDeadLetter(this.#session, this.#topics, record, message, generation, result);
    const state = this.#states.get(record.partition);
    if (state) state.checkpoint = record.offset + 1n;
  }

  /**
   * Runs the barrier again for the current assignment, until it succeeds: while a broker is away the
   * barrier's reads and the new stream fail, and the processor waits for it instead of exiting.
   * Fencing and expired commands stop the processor.
   */
  async #resync(): Promise<void> {
    for (let attempt = 0; this.#assignment && !this.#stopping; attempt++) {
      try {
        await this.#barrier(this.#assignment);
        return;
      } catch (error) {
        if (error instanceof ProducerFencedError || error instanceof CommandsExpiredError) throw error;
        // stop() closes the clients under a barrier: what fails then is the stop's doing, not news.
        if (this.#stopping) return;
        const delayMs = Math.min(5_000, 100 * 2 ** attempt);
        this.#log.warn({ error: String(error), attempt, delayMs }, 'resynchronising failed; retrying');
        await sleep(delayMs);
      }
    }
  }

  #newSession(): TxnSession {
    return new TxnSession({
      connection: this.#options.connection,
      transactionalId: this.transactionalId,
      partitionBatchBytes: partitionBatchBytes(this.#topics),
    });
  }
}
