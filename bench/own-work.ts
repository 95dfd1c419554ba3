/**
 * The command processor's own work without Kafka: batches of the #15 job decided and their records
 * built (events, states, results) in memory, as the processor does between a fetch and a send. What
 * is left of a drain's CPU once the client's consume and produce paths are taken out, and far less
 * noisy than a drain, so a change to the decide or encode paths can be measured in a minute:
 *
 *   npx node --max-semi-space-size=32 --no-allocation-site-pretenuring bench/own-work.ts [--commands N] [--passes N]
 *
 * Each pass starts from empty state and decides N commands (default 200,000: the windows grow as in a
 * drain); it prints the pass's wall and CPU time per command, GC included, and the GC pauses' share of
 * it (scavenges, then marking). With `--encode`, each batch's records are also encoded into record
 * batches by the Kafka client, one per topic partition as its producer does (transactional, no
 * compression). Add `--cpu-prof` to profile it. Not part of `npm run bench`.
 */
import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { setImmediate } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { createRecordsBatch, type MessageRecord, type MessageToProduce } from '@platformatic/kafka';
import { shopCommands, shopDeciders } from '@sluice/orders/domain';
import { type PartitionState, StateOverlay } from '../packages/kafka/src/processor/aggregate-state.ts';
import { prepareBatch } from '../packages/kafka/src/processor/batch-write.ts';
import type { CommandRecord } from '../packages/kafka/src/processor/command-record.ts';
import { decideBatch } from '../packages/kafka/src/processor/decide-batch.ts';
import { OffsetForecast } from '../packages/kafka/src/processor/offset-forecast.ts';
import { DEFAULT_MAX_BATCH, decideContextOf } from '../packages/kafka/src/processor/processor-options.ts';
import { topicNames } from '../packages/kafka/src/topics.ts';
import { Job } from './job.ts';

const { values } = parseArgs({
  options: {
    commands: { type: 'string', default: '200000' },
    passes: { type: 'string', default: '6' },
    encode: { type: 'boolean', default: false },
  },
});
const count = Number(values.commands);
const passes = Number(values.passes);
const PARTITIONS = 12;
const topics = topicNames('own-work.');
const deciders = new Map(Object.entries(shopDeciders));
const context = decideContextOf(
  {
    connection: { brokers: [], clientId: 'own-work' },
    registry: shopCommands,
    deciders,
    instanceId: 'own-work',
    partitions: PARTITIONS,
  },
  topics,
  'AAAAAAAAAAAAAAAAAAAAAA',
);

/** The job's commands as the processor's consumer hands them on. */
function commandRecords(seed: number): CommandRecord[] {
  const next = new Array<bigint>(PARTITIONS).fill(0n);
  return new Job({ partitions: PARTITIONS, seed }).take(count).map(({ partition, key, value }) => {
    const offset = next[partition]!;
    next[partition] = offset + 1n;
    return { topic: topics.commands, partition, offset, key, value, headers: new Map() };
  });
}

/**
 * Record batches as the client's producer makes them for a transactional send: each message copied
 * into an object of one shape (as its `#send` does), then one batch per partition.
 */
function encode(records: readonly MessageToProduce[]): number {
  const byPartition = new Map<string, MessageRecord[]>();
  for (const { key: recordKey, value, headers, topic, partition } of records) {
    const copy = { key: recordKey, value, headers, topic, partition, timestamp: undefined };
    const message = copy as unknown as MessageRecord;
    const key = `${topic}:${partition}`;
    const group = byPartition.get(key);
    if (group) group.push(message);
    else byPartition.set(key, [message]);
  }
  let bytes = 0;
  for (const group of byPartition.values())
    bytes += createRecordsBatch(group, {
      transactionalId: 'own-work',
      producerId: 1n,
      producerEpoch: 0,
    }).length;
  return bytes;
}

let records = 0;
let encodedBytes = 0;
/** GC pauses of the running pass, in ms: minor (scavenges) and major (mark-compact). */
const gc = { minor: 0, major: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { kind } = (entry as PerformanceEntry & { detail: { kind: number } }).detail;
    // perf_hooks' NODE_PERFORMANCE_GC_MINOR is 1; every other kind is a full or incremental mark.
    if (kind === 1) gc.minor += entry.duration;
    else gc.major += entry.duration;
  }
}).observe({ entryTypes: ['gc'] });
for (let pass = 0; pass < passes; pass++) {
  const states = new Map<number, PartitionState>();
  for (let partition = 0; partition < PARTITIONS; partition++)
    states.set(partition, { partition, aggregates: new Map(), checkpoint: undefined });
  // As if every events partition held one record: the first batch's offsets are forecast too.
  const forecast = new OffsetForecast();
  const starts = shopCommands.aggregateTypes().flatMap((type) =>
    Array.from({ length: PARTITIONS }, (_, partition) => ({
      topic: topics.events(type),
      partition,
      value: '',
    })),
  );
  forecast.learn(
    starts,
    starts.map(() => -2n),
  );
  const writeContext = { topics, deciders, resultPartitions: PARTITIONS, forecast };
  const commands = commandRecords(100 + pass);
  // Not the commands' making: its GC entries are delivered before the counts start.
  await setImmediate();
  gc.minor = 0;
  gc.major = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let from = 0; from < commands.length; from += DEFAULT_MAX_BATCH) {
    const overlay = new StateOverlay(states);
    const plan = decideBatch(commands.slice(from, from + DEFAULT_MAX_BATCH), overlay, context);
    const prepared = prepareBatch(plan, overlay, writeContext);
    if (!prepared) throw new Error('a batch could not be prepared');
    records += prepared.records.length;
    if (values.encode) encodedBytes += encode(prepared.records as MessageToProduce[]);
    // Written as forecast: the next batch's offsets follow on.
    forecast.learn(plan.events, prepared.offsets);
    overlay.commitInto(states, plan.checkpoints);
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  // The pass's GC entries are delivered on a later turn of the event loop.
  await setImmediate();
  const perCommand = (microseconds: number) => ((microseconds * 1000) / count).toFixed(0);
  process.stdout.write(
    `pass ${pass}: ${perCommand(ms * 1000)} ns a command (wall), ${perCommand(cpu.user + cpu.system)} ns of CPU, GC ${perCommand(gc.minor * 1000)} + ${perCommand(gc.major * 1000)} ns (minor + major)\n`,
  );
}
process.stdout.write(
  `${records} records built${values.encode ? `, ${encodedBytes} bytes of record batches` : ''}\n`,
);
