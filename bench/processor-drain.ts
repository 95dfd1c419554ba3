/**
 * The command processor under the #15 job: `drainCommandsPerSec` (a pre-loaded backlog, clock from
 * the first result to the last, read_committed) and `drainWithStartupPerSec` (clock from the
 * processor's construction), then, with the processor restarted and caught up,
 * `latencyAt1kMs` (a fixed rate, latency from each command's scheduled send time to its result). In
 * between, on the same backlog: the null processor and the raw transactional producer (their files).
 * With the null loop, drains and null loops alternate (four drains, each later one on a deployment
 * and backlog of its own, and three null loops), and each figure is the median of its runs: the
 * broker's speed drifts both ways as it runs, the ratio compares figures taken around the same
 * moments, and one run caught by a quiet or a busy broker (a null loop at 65,000 beside one at 40,000)
 * does not move it.
 * The processor runs in this process with its defaults, exactly as the shop runs it.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { CommandProcessor, DEFAULT_MAX_BATCH, type KafkaConnection, type TopicNames } from '@sluice/kafka';
import { shopCommands, shopDeciders } from '@sluice/orders/domain';
import { brokerCpuSince, brokerDetails, readBrokerCpu } from './broker-cpu.ts';
import { epochNow } from './clock.ts';
import {
  type BenchContext,
  type BenchDeployment,
  benchDeployment,
  percentiles,
  preload,
} from './deployment.ts';
import { type CheckReport, Job, type JobCommand } from './job.ts';
import { machineCpu, machineCpuSince } from './machine-cpu.ts';
import { nullProcessor, sampleRecords } from './null-processor.ts';
import type { RateDone, RateReady, RateSend, RateStart } from './rate-sender.ts';
import { rawTxnProduce } from './raw-txn-produce.ts';
import { checkDeployment } from './readback.ts';
import { ResultWatcher } from './result-watcher.ts';

/** What the processor scenario measured. */
export interface ProcessorFigures {
  readonly results: Record<string, unknown>;
  readonly details: Record<string, unknown>;
  readonly checks: CheckReport;
}

function startProcessor(connection: KafkaConnection, prefix: string, context: BenchContext) {
  const batches = { count: 0, commands: 0, largest: 0, stageMs: {} as Record<string, number> };
  const processor = new CommandProcessor({
    connection,
    registry: shopCommands,
    deciders: new Map(Object.entries(shopDeciders)),
    instanceId: 'bench',
    topicPrefix: prefix,
    partitions: context.partitions,
    ...(context.sizes.batch ? { maxBatch: context.sizes.batch } : {}),
    onBatch: (stats) => {
      batches.count++;
      batches.commands += stats.commands;
      batches.largest = Math.max(batches.largest, stats.commands);
      for (const [stage, ms] of Object.entries(stats.stages))
        batches.stageMs[stage] = (batches.stageMs[stage] ?? 0) + ms;
    },
  });
  const running = processor.start();
  running.catch((error: unknown) => context.log(`processor failed: ${String(error)}`));
  return {
    batches,
    async stop() {
      await processor.stop();
      await running.catch(() => undefined);
    },
  };
}

/**
 * Sends commands at a fixed rate from a worker thread (`rate-sender.ts`), each timed by the watcher
 * from its scheduled send time; resolves once the last one was written.
 */
async function sendAtRate(
  connection: KafkaConnection,
  topics: TopicNames,
  commands: readonly JobCommand[],
  rate: number,
  watcher: ResultWatcher,
): Promise<void> {
  const worker = new Worker(new URL('./rate-sender.ts', import.meta.url), {
    workerData: {
      connection,
      topic: topics.commands,
      commands: commands.map(({ partition, key, value }) => ({ partition, key, value })),
      rate,
    } satisfies RateSend,
  });
  const exited = once(worker, 'exit').then(([code]) => {
    throw new Error(`the rate sender exited with ${code}`);
  });
  exited.catch(() => undefined);
  const next = () => Promise.race([once(worker, 'message').then(([message]) => message), exited]);
  try {
    if ((await next()) !== ('ready' satisfies RateReady)) throw new Error('the rate sender did not start');
    const begin = epochNow() + 50;
    for (const [i, command] of commands.entries())
      watcher.expect(command.commandId, begin - performance.timeOrigin + (i * 1000) / rate);
    worker.postMessage({ begin } satisfies RateStart);
    const done = (await next()) as RateDone;
    if (!done.ok) throw new Error(`the rate sender failed: ${done.error}`);
  } finally {
    await worker.terminate();
  }
}

/** The broker is warm once its JIT compilers took less than this share of a core over a round. */
const WARM_JIT_SHARE = 0.05;
/** Rounds in a row under {@link WARM_JIT_SHARE} that end the warm-up. */
const QUIET_ROUNDS = 2;

/**
 * Drains backlogs on a deployment of its own, unmeasured: a freshly started broker's JVM and this
 * process's JIT are cold, and the first figures would otherwise measure their warm-up. With a broker
 * of this run's own, rounds go on until its JIT compilers go quiet (`broker-cpu.ts`), at most
 * `--warmup-rounds` of them; with `--brokers`, one round. On a fresh broker the compilers took half a
 * core in the first round and still a tenth to a third for a minute or two after, more whenever new
 * topics or another client's requests came along, so that the warm-up cuts them down for the first
 * figures without ever silencing them: each drain and null loop reports their share (`brokerJitShare`).
 */
async function warmUp(context: BenchContext): Promise<Record<string, unknown>[]> {
  const count = context.sizes.warmup!;
  context.log(`processor: warming up the broker and this process, ${count} commands a round (not measured)`);
  const deployment = await benchDeployment(context, 'warmup');
  const watcher = new ResultWatcher(deployment.connection, deployment.topics.commandResults);
  const job = new Job({ partitions: context.partitions, seed: 99 });
  const rounds: Record<string, unknown>[] = [];
  let processor: ReturnType<typeof startProcessor> | undefined;
  try {
    await watcher.start();
    // One processor throughout: a restarted one would restore a state that grows with every round.
    processor = startProcessor(deployment.connection, deployment.prefix, context);
    let quiet = 0;
    for (let round = 1; round <= context.sizes.warmupRounds!; round++) {
      const broker = readBrokerCpu(context.brokerPids);
      const began = performance.now();
      await preload(deployment, job.take(count));
      await watcher.waitForCount(round * count);
      const use = brokerCpuSince(broker, context.brokerPids);
      const figures = {
        commandsPerSec: Math.round(count / ((performance.now() - began) / 1000)),
        brokerJitShare: use?.jitShare,
      };
      rounds.push(figures);
      context.log(
        `processor: warm-up round ${round}, ${figures.commandsPerSec} commands/s` +
          (use ? `; the broker's JIT compilers took ${use.jitShare} of a core` : ''),
      );
      if (use === undefined) break;
      quiet = use.jitShare < WARM_JIT_SHARE ? quiet + 1 : 0;
      if (quiet === QUIET_ROUNDS) break;
    }
    return rounds;
  } finally {
    await processor?.stop();
    await watcher.stop();
    await deployment.remove();
  }
}

/** What one drain measured. */
interface DrainFigures {
  readonly commandsPerSec: number;
  readonly withStartupPerSec: number;
  readonly details: Record<string, unknown>;
}

/** Starts a processor on a deployment whose backlog of `count` commands is pre-loaded, and times it. */
async function drain(
  context: BenchContext,
  deployment: BenchDeployment,
  count: number,
  watcher: ResultWatcher,
): Promise<DrainFigures> {
  context.log('processor: draining the backlog');
  // Read first: a few ms of /proc files that neither the start-up time nor this thread's CPU should count.
  const brokerBefore = readBrokerCpu(context.brokerPids);
  const constructedAt = performance.now();
  // The processor's thread: how busy it was, and its CPU time per command (GC on it included).
  const loopBefore = performance.eventLoopUtilization();
  const cpuBefore = process.threadCpuUsage();
  // All of this process's threads: the processor's and the bench's result follower.
  const processBefore = process.cpuUsage();
  const machineBefore = machineCpu();
  const processor = startProcessor(deployment.connection, deployment.prefix, context);
  await watcher.waitForCount(count);
  const loop = performance.eventLoopUtilization(loopBefore);
  const cpu = process.threadCpuUsage(cpuBefore);
  const processCpu = process.cpuUsage(processBefore);
  const machine = machineCpuSince(machineBefore, count);
  const broker = brokerDetails(brokerCpuSince(brokerBefore, context.brokerPids), count);
  const { batches } = processor;
  await processor.stop();
  const seconds = (watcher.lastAt - watcher.firstAt) / 1000;
  const figures = {
    commandsPerSec: Math.round(count / seconds),
    withStartupPerSec: Math.round(count / ((watcher.lastAt - constructedAt) / 1000)),
    details: {
      commands: count,
      seconds: Number(seconds.toFixed(2)),
      startupSeconds: Number(((watcher.firstAt - constructedAt) / 1000).toFixed(2)),
      threadBusy: Number(loop.utilization.toFixed(3)),
      threadCpuUsPerCommand: Number(((cpu.user + cpu.system) / count).toFixed(1)),
      processCpuUsPerCommand: Number(((processCpu.user + processCpu.system) / count).toFixed(1)),
      ...machine,
      ...broker,
      batches: batches.count,
      avgBatch: Math.round(batches.commands / batches.count),
      largestBatch: batches.largest,
      avgStageMs: Object.fromEntries(
        Object.entries(batches.stageMs).map(([stage, ms]) => [
          stage,
          Number((ms / batches.count).toFixed(2)),
        ]),
      ),
    },
  };
  context.log(`processor: drain ${figures.commandsPerSec}/s (${JSON.stringify(figures.details)})`);
  return figures;
}

/** The drain again, on a deployment and backlog of its own (`seed`), checked like the first. */
async function drainAgain(
  context: BenchContext,
  seed: number,
): Promise<DrainFigures & { checks: CheckReport }> {
  const deployment = await benchDeployment(context, `processor-${seed}`);
  try {
    const job = new Job({ partitions: context.partitions, seed });
    const backlog = job.take(context.sizes.commands!);
    context.log(`processor: pre-loading ${backlog.length} commands for another drain`);
    await preload(deployment, backlog);
    const watcher = new ResultWatcher(deployment.connection, deployment.topics.commandResults);
    await watcher.start();
    const figures = await drain(context, deployment, backlog.length, watcher).finally(() => watcher.stop());
    const checks = await checkDeployment(deployment.connection, deployment.topics, job.ledger, context.log);
    return { ...figures, checks };
  } finally {
    await deployment.remove();
  }
}

/** The median of some figures (the mean of the middle two of an even count), rounded. */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return Math.round(sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2);
}

/** Seeds of the drains after the first, each on a deployment of its own. */
const LATER_DRAIN_SEEDS = [16, 17, 18];

/**
 * Drain, then null loop and drain alternately (three null loops, four drains in all, each later drain
 * on a deployment of its own), raw and latency; checks every deployment.
 */
export async function processorScenario(
  context: BenchContext,
  only: ReadonlySet<string>,
): Promise<ProcessorFigures> {
  const { sizes, log } = context;
  const deployment = await benchDeployment(context, 'processor');
  const results: Record<string, unknown> = {};
  const details: Record<string, unknown> = {};
  const laterChecks: CheckReport = {};
  try {
    if (sizes.warmup) details.warmup = await warmUp(context);
    const job = new Job({ partitions: context.partitions });
    const backlog = job.take(sizes.commands!);
    log(`processor: pre-loading ${backlog.length} commands`);
    await preload(deployment, backlog);
    const watcher = new ResultWatcher(deployment.connection, deployment.topics.commandResults);
    await watcher.start();

    const first = await drain(context, deployment, backlog.length, watcher);
    results.drainCommandsPerSec = first.commandsPerSec;
    results.drainWithStartupPerSec = first.withStartupPerSec;
    details.drain = first.details;

    const templates = await sampleRecords(deployment);
    details.recordBytes = Object.fromEntries(
      Object.entries(templates).map(([kind, record]) => [kind, record.value?.length ?? 0]),
    );
    log(`processor: the null and raw runs write records of ${JSON.stringify(details.recordBytes)} bytes`);
    const batch = sizes.batch || DEFAULT_MAX_BATCH;
    if (only.has('null')) {
      // The broker's speed moves by more than the target's margin within minutes, both ways: the null
      // loop runs between drains, three times, and the figures are the medians of the runs of each.
      const drains = [first];
      const nulls: Awaited<ReturnType<typeof nullProcessor>>[] = [];
      for (const [index, seed] of LATER_DRAIN_SEEDS.entries()) {
        nulls.push(await nullProcessor(context, deployment, templates, backlog.length, batch, index + 1));
        const again = await drainAgain(context, seed);
        drains.push(again);
        for (const [name, check] of Object.entries(again.checks)) laterChecks[`drain${seed}.${name}`] = check;
      }
      details.null = nulls;
      details.laterDrains = drains.slice(1).map((figures) => figures.details);
      const drainRates = drains.map((figures) => figures.commandsPerSec);
      details.drainsPerSec = drainRates;
      results.drainCommandsPerSec = median(drainRates);
      results.drainWithStartupPerSec = median(drains.map((figures) => figures.withStartupPerSec));
      results.nullProcessorPerSec = median(nulls.map((figures) => figures.commandsPerSec));
      results.drainVsNull = Number(
        ((results.drainCommandsPerSec as number) / (results.nullProcessorPerSec as number)).toFixed(3),
      );
      // What the ratio tends to once the machine's cores bind both (decision 0007): the CPU the whole
      // machine spends per command in a null loop over what it spends per command in a drain.
      const machineUs = (runs: readonly Record<string, unknown>[]) =>
        runs.reduce((sum, run) => sum + (run.machineCpuUsPerCommand as number), 0) / runs.length;
      details.machineCpuRatio = Number(
        (machineUs(nulls) / machineUs(drains.map((figures) => figures.details))).toFixed(3),
      );
      log(
        `processor: drains ${drains.map((figures) => figures.commandsPerSec).join(', ')}/s alternating with null loops of ${nulls.map((figures) => figures.commandsPerSec).join(', ')}/s; machine CPU per command null/drain ${details.machineCpuRatio}`,
      );
    }
    if (only.has('raw')) {
      const figures = await rawTxnProduce(context, templates, batch);
      results.rawTxnProducePerSec = figures.recordsPerSec;
      details.raw = figures;
    }

    if (only.has('latency')) {
      log('processor: restarting for the latency run');
      const processor = startProcessor(deployment.connection, deployment.prefix, context);
      const rate = sizes.latencyRate!;
      // Two seconds at the rate, untimed: connections, partitions joined to transactions and the JIT
      // warm up, so the figure is the steady state's (the first few hundred commands of a fresh
      // process take up to ~150 ms).
      const warmUp = job.take(rate * 2);
      await sendAtRate(deployment.connection, deployment.topics, warmUp, rate, watcher);
      await watcher.waitForCount(backlog.length + warmUp.length);
      const commands = job.take(sizes.latencyCommands!);
      log(`processor: ${commands.length} commands at ${rate}/s`);
      watcher.latencies.length = 0;
      await sendAtRate(deployment.connection, deployment.topics, commands, rate, watcher);
      await watcher.waitForCount(backlog.length + warmUp.length + commands.length);
      await processor.stop();
      results.latencyAt1kMs = percentiles(watcher.latencies);
      details.latency = { commands: commands.length, rate, timed: watcher.latencies.length };
      log(`processor: latency ${JSON.stringify(results.latencyAt1kMs)}`);
    }
    await watcher.stop();
    const checks = await checkDeployment(deployment.connection, deployment.topics, job.ledger, log);
    return { results, details, checks: { ...checks, ...laterChecks } };
  } finally {
    await deployment.remove();
  }
}
