import { setImmediate, setTimeout as sleep } from 'node:timers/promises';
import {
  type CommandRegistry,
  type CommandResult,
  DEFAULT_DEDUP_WINDOW,
  type Decider,
  ErrorCodes,
  encodeCommandResult,
  encodePositionToken,
  positionToken,
} from '@sluice/core';
import type { KafkaConnection } from '../client.ts';
import {
  CommandsExpiredError,
  ConsumerStreamError,
  DuplicateInstanceError,
  ProducerFencedError,
  RecordTooLargeError,
  SluiceKafkaError,
} from '../errors.ts';
import { unsafe } from '../fault.ts';
import { type Assignment, type ConsumedRecord, GroupConsumer } from '../group-consumer.ts';
import { PartitionReader } from '../partition-reader.ts';
import { DEFAULT_PARTITIONS, DEFAULT_RESULT_PARTITIONS, type TopicNames, topicNames } from '../topics.ts';
import {
  type GroupGeneration,
  type OutgoingRecord,
  StaleGenerationError,
  type TopicPartition,
  TxnSession,
} from '../txn-session.ts';
import { type PartitionState, StateOverlay } from './aggregate-state.ts';
import { type BatchStats, type StageClock, stageClock, statsOf } from './batch-stats.ts';
import { deadLetter } from './dead-letters.ts';
import {
  type BatchPlan,
  type CommandRecord,
  type DecideContext,
  decideBatch,
  type Outcome,
} from './decide-batch.ts';
import { nodeHashes } from './fast-hashes.ts';
import { restorePartitions } from './restore.ts';
import { checkpointRecord, type EventOffsets, stateRecords } from './state-records.ts';

export type { BatchStages, BatchStats } from './batch-stats.ts';

/** A pino-compatible logger. */
export interface ProcessorLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

/** Options of a {@link CommandProcessor}. */
export interface CommandProcessorOptions {
  readonly connection: KafkaConnection;
  readonly registry: CommandRegistry;
  /** Deciders by aggregate type. */
  readonly deciders: ReadonlyMap<string, Decider<unknown>>;
  /** Unique per live process and stable across its restarts: it names the transactional id. */
  readonly instanceId: string;
  readonly topicPrefix?: string;
  readonly partitions?: number;
  readonly resultPartitions?: number;
  readonly groupId?: string;
  /** The group session timeout (ms): how soon a silent member's partitions move on. Default 10 s. */
  readonly sessionTimeoutMs?: number;
  /**
   * Most commands per transaction. Default 1,000: draining 200k commands (`npm run bench -- --only
   * drain --batch N`, 2 shared cores) ran ~18–22k/s with 1,000 and no faster with 2,000, while 500
   * paid the per-transaction round trips more often (~16–18k/s). A bigger batch makes an aborted or
   * bisected batch costlier and every result under load later.
   */
  readonly maxBatch?: number;
  /** How long to wait for a fuller batch (ms). Default 2: 10 ms measured no faster under a backlog. */
  readonly lingerMs?: number;
  readonly dedupWindow?: number;
  readonly schemaVersionOf?: DecideContext['schemaVersionOf'];
  readonly logger?: ProcessorLogger;
  readonly onBatch?: (stats: BatchStats) => void;
}

/** The default most commands per transaction. */
export const DEFAULT_MAX_BATCH = 1_000;

const silent: ProcessorLogger = { info() {}, warn() {}, error() {} };

/** A batch in flight: the next one is decided on its overlay; `done` settles `true` once it committed. */
interface Batch {
  readonly overlay: StateOverlay;
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
  #assignment: Assignment | undefined;
  #context: DecideContext | undefined;
  #fencedInARow = 0;
  #stopping = false;
  #loop: Promise<void> | undefined;
  /** The batch being written, if any. */
  #batch: Batch | undefined;
  /** Counts the barriers: records consumed before the latest one belong to a stream that was reopened. */
  #streamEpoch = 0;
  readonly #eventOffsets: EventOffsets = new WeakMap();

  constructor(options: CommandProcessorOptions) {
    this.#options = options;
    this.#topics = topicNames(options.topicPrefix);
    this.#log = options.logger ?? silent;
    this.transactionalId = `${options.topicPrefix ?? ''}processor-${options.instanceId}`;
    this.#consumer = new GroupConsumer({
      connection: options.connection,
      groupId: options.groupId ?? `${options.topicPrefix ?? ''}sluice-processor`,
      topics: [this.#topics.commands],
      bufferRecords: 2 * (options.maxBatch ?? DEFAULT_MAX_BATCH),
      ...(options.sessionTimeoutMs === undefined ? {} : { sessionTimeoutMs: options.sessionTimeoutMs }),
    });
    this.#reader = new PartitionReader({ connection: options.connection });
    this.#session = this.#newSession();
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
    const commandsTopicId = await this.#reader.topicId(this.#topics.commands);
    this.#context = {
      registry: this.#options.registry,
      deciders: this.#options.deciders,
      topics: this.#topics,
      partitions: this.#options.partitions ?? DEFAULT_PARTITIONS,
      commandsTopicId,
      dedupWindow: this.#options.dedupWindow ?? DEFAULT_DEDUP_WINDOW,
      hashes: nodeHashes,
      ...(this.#options.schemaVersionOf ? { schemaVersionOf: this.#options.schemaVersionOf } : {}),
    };
    await this.#consumer.join();
    while (!this.#stopping) {
      let event: Awaited<ReturnType<GroupConsumer['next']>>;
      try {
        event = await this.#consumer.next({
          maxRecords: this.#options.maxBatch ?? DEFAULT_MAX_BATCH,
          lingerMs: this.#options.lingerMs ?? 2,
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
    await this.#session.abort().catch(() => undefined);
    // Registering the transactional id fences a crashed predecessor and aborts what it left open; until
    // then its offsets keep the committed offsets unstable for up to the transaction timeout (15 s).
    await this.#session.transact(async () => undefined);
    const partitions = assignment.partitions.map((p) => p.partition);
    const committed = await this.#consumer.committedOffsets(assignment.partitions);
    const offsetOf = (partition: number) => committed.get(`${this.#topics.commands}/${partition}`);
    const kept = new Map<number, PartitionState>();
    for (const partition of partitions) {
      const state = this.#states.get(partition);
      // Our state is still the truth only if nobody committed past it meanwhile.
      const current = state?.checkpoint !== undefined && state.checkpoint === offsetOf(partition);
      if (state && (current || unsafe('no-barrier'))) kept.set(partition, state);
    }
    const toRestore = partitions.filter((partition) => !kept.has(partition));
    const started = Date.now();
    const restored = await restorePartitions({
      reader: this.#reader,
      topics: this.#topics,
      deciders: this.#options.deciders,
      partitions: toRestore,
      committed: new Map(toRestore.map((partition) => [partition, offsetOf(partition)])),
    });
    // Test-only `no-barrier`: state in memory is trusted across assignments, even of partitions lost meanwhile.
    const carried = unsafe('no-barrier') ? this.#states : [];
    this.#states = new Map([...carried, ...kept, ...restored.states]);
    const positions = partitions.map((partition) => ({
      topic: this.#topics.commands,
      partition,
      nextOffset: kept.get(partition)?.checkpoint ?? restored.resumeAt.get(partition) ?? 0n,
    }));
    this.#log.info(
      {
        generation: assignment.generation.generationId,
        partitions,
        restored: toRestore,
        aggregates: [...restored.states.values()].reduce((n, s) => n + s.aggregates.size, 0),
        ms: Date.now() - started,
      },
      'command partitions assigned',
    );
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
    let plan: BatchPlan | undefined;
    let failure: unknown;
    try {
      plan = decideBatch(records.map(toCommandRecord), overlay, this.#decideContext());
    } catch (error) {
      failure = error;
    }
    clock.lap('decide');
    const write = async (): Promise<boolean> => {
      const committedBefore = earlier === undefined || (await earlier.done.catch(() => false));
      clock.lap('wait');
      if (this.#streamEpoch !== streamEpoch) return false;
      if (!committedBefore) return this.#process(records);
      overlay.detach();
      const generation = this.#assignment?.generation;
      if (!generation) return false;
      try {
        if (!plan) throw failure;
        await this.#commit(plan, overlay, generation, clock);
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
    return { overlay, done };
  }

  /** Decides and writes a batch on the committed state alone; `true` when it committed. */
  async #process(records: readonly ConsumedRecord[]): Promise<boolean> {
    const generation = this.#assignment?.generation;
    if (!generation || records.length === 0) return false;
    const started = performance.now();
    const clock = stageClock();
    const overlay = new StateOverlay(this.#states);
    try {
      const plan = decideBatch(records.map(toCommandRecord), overlay, this.#decideContext());
      clock.lap('decide');
      await this.#commit(plan, overlay, generation, clock);
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
  ): Promise<void> {
    await this.#session.transact(async (txn) => {
      clock.lap('begin');
      const offsets = await txn.send(plan.events, this.#laterPartitions(plan));
      clock.lap('events');
      for (const [commandId, outcome] of plan.outcomes) {
        const last = outcome.events.at(-1);
        const entry = plan.remembered.get(commandId);
        if (last !== undefined && entry) this.#eventOffsets.set(entry, String(offsets[last]));
      }
      await txn.send([
        ...stateRecords(overlay, plan.checkpoints, this.#eventOffsets, this.#topics, this.#options.deciders),
        ...this.#results(plan, offsets),
        ...plan.forwards,
        ...plan.deadLetters,
      ]);
      clock.lap('records');
      await txn.sendOffsets(
        [...plan.checkpoints].map(([partition, nextOffset]) => ({
          topic: this.#topics.commands,
          partition,
          nextOffset,
        })),
        generation,
      );
      clock.lap('offsets');
    });
    clock.lap('commit');
    overlay.commitInto(this.#states, plan.checkpoints);
  }

  /**
   * The partitions the batch's second send writes (state, results, forwards, dead letters), known
   * before the first: one AddPartitionsToTxn for the whole transaction instead of one per send.
   */
  #laterPartitions(plan: BatchPlan): TopicPartition[] {
    const partitions: TopicPartition[] = [];
    for (const partition of plan.checkpoints.keys())
      partitions.push({ topic: this.#topics.processorState, partition });
    for (const { replyTo } of plan.replies)
      partitions.push({ topic: this.#topics.commandResults, partition: this.#replyPartition(replyTo) });
    for (const { topic, partition } of plan.forwards) partitions.push({ topic, partition });
    for (const { topic, partition } of plan.deadLetters) partitions.push({ topic, partition });
    return partitions;
  }

  #replyPartition(replyTo: number): number {
    return replyTo < (this.#options.resultPartitions ?? DEFAULT_RESULT_PARTITIONS) ? replyTo : 0;
  }

  #results(plan: BatchPlan, offsets: readonly bigint[]): OutgoingRecord[] {
    return plan.replies.map(({ outcome, replyTo }) => {
      const position = tokenFor(outcome.events, plan.events, offsets) ?? this.#storedToken(outcome);
      const result: CommandResult = position === undefined ? outcome.result : { ...outcome.result, position };
      return {
        topic: this.#topics.commandResults,
        partition: this.#replyPartition(replyTo),
        key: result.commandId,
        value: encodeCommandResult(result),
      };
    });
  }

  /** A duplicate's position: that of the first time's events. */
  #storedToken(outcome: Outcome): string | undefined {
    const stored = outcome.duplicateOf;
    if (!stored) return undefined;
    const offset = stored.entry.eventOffset ?? this.#eventOffsets.get(stored.entry);
    if (offset === undefined) return undefined;
    return encodePositionToken([{ topic: stored.topic, partition: stored.partition, offset }]);
  }

  /** What to do after a failed batch; the overlay is simply dropped, so committed state is untouched. */
  async #recover(
    error: unknown,
    records: readonly ConsumedRecord[],
    generation: GroupGeneration,
  ): Promise<void> {
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
        await this.#poison(toCommandRecord(record), error, generation);
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
    await this.#session.transact(async (txn) => {
      await txn.send([
        deadLetter(record, this.#topics.commandsDlq, ErrorCodes.INTERNAL_ERROR, message),
        checkpointRecord(this.#topics, record.partition, record.offset + 1n),
      ]);
      await txn.sendOffsets(
        [{ topic: this.#topics.commands, partition: record.partition, nextOffset: record.offset + 1n }],
        generation,
      );
    });
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
        const delayMs = Math.min(5_000, 100 * 2 ** attempt);
        this.#log.warn({ error: String(error), attempt, delayMs }, 'resynchronising failed; retrying');
        await sleep(delayMs);
      }
    }
  }

  #newSession(): TxnSession {
    // commands, processor-state and commands-dlq take records up to 4 MiB (DESIGN 2); the others the
    // broker's default 1 MiB.
    const large = new Set([this.#topics.processorState, this.#topics.commands, this.#topics.commandsDlq]);
    return new TxnSession({
      connection: this.#options.connection,
      transactionalId: this.transactionalId,
      partitionBatchBytes: (topic) => (large.has(topic) ? 3.5 * 1024 * 1024 : 960 * 1024),
    });
  }
}

function toCommandRecord(record: ConsumedRecord): CommandRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.value,
    headers: record.headers,
  };
}

function tokenFor(indexes: readonly number[], events: readonly OutgoingRecord[], offsets: readonly bigint[]) {
  if (indexes.length === 0) return undefined;
  return encodePositionToken(
    positionToken(
      indexes.map((i) => ({
        topic: events[i]?.topic ?? '',
        partition: events[i]?.partition ?? 0,
        offset: String(offsets[i] ?? 0n),
      })),
    ),
  );
}
