// Commands/s of the command processor draining a backlog: N UpdateUser commands (~120-byte values,
// 12 partitions, keyed by user id 1..10000) are written first, then an in-process CommandProcessor
// starts; the clock runs from the first result to the last (read_committed). One fresh deployment per
// batch size / linger pair. Usage:
//   node bench/processor-drain.ts [--brokers localhost:9092] [--commands 200000] [--configs 500:2,2000:2]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { decodeCommandResult } from '@sluice/core';
import {
  CommandProcessor,
  createAdmin,
  createProducer,
  ensureTopics,
  PartitionReader,
  partitionForKey,
  sluiceTopics,
  topicNames,
  tpKey,
} from '@sluice/kafka';
import { shopCommands, shopDeciders } from '@sluice/orders/domain';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? 'localhost:9092' },
    commands: { type: 'string', default: '200000' },
    configs: { type: 'string', default: '100:2,500:2,1000:2,2000:2,2000:10,5000:5' },
    partitions: { type: 'string', default: '12' },
  },
});
const connection = { brokers: values.brokers.split(','), clientId: 'sluice-bench' };
const total = Number(values.commands);
const partitions = Number(values.partitions);

async function drain(maxBatch: number, lingerMs: number) {
  const prefix = `bench-drain-${Date.now()}.`;
  const topics = topicNames(prefix);
  const admin = createAdmin(connection);
  const specs = sluiceTopics({ prefix, aggregateTypes: shopCommands.aggregateTypes(), partitions });
  await ensureTopics(admin, specs);
  const producer = createProducer(connection);
  let bytes = 0;
  for (let i = 0; i < total; i += 5_000) {
    const messages = Array.from({ length: Math.min(5_000, total - i) }, (_, j) => {
      const userId = String(((i + j) % 10_000) + 1);
      const value = JSON.stringify({
        type: 'UpdateUser',
        userId,
        newName: `Alice-${i + j}`,
        commandId: randomUUID(),
      });
      bytes += value.length;
      return {
        topic: topics.commands,
        partition: partitionForKey(userId, partitions),
        key: Buffer.from(userId),
        value: Buffer.from(value),
      };
    });
    await producer.send({ messages });
  }
  await producer.close();

  const processor = new CommandProcessor({
    connection,
    registry: shopCommands,
    deciders: new Map(Object.entries(shopDeciders)),
    instanceId: `${prefix}bench`,
    topicPrefix: prefix,
    partitions,
    maxBatch,
    lingerMs,
    onBatch: (stats) => {
      batches++;
      batchCommands += stats.commands;
      for (const [stage, ms] of Object.entries(stats.stages)) stageMs[stage] = (stageMs[stage] ?? 0) + ms;
    },
  });
  let batches = 0;
  let batchCommands = 0;
  const stageMs: Record<string, number> = {};
  const running = processor.start();
  const reader = new PartitionReader({ connection, maxWaitMs: 50, partitionMaxBytes: 8 * 1024 * 1024 });
  let seen = 0;
  let first = 0;
  let offset = 0n;
  while (seen < total) {
    const round = await reader.fetch([{ topic: topics.commandResults, partition: 0, offset }]);
    for (const record of round.records) {
      if (!record.value || !decodeCommandResult(record.value.toString())) continue;
      if (seen++ === 0) first = performance.now();
    }
    offset = round.next.get(tpKey(topics.commandResults, 0)) ?? offset;
  }
  const seconds = (performance.now() - first) / 1000;
  await processor.stop();
  await running.catch(() => undefined);
  await reader.close();
  await admin.deleteTopics({ topics: specs.map((spec) => spec.name) });
  await admin.close();
  return {
    maxBatch,
    lingerMs,
    commandsPerSec: Math.round(total / seconds),
    seconds: Number(seconds.toFixed(2)),
    commands: total,
    avgValueBytes: Math.round(bytes / total),
    avgBatch: Math.round(batchCommands / batches),
    avgStageMs: Object.fromEntries(
      Object.entries(stageMs).map(([stage, ms]) => [stage, Number((ms / batches).toFixed(2))]),
    ),
  };
}

const results = [];
for (const pair of values.configs.split(',')) {
  const [maxBatch = '500', lingerMs = '2'] = pair.split(':');
  const result = await drain(Number(maxBatch), Number(lingerMs));
  console.error(JSON.stringify(result));
  results.push(result);
}
console.log(JSON.stringify({ processorDrain: results, partitions }, null, 2));
