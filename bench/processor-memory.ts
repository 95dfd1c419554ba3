/**
 * `processorRssMb`: resident memory of a processor process holding N live aggregates (one job
 * command per user 1..N, all processed); `restoreSeconds`: after a graceful restart, from the new
 * process's spawn until it answers a command queued behind them (start, join, restore, process).
 */
import { readFile } from 'node:fs/promises';
import { startProcessorProcess } from '../packages/kafka/src/testing/processor-process.ts';
import { sleep } from './clock.ts';
import { type BenchContext, benchDeployment, preload } from './deployment.ts';
import { Job } from './job.ts';
import { checkDeployment } from './readback.ts';
import { ResultWatcher } from './result-watcher.ts';

/** A process's resident and peak resident memory in MB, from /proc. */
async function memoryOf(pid: number): Promise<{ rssMb: number; peakMb: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rssMb: Math.round(kb('VmRSS') / 1024), peakMb: Math.round(kb('VmHWM') / 1024) };
}

/** Loads N aggregates into a processor child, measures it, restarts it and times the restore. */
export async function memoryScenario(context: BenchContext) {
  const { sizes, log } = context;
  const deployment = await benchDeployment(context, 'memory');
  const watcher = new ResultWatcher(deployment.connection, deployment.topics.commandResults);
  const options = {
    brokers: context.brokers,
    prefix: deployment.prefix,
    partitions: context.partitions,
    instanceId: 'bench-memory',
  };
  let processor = startProcessorProcess(options);
  try {
    await watcher.start();
    // One command per user: ids 1..N, each a live aggregate (rejects and repeats as in the job).
    const job = new Job({ partitions: context.partitions, distinctUsers: true, seed: 17 });
    const commands = [];
    while (job.ledger.accepted < sizes.aggregates!) commands.push(job.nextCommand());
    log(`memory: ${commands.length} commands making ${job.ledger.accepted} aggregates`);
    await preload(deployment, commands);
    await watcher.waitForCount(commands.length);
    await sleep(2_000);
    const memory = await memoryOf(processor.pid!);
    const aggregates = job.ledger.accepted;
    log(`memory: ${memory.rssMb} MB resident with ${aggregates} aggregates (peak ${memory.peakMb} MB)`);
    await processor.terminate();
    await preload(deployment, job.take(1));
    const spawned = performance.now();
    processor = startProcessorProcess(options);
    await watcher.waitForCount(commands.length + 1);
    const restoreSeconds = Number(((performance.now() - spawned) / 1000).toFixed(2));
    const assigned = processor.lines.find((line) => line.event === 'assigned');
    log(`memory: restored and answering after ${restoreSeconds} s (${JSON.stringify(assigned)})`);
    await processor.terminate();
    const checks = await checkDeployment(deployment.connection, deployment.topics, job.ledger, log);
    return {
      results: { processorRssMb: memory.rssMb, restoreSeconds },
      details: { aggregates, peakRssMb: memory.peakMb, restoreMsReported: assigned?.ms },
      checks,
    };
  } finally {
    await processor.kill();
    await watcher.stop();
    await deployment.remove();
  }
}
