import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { consoleConsume, consoleProduce, createTopic } from './console-tools.ts';
import { fetchMetadata } from './kafka-wire.ts';
import { openLocalKafka, startLocalKafka } from './local-kafka.ts';

// Ports of their own: 29392/29394/29396, controllers one above each.
const PORT = 29392;

test('three nodes form one cluster; a killed node restarts and rejoins as an in-sync replica', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-local-kafka-3-'));
  t.after(async () => {
    await openLocalKafka({ dataDir })
      .stop()
      .catch(() => {});
    await rm(dataDir, { recursive: true, force: true });
  });
  const kafka = await startLocalKafka({ dataDir, brokers: 3, port: PORT });
  assert.deepEqual(kafka.brokers, ['localhost:29392', 'localhost:29394', 'localhost:29396']);
  assert.deepEqual(
    kafka.nodes.map((node) => [node.id, node.port, node.isRunning()]),
    [
      [1, 29392, true],
      [2, 29394, true],
      [3, 29396, true],
    ],
  );
  for (const node of kafka.nodes) {
    const metadata = await fetchMetadata('127.0.0.1', node.port);
    assert.deepEqual(
      metadata.brokers.map((b) => b.nodeId).sort(),
      [1, 2, 3],
      `brokers seen by node ${node.id}`,
    );
  }

  const topic = 'local-kafka-rf3';
  await createTopic({ brokers: kafka.brokers, topic, partitions: 3 }); // RF 3 is the cluster default
  // The new topic reaches each broker's metadata cache a moment after the create returns.
  let created = await fetchMetadata('127.0.0.1', PORT, { topics: [topic] });
  for (let i = 0; i < 100 && (created.topics[0]?.partitions.length ?? 0) < 3; i++) {
    await sleep(100);
    created = await fetchMetadata('127.0.0.1', PORT, { topics: [topic] });
  }
  assert.deepEqual(
    created.topics[0]?.partitions.map((p) => p.replicas.length),
    [3, 3, 3],
  );
  await consoleProduce({ brokers: kafka.brokers, topic, records: [{ key: 'seat-1', value: 'booked' }] });

  const victim = kafka.nodes[1]!;
  const pid = victim.pid();
  await victim.kill();
  assert.equal(victim.isRunning(), false);
  await assert.rejects(fetchMetadata('127.0.0.1', victim.port));

  await victim.restart();
  assert.equal(victim.isRunning(), true);
  assert.notEqual(victim.pid(), pid);
  for (const node of kafka.nodes) {
    const metadata = await fetchMetadata('127.0.0.1', node.port);
    assert.deepEqual(
      metadata.brokers.map((b) => b.nodeId).sort(),
      [1, 2, 3],
      `brokers seen by node ${node.id}`,
    );
  }
  await waitUntil(async () => {
    const metadata = await fetchMetadata('127.0.0.1', PORT, { topics: [topic] });
    return metadata.topics[0]?.partitions.every((p) => p.isr.includes(victim.id)) ?? false;
  }, 60_000);

  const records = await consoleConsume({ brokers: [victim.bootstrap], topic, maxMessages: 1 });
  assert.deepEqual(
    records.map((r) => [r.key, r.value]),
    [['seat-1', 'booked']],
  );
});

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`condition not met within ${timeoutMs} ms`);
    await sleep(250);
  }
}
