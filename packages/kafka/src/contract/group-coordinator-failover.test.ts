// Contract: offsets sent in a transaction reach the consumer group's coordinator after the broker
// that coordinated the group died, while it is away and once it is back (#15). The unpatched client
// sent TxnOffsetCommit to the coordinator named when the group was joined, for ever: first to a
// broker that was gone, then to one that answered NOT_COORDINATOR.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FindCoordinatorKeyTypes } from '@platformatic/kafka';
import { createAdmin } from '../client.ts';
import { GroupConsumer } from '../group-consumer.ts';
import { ownCluster } from '../testing/own-cluster.ts';
import { type GroupGeneration, TxnSession } from '../txn-session.ts';

// Ports of its own: 29592/29594/29596, controllers one above each.
const PORT = 29592;
const INPUT = 'coordinator-failover-in';
const OUTPUT = 'coordinator-failover-out';
const GROUP = 'coordinator-failover';

/** One transaction: a record and the group's offset `nextOffset` of the input partition. */
async function commitOffset(session: TxnSession, generation: GroupGeneration, nextOffset: bigint) {
  await session.transact(async (txn) => {
    await txn.send([{ topic: OUTPUT, partition: 0, value: `up to ${nextOffset}` }]);
    await txn.sendOffsets([{ topic: INPUT, partition: 0, nextOffset }], generation);
  });
}

test('transactional offsets reach the group coordinator after its broker was killed and restarted', {
  timeout: 150_000,
}, async (t) => {
  const { kafka, connection } = await ownCluster(t, 'coordinator-failover', PORT);
  const admin = createAdmin(connection);
  t.after(() => admin.close());
  await admin.createTopics({
    topics: [INPUT, OUTPUT],
    partitions: 1,
    replicas: 3,
    configs: [{ name: 'min.insync.replicas', value: '2' }],
  });
  const consumer = new GroupConsumer({ connection, groupId: GROUP, topics: [INPUT] });
  t.after(() => consumer.close().catch(() => undefined));
  await consumer.join();
  const event = await consumer.next({ maxRecords: 1, lingerMs: 0 });
  assert.equal(event.kind, 'assignment');
  if (event.kind !== 'assignment') return;
  const { generation, partitions } = event.assignment;
  const session = new TxnSession({ connection, transactionalId: 'coordinator-failover-txn' });
  t.after(() => session.close());
  await commitOffset(session, generation, 1n);

  const [found] = await admin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [GROUP] });
  const coordinator = kafka.nodes.find((node) => node.id === found?.nodeId);
  assert.ok(coordinator, `the group has a coordinator: ${JSON.stringify(found)}`);
  assert.equal(generation.coordinatorId, coordinator.id, 'the generation names the coordinator');
  await coordinator.kill();
  await commitOffset(session, generation, 2n);
  assert.equal((await consumer.committedOffsets(partitions)).get(`${INPUT}/0`), 2n);
  // Back, it answers NOT_COORDINATOR: the group stays where it moved.
  await coordinator.restart();
  await commitOffset(session, generation, 3n);
  assert.equal((await consumer.committedOffsets(partitions)).get(`${INPUT}/0`), 3n);
});
