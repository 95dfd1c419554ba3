// Contract: consumed offsets sent in a transaction commit atomically with its records (KIP-447), and
// the broker fences zombies: an older producer epoch and an older group generation are refused.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consoleConsume } from '@sluice/local-kafka';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createAdmin, createProducer, type KafkaConnection } from '../client.ts';
import { ProducerFencedError } from '../errors.ts';
import { GroupConsumer } from '../group-consumer.ts';
import { readTopic } from '../read-topic.ts';
import { ensureTopics } from '../topics.ts';
import { StaleGenerationError, TxnSession } from '../txn-session.ts';

const connection = (): KafkaConnection => ({ brokers: testBrokers(), clientId: 'sluice-contract' });

async function topicsFor(t: test.TestContext, partitions: number, ...names: string[]): Promise<void> {
  const admin = createAdmin(connection());
  await ensureTopics(
    admin,
    names.map((name) => ({
      name,
      role: 'events' as const,
      partitions,
      configs: { 'cleanup.policy': 'delete' },
    })),
  );
  t.after(async () => {
    await admin.deleteTopics({ topics: names }).catch(() => undefined);
    await admin.close();
  });
}

async function produceInput(topic: string, count: number, partitions: number): Promise<void> {
  const producer = createProducer(connection());
  await producer.send({
    messages: Array.from({ length: count }, (_, i) => ({
      topic,
      partition: i % partitions,
      value: Buffer.from(`in-${i}`),
    })),
  });
  await producer.close();
}

/** Joins a fresh group and returns the member with its first assignment. */
async function member(t: test.TestContext, groupId: string, topic: string) {
  const consumer = new GroupConsumer({ connection: connection(), groupId, topics: [topic] });
  t.after(() => consumer.close().catch(() => undefined));
  await consumer.join();
  const event = await consumer.next({ maxRecords: 1, lingerMs: 0 });
  assert.equal(event.kind, 'assignment');
  return { consumer, assignment: event.kind === 'assignment' ? event.assignment : undefined };
}

test('offsets sent in a committed transaction commit with its records; an aborted one leaves neither', async (t) => {
  const input = uniqueName('kip447-in');
  const output = uniqueName('kip447-out');
  const groupId = uniqueName('kip447-group');
  await topicsFor(t, 2, input, output);
  await produceInput(input, 10, 2);

  const { consumer, assignment } = await member(t, groupId, input);
  assert.ok(assignment);
  assert.deepEqual(
    assignment.partitions.map((p) => p.partition),
    [0, 1],
  );
  await consumer.open(
    assignment.partitions.map(({ topic, partition }) => ({ topic, partition, nextOffset: 0n })),
  );
  const seen: { partition: number; offset: bigint; value: string }[] = [];
  while (seen.length < 10) {
    const event = await consumer.next({ maxRecords: 100, lingerMs: 50 });
    assert.equal(event.kind, 'records');
    if (event.kind === 'records') {
      seen.push(
        ...event.records.map((r) => ({
          partition: r.partition,
          offset: r.offset,
          value: r.value.toString(),
        })),
      );
    }
  }

  const session = new TxnSession({ connection: connection(), transactionalId: uniqueName('kip447-txn') });
  t.after(() => session.close());
  const firstHalf = seen.filter((r) => r.offset < 3n);
  // Aborted: records and offsets both vanish.
  await session.begin();
  await session.send(
    firstHalf.map((r) => ({ topic: output, partition: r.partition, value: `aborted-${r.value}` })),
  );
  await session.sendOffsets(
    [
      { topic: input, partition: 0, nextOffset: 3n },
      { topic: input, partition: 1, nextOffset: 3n },
    ],
    assignment.generation,
  );
  await session.abort();
  const afterAbort = await consumer.committedOffsets(assignment.partitions);
  assert.equal(afterAbort.get(`${input}/0`), undefined);
  assert.equal(afterAbort.get(`${input}/1`), undefined);

  // Committed: both become visible together.
  await session.transact(async (txn) => {
    await txn.send(
      firstHalf.map((r) => ({ topic: output, partition: r.partition, value: `out-${r.value}` })),
    );
    await txn.sendOffsets(
      [
        { topic: input, partition: 0, nextOffset: 3n },
        { topic: input, partition: 1, nextOffset: 3n },
      ],
      assignment.generation,
    );
  });
  const committed = await consumer.committedOffsets(assignment.partitions);
  assert.equal(committed.get(`${input}/0`), 3n);
  assert.equal(committed.get(`${input}/1`), 3n);

  const ours = (await readTopic(connection(), output, { expect: 6 })).map((r) => r.value.toString()).sort();
  const oracle = (await consoleConsume({ brokers: testBrokers(), topic: output, maxMessages: 6 }))
    .map((r) => r.value)
    .sort();
  const expected = firstHalf.map((r) => `out-${r.value}`).sort();
  assert.deepEqual(ours, expected);
  assert.deepEqual(oracle, expected);
});

test('a second producer with the same transactional id fences the first: the zombie cannot commit', async (t) => {
  const output = uniqueName('fence-out');
  await topicsFor(t, 1, output);
  const transactionalId = uniqueName('fence-txn');
  const zombie = new TxnSession({ connection: connection(), transactionalId });
  const successor = new TxnSession({ connection: connection(), transactionalId });
  t.after(async () => {
    await zombie.close().catch(() => undefined);
    await successor.close();
  });

  await zombie.begin();
  await zombie.send([{ topic: output, partition: 0, value: 'zombie' }]);
  // The successor registers the same id: the coordinator bumps the epoch and aborts the zombie's transaction.
  await successor.transact((txn) => txn.send([{ topic: output, partition: 0, value: 'successor' }]));

  await assert.rejects(
    zombie.commit(),
    (error: unknown) => error instanceof ProducerFencedError && error.code === 'PRODUCER_FENCED',
  );
  assert.equal(zombie.state, 'fenced');
  await assert.rejects(zombie.begin(), ProducerFencedError);

  const ours = (await readTopic(connection(), output, { idleMs: 1_500 })).map((r) => r.value.toString());
  const oracle = (await consoleConsume({ brokers: testBrokers(), topic: output, timeoutMs: 5_000 })).map(
    (r) => r.value,
  );
  assert.deepEqual(ours, ['successor']);
  assert.deepEqual(oracle, ['successor']);
});

test('a transactional offset commit with a stale generation is refused and the transaction cannot commit', async (t) => {
  const input = uniqueName('stale-in');
  const output = uniqueName('stale-out');
  const groupId = uniqueName('stale-group');
  await topicsFor(t, 2, input, output);

  const first = await member(t, groupId, input);
  assert.ok(first.assignment);
  const staleGeneration = first.assignment.generation;
  // A second member joins: the group rebalances to a new generation.
  const second = new GroupConsumer({ connection: connection(), groupId, topics: [input] });
  t.after(() => second.close().catch(() => undefined));
  const joined = second.join();
  const event = await first.consumer.next({ maxRecords: 1, lingerMs: 0 });
  await joined;
  assert.equal(event.kind, 'assignment');
  assert.ok(
    event.kind === 'assignment' && event.assignment.generation.generationId > staleGeneration.generationId,
  );

  const session = new TxnSession({ connection: connection(), transactionalId: uniqueName('stale-txn') });
  t.after(() => session.close());
  await session.begin();
  await session.send([{ topic: output, partition: 0, value: 'must-not-appear' }]);
  await assert.rejects(
    session.sendOffsets([{ topic: input, partition: 0, nextOffset: 1n }], staleGeneration),
    StaleGenerationError,
  );
  assert.equal(session.state, 'abort-only');
  await assert.rejects(session.commit(), /aborted/);
  assert.equal(session.state, 'idle');

  const offsets = await first.consumer.committedOffsets([{ topic: input, partition: 0 }]);
  assert.equal(offsets.get(`${input}/0`), undefined);
  const ours = await readTopic(connection(), output, { idleMs: 1_500 });
  assert.deepEqual(ours, []);
  const oracle = await consoleConsume({ brokers: testBrokers(), topic: output, timeoutMs: 4_000 });
  assert.deepEqual(oracle, []);
});
