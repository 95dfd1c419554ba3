/**
 * `nullProcessorPerSec`: a hand-written loop on the raw @platformatic/kafka consumer and TxnSession
 * that does the command processor's Kafka work and nothing else: read_committed consume of the same
 * commands, the same batch size, and per batch one transaction of the same records (one event, one
 * state record, one window record and one result per command, a checkpoint per partition: one
 * send), the consumed offsets in it, commit. No decoding, no deciders, no dedup: the ceiling for the
 * design on this machine. Records are copied from what the processor wrote in the drain run (the
 * state and window records of median size). It is clocked as a drain is: from the first of its
 * results seen read_committed to the last, by the same watcher, whose reading then takes the same
 * share of the two cores in both.
 */
import { Consumer, FetchIsolationLevels, type Message } from '@platformatic/kafka';
import {
  createAdmin,
  DEFAULT_FETCH_MAX_BYTES,
  DEFAULT_LINGER_MS,
  ensureTopics,
  type FetchedRecord,
  type OutgoingRecord,
  PartitionReader,
  TxnSession,
  tpKey,
} from '@sluice/kafka';
import { CHECKPOINT_KEY } from '../packages/kafka/src/processor/aggregate-state.ts';
import { fetchWaitOf } from '../packages/kafka/src/processor/processor-options.ts';
import { aggregateOfWindowKey } from '../packages/kafka/src/processor/window-records.ts';
import { brokerCpuSince, brokerDetails, readBrokerCpu } from './broker-cpu.ts';
import { type BenchContext, type BenchDeployment, deleteTopics } from './deployment.ts';
import { machineCpu, machineCpuSince } from './machine-cpu.ts';
import { ResultWatcher } from './result-watcher.ts';

/** One record of each kind the processor writes, as written in the drain run. */
export interface RecordTemplates {
  readonly event: FetchedRecord;
  readonly state: FetchedRecord;
  readonly window: FetchedRecord;
  readonly checkpoint: FetchedRecord;
  readonly result: FetchedRecord;
}

/** Reads one record of each kind from the start of partition 0 of the deployment's output topics. */
export async function sampleRecords(deployment: BenchDeployment): Promise<RecordTemplates> {
  const reader = new PartitionReader({ connection: deployment.connection });
  try {
    const first = async (topic: string, accept: (record: FetchedRecord) => boolean) => {
      const [start = 0n] = await reader.startOffsets(topic);
      const round = await reader.fetch([{ topic, partition: 0, offset: start }]);
      const record = round.records.find(accept);
      if (!record) throw new Error(`no record to copy in ${topic}`);
      return record;
    };
    const { topics } = deployment;
    const isCheckpoint = (record: FetchedRecord) => record.key?.toString() === CHECKPOINT_KEY;
    const isWindow = (record: FetchedRecord) =>
      aggregateOfWindowKey(record.key?.toString() ?? '') !== undefined;
    // State records differ in size with their aggregates' states and window records with their ids and
    // offsets: the median-sized one of each in a whole partition stands for them all.
    const [stateStart = 0n] = await reader.startOffsets(topics.processorState);
    const [stateEnd = 0n] = await reader.endOffsets(topics.processorState);
    const states: FetchedRecord[] = [];
    const windows: FetchedRecord[] = [];
    for (let offset = stateStart; offset < stateEnd; ) {
      const round = await reader.fetch([{ topic: topics.processorState, partition: 0, offset }]);
      const next = round.next.get(tpKey(topics.processorState, 0));
      if (next === undefined || next <= offset) break;
      for (const record of round.records) {
        if (isWindow(record)) windows.push(record);
        else if (!isCheckpoint(record)) states.push(record);
      }
      offset = next;
    }
    const median = (records: FetchedRecord[]) => {
      records.sort((a, b) => (a.value?.length ?? 0) - (b.value?.length ?? 0));
      const record = records[Math.floor(records.length / 2)];
      if (!record) throw new Error(`no record to copy in ${topics.processorState}`);
      return record;
    };
    return {
      event: await first(topics.events('user'), () => true),
      state: median(states),
      window: median(windows),
      checkpoint: await first(topics.processorState, isCheckpoint),
      result: await first(topics.commandResults, () => true),
    };
  } finally {
    await reader.close();
  }
}

/** Output topic names of a null or raw run. */
export interface OutputTopics {
  readonly events: string;
  readonly state: string;
  readonly results: string;
}

const headersOf = (record: FetchedRecord) => Object.fromEntries(record.headers);

/**
 * The records of one batch in one send, as the processor makes it once it knows where its events
 * go (decision 0007, item 12): events, then states, checkpoints and results.
 */
export function batchRecords(
  templates: RecordTemplates,
  out: OutputTopics,
  commands: readonly { partition: number; key: Buffer | null }[],
): OutgoingRecord[] {
  const events: OutgoingRecord[] = [];
  const rest: OutgoingRecord[] = [];
  const partitions = new Set<number>();
  const eventHeaders = headersOf(templates.event);
  for (const { partition, key } of commands) {
    partitions.add(partition);
    const event = { topic: out.events, partition, value: templates.event.value ?? '', headers: eventHeaders };
    events.push(key ? { ...event, key } : event);
    rest.push({
      topic: out.state,
      partition,
      key: templates.state.key ?? '',
      value: templates.state.value ?? '',
    });
    rest.push({
      topic: out.state,
      partition,
      key: templates.window.key ?? '',
      value: templates.window.value ?? '',
    });
  }
  for (const partition of partitions)
    rest.push({ topic: out.state, partition, key: CHECKPOINT_KEY, value: templates.checkpoint.value ?? '' });
  for (let i = 0; i < commands.length; i++)
    rest.push({
      topic: out.results,
      partition: 0,
      key: templates.result.key ?? '',
      value: templates.result.value ?? '',
    });
  return [...events, ...rest];
}

/** Creates the output topics of a null or raw run (same partitions as the deployment). */
export async function outputTopics(context: BenchContext, name: string): Promise<OutputTopics> {
  const prefix = `bench-${name}-${Date.now()}.`;
  const out = { events: `${prefix}events`, state: `${prefix}state`, results: `${prefix}results` };
  const admin = createAdmin({ brokers: context.brokers, clientId: `${prefix}bench` });
  await ensureTopics(admin, [
    { name: out.events, role: 'events', partitions: context.partitions, configs: {} },
    { name: out.state, role: 'events', partitions: context.partitions, configs: {} },
    { name: out.results, role: 'events', partitions: 12, configs: {} },
  ]);
  await admin.close();
  return out;
}

const passBuffer = (data?: Buffer) => data;

/**
 * Drains `total` commands of the deployment's `commands` topic with the null loop; `run` numbers the
 * loops over one deployment (each its own group and output topics, so each reads the whole backlog).
 */
export async function nullProcessor(
  context: BenchContext,
  deployment: BenchDeployment,
  templates: RecordTemplates,
  total: number,
  batch: number,
  run = 1,
) {
  const out = await outputTopics(context, `null-${run}`);
  const groupId = `${deployment.prefix}null-processor-${run}`;
  const fetchWait = fetchWaitOf(DEFAULT_LINGER_MS);
  const consumer = new Consumer({
    clientId: `${deployment.prefix}null`,
    bootstrapBrokers: [...context.brokers],
    groupId,
    groupProtocol: 'classic',
    autocommit: false,
    isolationLevel: FetchIsolationLevels.READ_COMMITTED,
    // Fetches that wait for a batch and are bounded as the processor's are.
    maxWaitTime: fetchWait.maxWaitMs,
    minBytes: fetchWait.minBytes,
    maxBytes: DEFAULT_FETCH_MAX_BYTES,
    maxBytesPerPartition: DEFAULT_FETCH_MAX_BYTES,
    deserializers: { key: passBuffer, value: passBuffer, headerKey: passBuffer, headerValue: passBuffer },
  });
  const session = new TxnSession({ connection: deployment.connection, transactionalId: `${groupId}-txn` });
  const watcher = new ResultWatcher(deployment.connection, out.results);
  context.log(`null: draining ${total} commands, ${batch} per transaction`);
  try {
    await watcher.start();
    const stream = await consumer.consume({
      topics: [deployment.topics.commands],
      mode: 'earliest',
      autocommit: false,
    });
    const buffer: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
    let wake: (() => void) | undefined;
    stream.on('data', (message: Message<Buffer, Buffer, Buffer, Buffer>) => {
      buffer.push(message);
      if (buffer.length >= 10_000) stream.pause();
      wake?.();
    });
    const generation = {
      groupId,
      generationId: consumer.generationId,
      memberId: consumer.memberId ?? '',
      coordinatorId: consumer.coordinatorId ?? -1,
    };
    let done = 0;
    const brokerBefore = readBrokerCpu(context.brokerPids);
    // This thread's CPU time per command, to set beside the processor's (`threadCpuUsPerCommand`).
    const cpuBefore = process.threadCpuUsage();
    const machineBefore = machineCpu();
    let firstAt = 0;
    let lastAt = 0;
    let transactions = 0;
    while (done < total) {
      if (buffer.length === 0) {
        // As the processor does, take what the fetch brought: the broker waited for a batch.
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 1_000);
        });
        continue;
      }
      const records = buffer.splice(0, batch);
      if (stream.isPaused() && buffer.length < 5_000) stream.resume();
      const next = new Map<number, bigint>();
      for (const record of records) next.set(record.partition, record.offset + 1n);
      const sent = batchRecords(templates, out, records);
      await session.transact(async (txn) => {
        await txn.send(sent);
        await txn.sendOffsets(
          [...next].map(([partition, nextOffset]) => ({
            topic: deployment.topics.commands,
            partition,
            nextOffset,
          })),
          generation,
        );
      });
      transactions++;
      done += records.length;
      lastAt = performance.now();
      if (firstAt === 0) firstAt = lastAt;
    }
    const cpu = process.threadCpuUsage(cpuBefore);
    await watcher.waitForCount(total);
    const machine = machineCpuSince(machineBefore, total);
    const broker = brokerDetails(brokerCpuSince(brokerBefore, context.brokerPids), total);
    await stream.close();
    const seconds = (watcher.lastAt - watcher.firstAt) / 1000;
    const figures = {
      commandsPerSec: Math.round(total / seconds),
      seconds: Number(seconds.toFixed(2)),
      // Its own clock, from the end of its first transaction to the end of its last.
      committedPerSec: Math.round(total / ((lastAt - firstAt) / 1000)),
      transactions,
      threadCpuUsPerCommand: Number(((cpu.user + cpu.system) / total).toFixed(1)),
      ...machine,
      ...broker,
      recordsPerCommand: 4,
      recordBytes: {
        event: (templates.event.value?.length ?? 0) + (templates.event.key?.length ?? 0),
        state: (templates.state.value?.length ?? 0) + (templates.state.key?.length ?? 0),
        window: (templates.window.value?.length ?? 0) + (templates.window.key?.length ?? 0),
        result: (templates.result.value?.length ?? 0) + (templates.result.key?.length ?? 0),
      },
    };
    context.log(
      `null: ${figures.commandsPerSec}/s (${figures.committedPerSec}/s by its own clock), ` +
        `${figures.threadCpuUsPerCommand} µs of CPU per command ` +
        `(${machine.machineCpuUsPerCommand} µs of the machine's, busy ${machine.machineBusy}` +
        (broker.brokerJitShare === undefined
          ? ')'
          : `; the broker's JIT compilers ${broker.brokerJitShare} of a core)`),
    );
    return figures;
  } finally {
    await watcher.stop();
    await session.close().catch(() => undefined);
    await consumer.close(true).catch(() => undefined);
    await deleteTopics(deployment.connection, Object.values(out));
  }
}
