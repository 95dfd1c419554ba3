/**
 * `commandsPerSec`: the job end to end through the gateway client (sent, processed by a processor in
 * a process of its own, result received), many commands in flight; then, once the projection has read
 * past the burst's events, `visibilityLatencyMs`: at a fixed rate, from each command's scheduled send
 * time until its event is readable in the users projection (PostgreSQL, projector in this process):
 * the projection's stored offsets pass the command's position token, seen through the store's change
 * notifications.
 */
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { decodePositionToken, isSatisfiedBy, mergePositionTokens, type PositionToken } from '@sluice/core';
import { CommandGateway } from '@sluice/kafka';
import { shopCommands } from '@sluice/orders/domain';
import { usersProjection } from '@sluice/orders/projections';
import { openPostgresStore, Projector, parseTopicPartitionKey, type ReadStore } from '@sluice/store';
import { dropSchema } from '@sluice/store/testing';
import { startProcessorProcess } from '../packages/kafka/src/testing/processor-process.ts';
import { sleep } from './clock.ts';
import { type BenchContext, benchDeployment, percentiles } from './deployment.ts';
import { Job, type JobCommand } from './job.ts';
import { machineCpu, machineCpuSince } from './machine-cpu.ts';
import { checkDeployment } from './readback.ts';

const asCommand = (command: JobCommand) => ({
  type: 'UpdateUser',
  data: { userId: command.userId, newName: command.newName },
  metadata: { commandId: command.commandId },
});

/** Calls `onOffsets` after every committed batch of the projection (and every 100 ms regardless). */
async function visibleOffsets(
  store: ReadStore,
  topic: string,
  onOffsets: (next: { topic: string; partition: number; nextOffset: bigint }[]) => void,
) {
  let stopped = false;
  // A notification that arrives while the offsets are read is kept for the next turn: dropped, the
  // loop would sleep until the next batch's notification (or 100 ms) and time that wait too.
  let changed = false;
  let wake: (() => void) | undefined;
  const unsubscribe = await store.subscribeChanges(usersProjection.name, () => {
    changed = true;
    wake?.();
  });
  const loop = (async () => {
    while (!stopped) {
      changed = false;
      const offsets = await store.readOffsets(usersProjection.name, usersProjection.version);
      onOffsets(
        [...offsets]
          .map(([tp, nextOffset]) => ({ ...parseTopicPartitionKey(tp), nextOffset }))
          .filter((entry) => entry.topic === topic),
      );
      if (changed || stopped) continue;
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 100);
      });
      wake = undefined;
    }
  })();
  return async () => {
    stopped = true;
    wake?.();
    await loop;
    await unsubscribe();
  };
}

/** A result's position token, decoded; a bad one is a bug in the processor. */
function positionToken(text: string): PositionToken {
  const decoded = decodePositionToken(text);
  if (!decoded.ok) throw new Error(`bad position token ${text}`);
  return decoded.token;
}

/** Waits until `done()` holds (checked every 10 ms) and returns how long that took; throws past `limitMs`. */
async function waitFor(done: () => boolean, limitMs: number): Promise<number> {
  const started = performance.now();
  while (!done()) {
    if (performance.now() - started > limitMs) throw new Error(`not done after ${limitMs} ms`);
    await sleep(10);
  }
  return performance.now() - started;
}

/** Runs the gateway and visibility measurements on a deployment of their own. */
export async function gatewayScenario(context: BenchContext) {
  const { sizes, log } = context;
  const deployment = await benchDeployment(context, 'gateway');
  const schema = `bench_gateway_${randomBytes(3).toString('hex')}`;
  const processor = startProcessorProcess({
    brokers: context.brokers,
    prefix: deployment.prefix,
    partitions: context.partitions,
    instanceId: 'bench-gateway',
  });
  const store = await openPostgresStore({ connectionString: context.databaseUrl, schema });
  const projector = new Projector({
    store,
    connection: deployment.connection,
    projection: usersProjection,
    topicPrefix: deployment.prefix,
  });
  const gateway = new CommandGateway({
    connection: deployment.connection,
    registry: shopCommands,
    topicPrefix: deployment.prefix,
    partitions: context.partitions,
    replyPartition: 1,
    timeoutMs: 60_000,
  });
  try {
    await processor.waitForAssignment();
    await projector.start();
    await gateway.start();
    const job = new Job({ partitions: context.partitions, seed: 16 });
    const commands = job.take(sizes.gatewayCommands!);
    log(`gateway: ${commands.length} commands, ${sizes.gatewayConcurrency} in flight`);
    let next = 0;
    let pending = 0;
    // Where the burst's events end: the projection is caught up with it once it has read past them.
    const burstPositions: string[] = [];
    const started = performance.now();
    await Promise.all(
      Array.from({ length: sizes.gatewayConcurrency! }, async () => {
        while (next < commands.length) {
          const outcome = await gateway.send(asCommand(commands[next++]!));
          if (outcome.status !== 'done') pending++;
          else if (outcome.result.position !== undefined) burstPositions.push(outcome.result.position);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const commandsPerSec = Math.round(commands.length / seconds);
    log(`gateway: ${commandsPerSec}/s (${pending} still pending after 60 s)`);

    const topic = deployment.topics.events('user');
    const waiting: { token: PositionToken; scheduled: number }[] = [];
    const latencies: number[] = [];
    const answered: number[] = [];
    let visible: { topic: string; partition: number; nextOffset: bigint }[] = [];
    const stopWatching = await visibleOffsets(store, topic, (offsets) => {
      visible = offsets;
      const now = performance.now();
      for (let i = waiting.length - 1; i >= 0; i--) {
        const entry = waiting[i]!;
        if (!isSatisfiedBy(entry.token, offsets, [topic])) continue;
        latencies.push(now - entry.scheduled);
        waiting.splice(i, 1);
      }
    });
    // Visibility is timed from a steady state: once the projection has read past the burst's events
    // (0.2–0.3 s after its last result on 2 cores), so that no timed command waits behind them.
    const burstEnd = mergePositionTokens(...burstPositions.map(positionToken));
    const caughtUp = await waitFor(() => isSatisfiedBy(burstEnd, visible, [topic]), 60_000);
    log(`gateway: the projection caught up with the burst ${caughtUp.toFixed(0)} ms after its last result`);
    const rate = sizes.visibilityRate!;
    const timed = job.take(sizes.visibilityCommands!);
    log(`gateway: visibility of ${timed.length} commands at ${rate}/s`);
    const start = performance.now() + 50;
    const sends: Promise<unknown>[] = [];
    // Where a slow command's time went: the machine's load, this process's event loop (gateway,
    // projector and store share it), and the processor's batches (its child prints each one).
    const machineBefore = machineCpu();
    const loopDelay = monitorEventLoopDelay({ resolution: 5 });
    loopDelay.enable();
    const batchesBefore = processor.lines.length;
    for (const [i, command] of timed.entries()) {
      const scheduled = start + (i * 1000) / rate;
      await sleep(scheduled - performance.now());
      sends.push(
        gateway.send(asCommand(command)).then((outcome) => {
          if (outcome.status !== 'done') {
            pending++;
            return;
          }
          answered.push(performance.now() - scheduled);
          const { position, code } = outcome.result;
          // Only a command that wrote an event has an effect to see; a repeat's was seen long ago.
          if (position === undefined || command.duplicateOf !== undefined || code !== 'OK') return;
          const token = positionToken(position);
          if (isSatisfiedBy(token, visible, [topic])) latencies.push(performance.now() - scheduled);
          else waiting.push({ token, scheduled });
        }),
      );
    }
    await Promise.all(sends);
    loopDelay.disable();
    const { machineBusy } = machineCpuSince(machineBefore, timed.length);
    const batchMs = percentiles(
      processor.lines
        .slice(batchesBefore)
        .filter((line) => line.event === 'batch')
        .map((line) => Number(line.durationMs)),
    );
    for (let waited = 0; waiting.length > 0 && waited < 30_000; waited += 100) await sleep(100);
    await stopWatching();
    if (waiting.length > 0) throw new Error(`${waiting.length} commands never became visible`);
    const visibilityLatencyMs = percentiles(latencies);
    log(
      `gateway: visibility ${JSON.stringify(visibilityLatencyMs)}, result ${JSON.stringify(percentiles(answered))}`,
    );
    await processor.terminate();
    const checks = await checkDeployment(deployment.connection, deployment.topics, job.ledger, log);
    if (pending > 0) checks.everyCommandAnswered = { ok: false, detail: `${pending} commands still pending` };
    return {
      results: {
        commandsPerSec,
        visibilityLatencyMs: { p50: visibilityLatencyMs.p50, p99: visibilityLatencyMs.p99 },
      },
      details: {
        commands: commands.length,
        seconds: Number(seconds.toFixed(2)),
        concurrency: sizes.gatewayConcurrency,
        visibility: {
          commands: timed.length,
          rate,
          timed: latencies.length,
          ...visibilityLatencyMs,
          afterCatchUpMs: Math.round(caughtUp),
          machineBusy,
          benchEventLoopDelayMs: { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 },
          processorBatchMs: batchMs,
        },
        resultLatencyMs: percentiles(answered),
      },
      checks,
    };
  } finally {
    await gateway.close().catch(() => undefined);
    await projector.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    await processor.kill();
    await dropSchema(schema).catch(() => undefined);
    await deployment.remove();
  }
}
