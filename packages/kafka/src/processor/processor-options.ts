import { type CommandRegistry, DEFAULT_DEDUP_WINDOW, type Decider } from '@sluice/core';
import type { KafkaConnection } from '../client.ts';
import { DEFAULT_PARTITIONS, type TopicNames } from '../topics.ts';
import type { BatchStats } from './batch-stats.ts';
import type { DecideContext } from './decide-batch.ts';
import { nodeHashes } from './fast-hashes.ts';

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
  /**
   * How long to wait for a fuller batch (ms). Default 20: the wait overlaps the commit of the batch
   * before it, so under light load it halves the transactions at little latency. The broker waits,
   * not the processor: a fetch asks for a batch's worth of bytes and at most this long, so a command
   * waits for the fetch in progress (10 ms on average) and the processor sends one fetch per batch,
   * not one per command or two (figures in docs/decisions/0007-processor-throughput.md, items 7
   * and 19). With 0, a fetch answers with the first command and the batch is what it brought.
   */
  readonly lingerMs?: number;
  readonly dedupWindow?: number;
  readonly schemaVersionOf?: DecideContext['schemaVersionOf'];
  readonly logger?: ProcessorLogger;
  readonly onBatch?: (stats: BatchStats) => void;
}

/** The default wait for a fuller batch (ms); see {@link CommandProcessorOptions.lingerMs}. */
export const DEFAULT_LINGER_MS = 20;

/**
 * How the processor's fetches wait for a batch (see {@link CommandProcessorOptions.lingerMs}): for
 * `minBytes` (a full batch of the #15 job's commands, ~170 bytes each, is ~170 KB) or `maxWaitMs`,
 * whichever comes first; without a linger, for the first command or 100 ms.
 */
export function fetchWaitOf(lingerMs: number): { maxWaitMs: number; minBytes: number } {
  return lingerMs > 0 ? { maxWaitMs: lingerMs, minBytes: 256 * 1024 } : { maxWaitMs: 100, minBytes: 1 };
}

/** The default most commands per transaction. */
export const DEFAULT_MAX_BATCH = 1_000;

/**
 * The Node flags a process that runs a processor should start with (`node ${flags} main.ts`; V8
 * reads them when it sets up the heap, so they cannot be set from inside). Its live state is small,
 * but with V8's defaults a full-speed drain leaves the heap several times larger: a 64 MB semi-space
 * (128 MB of young generation on a machine with 16 GB or more) and an old generation grown with
 * short-lived objects that allocation-site pretenuring placed there. With these, a processor holding
 * 100,000 aggregates stays at ~360–380 MB RSS instead of ~500–590, at the same drain rate (BENCH.md).
 * `--no-allocation-site-pretenuring` is a V8 flag that NODE_OPTIONS does not take: pass it on the
 * command line.
 */
export const PROCESSOR_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=32',
  '--no-allocation-site-pretenuring',
];

/** The {@link PROCESSOR_NODE_FLAGS} this process was started without. */
export function missingProcessorNodeFlags(execArgv: readonly string[] = process.execArgv): string[] {
  return PROCESSOR_NODE_FLAGS.filter((flag) => !execArgv.includes(flag));
}

/**
 * The byte budget of one partition's records in one produce request: `commands`, `processor-state`
 * and `commands-dlq` take records up to 4 MiB (DESIGN 2), the others the broker's default 1 MiB.
 */
export function partitionBatchBytes(topics: TopicNames): (topic: string) => number {
  const large = new Set([topics.processorState, topics.commands, topics.commandsDlq]);
  return (topic) => (large.has(topic) ? 3.5 * 1024 * 1024 : 960 * 1024);
}

/** The logger of a processor given none. */
export const silentLogger: ProcessorLogger = { info() {}, warn() {}, error() {} };

/** What deciding a batch needs, from the processor's options. */
export function decideContextOf(
  options: CommandProcessorOptions,
  topics: TopicNames,
  commandsTopicId: string,
): DecideContext {
  return {
    registry: options.registry,
    deciders: options.deciders,
    topics,
    partitions: options.partitions ?? DEFAULT_PARTITIONS,
    commandsTopicId,
    dedupWindow: options.dedupWindow ?? DEFAULT_DEDUP_WINDOW,
    hashes: nodeHashes,
    ...(options.schemaVersionOf ? { schemaVersionOf: options.schemaVersionOf } : {}),
  };
}
