// Contract: a send whose partitions shared a leader that died reaches the partitions' new leaders,
// even when they are now on different brokers (#15). The unpatched client sent the whole group to the
// new leader of its first partition and retried NOT_LEADER_OR_FOLLOWER without end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consoleConsume } from '@sluice/local-kafka';
import { createAdmin, createProducer, type SluiceProducer } from '../client.ts';
import { ownCluster } from '../testing/own-cluster.ts';

// Ports of its own: 29492/29494/29496, controllers one above each.
const PORT = 29492;
const TOPIC = 'leader-failover';

/** Sends one record to each partition in one request; resolves with the acknowledged partitions. */
async function sendToEach(producer: SluiceProducer, partitions: number, label: string): Promise<number[]> {
  const { offsets = [] } = await producer.send({
    messages: Array.from({ length: partitions }, (_, partition) => ({
      topic: TOPIC,
      partition,
      key: Buffer.from(`key-${partition}`),
      value: Buffer.from(`${label}-${partition}`),
    })),
  });
  return offsets.map((offset) => offset.partition).sort();
}

test('an idempotent send reaches the new leaders when a killed broker led several of its partitions', {
  timeout: 180_000,
}, async (t) => {
  const { kafka, connection } = await ownCluster(t, 'leader-failover', PORT);
  const admin = createAdmin(connection);
  // Node 2 leads p0 and p1; without it p0 goes to node 3 and p1 to node 1 (first in-sync replica).
  await admin.createTopics({
    topics: [TOPIC],
    assignments: [
      { partition: 0, brokers: [2, 3, 1] },
      { partition: 1, brokers: [2, 1, 3] },
      { partition: 2, brokers: [3, 1, 2] },
    ],
    configs: [{ name: 'min.insync.replicas', value: '2' }],
  });
  await admin.close();
  const producer = createProducer(connection);
  t.after(() => producer.close());

  // Right before the kill, so the producer's metadata still names node 2 when the next send begins.
  assert.deepEqual(await sendToEach(producer, 3, 'before'), [0, 1, 2]);
  const node2 = kafka.nodes.find((node) => node.id === 2)!;
  await node2.kill();
  assert.deepEqual(await sendToEach(producer, 3, 'away'), [0, 1, 2]);
  await node2.restart();
  assert.deepEqual(await sendToEach(producer, 3, 'back'), [0, 1, 2]);

  const records = await consoleConsume({ brokers: kafka.brokers, topic: TOPIC });
  const values = records.map((record) => `${record.partition}:${record.value}`).sort();
  const expected = ['before', 'away', 'back'].flatMap((label) => [0, 1, 2].map((p) => `${p}:${label}-${p}`));
  assert.deepEqual(values, expected.sort(), 'every record once, in the partition it was sent to');
});
