import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createAdmin, createProducer, type KafkaConnection } from './client.ts';
import { type Assignment, type ConsumedRecord, GroupConsumer } from './group-consumer.ts';
import { ensureTopics } from './topics.ts';
import { TxnSession } from './txn-session.ts';

const connection = (): KafkaConnection => ({ brokers: testBrokers(), clientId: 'sluice-group-test' });

test('a rebalance is reported before any record of the new generation, and only owned partitions follow', async (t) => {
  const topic = uniqueName('group-in');
  const groupId = uniqueName('group');
  const admin = createAdmin(connection());
  await ensureTopics(admin, [{ name: topic, role: 'commands', partitions: 4, configs: {} }]);
  // One teardown, in order: stop producing, close the members, then delete the topic.
  const closers: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const close of closers) await close().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.close();
  });

  // Keep records flowing into every partition for the whole test.
  const producer = createProducer(connection());
  let producing = true;
  const feeding = (async () => {
    for (let i = 0; producing; i++) {
      await producer.send({
        messages: [0, 1, 2, 3].map((partition) => ({ topic, partition, value: Buffer.from(`r${i}`) })),
      });
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  closers.push(async () => {
    producing = false;
    await feeding;
    await producer.close();
  });

  const a = new GroupConsumer({
    connection: connection(),
    groupId,
    topics: [topic],
    heartbeatIntervalMs: 500,
  });
  closers.push(() => a.close());
  await a.join();
  const first = await a.next({ maxRecords: 1, lingerMs: 0 });
  assert.equal(first.kind, 'assignment');
  const firstAssignment = (first as { assignment: Assignment }).assignment;
  assert.equal(firstAssignment.partitions.length, 4);
  await a.open(firstAssignment.partitions.map(({ partition }) => ({ topic, partition, nextOffset: 0n })));
  const got = await a.next({ maxRecords: 100, lingerMs: 100 });
  assert.equal(got.kind, 'records');

  // B joins; A must hear of the new generation before any further record is handed on.
  const b = new GroupConsumer({
    connection: connection(),
    groupId,
    topics: [topic],
    heartbeatIntervalMs: 500,
  });
  closers.push(() => b.close());
  const bJoined = b.join();
  let second: Assignment | undefined;
  while (!second) {
    const event = await a.next({ maxRecords: 100, lingerMs: 20 });
    if (event.kind === 'assignment') second = event.assignment;
    else for (const record of event.records) assert.ok(record.metadata); // old-generation records, before the news
  }
  await bJoined;
  assert.ok(second.generation.generationId > firstAssignment.generation.generationId);
  assert.equal(second.generation.memberId, firstAssignment.generation.memberId);
  assert.equal(second.partitions.length, 2, 'round-robin gives each member two partitions');

  // Nothing arrives until A reopens; then only its own partitions.
  const owned = new Set(second.partitions.map((p) => p.partition));
  const idle = await Promise.race([
    a.next({ maxRecords: 100, lingerMs: 0 }).then(() => 'records'),
    new Promise((resolve) => setTimeout(resolve, 1_500, 'idle')),
  ]);
  assert.equal(idle, 'idle');
  await a.open(second.partitions.map(({ partition }) => ({ topic, partition, nextOffset: 0n })));
  for (let seen = 0; seen < 50; ) {
    const event = await a.next({ maxRecords: 100, lingerMs: 50 });
    assert.equal(event.kind, 'records');
    if (event.kind !== 'records') break;
    for (const record of event.records)
      assert.ok(owned.has(record.partition), `partition ${record.partition}`);
    seen += event.records.length;
  }

  // The generation reported is the one the broker accepts for transactional offsets.
  const session = new TxnSession({ connection: connection(), transactionalId: uniqueName('group-txn') });
  closers.push(() => session.close());
  const [mine] = second.partitions;
  assert.ok(mine);
  await session.transact((txn) => txn.sendOffsets([{ ...mine, nextOffset: 5n }], second.generation));
  const committed = await a.committedOffsets([mine]);
  assert.equal(committed.get(`${topic}/${mine.partition}`), 5n);
});

test('a backlog is fetched a bounded piece at a time, and all of it arrives in order', async (t) => {
  const topic = uniqueName('group-backlog');
  const admin = createAdmin(connection());
  await ensureTopics(admin, [{ name: topic, role: 'commands', partitions: 4, configs: {} }]);
  const consumer = new GroupConsumer({
    connection: connection(),
    groupId: uniqueName('group'),
    topics: [topic],
    bufferRecords: 500,
    fetchMaxBytes: 64 * 1024,
  });
  t.after(async () => {
    await consumer.close().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.close();
  });
  // 40,000 records of ~200 bytes (~8 MB): unbounded, the first fetches would bring all of them. Sent
  // 400 at a time, so that a record batch (which a fetch returns whole, whatever its limit) is ~20 KB.
  const total = 40_000;
  const producer = createProducer(connection());
  const padding = 'x'.repeat(190);
  for (let from = 0; from < total; from += 400) {
    await producer.send({
      messages: Array.from({ length: 400 }, (_, i) => ({
        topic,
        partition: (from + i) % 4,
        value: Buffer.from(`${from + i}:${padding}`),
      })),
    });
  }
  await producer.close();

  await consumer.join();
  const assigned = await consumer.next({ maxRecords: 1, lingerMs: 0 });
  assert.equal(assigned.kind, 'assignment');
  const { partitions } = (assigned as { assignment: Assignment }).assignment;
  await consumer.open(partitions.map(({ partition }) => ({ topic, partition, nextOffset: 0n })));
  const next = [0, 1, 2, 3];
  const check = (records: readonly ConsumedRecord[]) => {
    for (const record of records) {
      const n = Number(record.value.toString().split(':')[0]);
      assert.equal(n % 4, record.partition);
      assert.equal(n, next[record.partition], `record ${n} in order`);
      next[record.partition] = n + 4;
    }
    return records.length;
  };
  const first = await consumer.next({ maxRecords: 1, lingerMs: 0 });
  let seen = first.kind === 'records' ? check(first.records) : 0;
  // Records without headers share one empty Map, which cannot be changed (PATCHES.md).
  const [record] = first.kind === 'records' ? first.records : [];
  assert.equal(record?.headers.size, 0);
  assert.throws(() => record?.headers.set('x', Buffer.from('y')), TypeError);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  // The buffer (500), the stream's high-water mark (1,024) and a fetch (~330 records of 64 KiB), with
  // room for a fetch more: far from the 40,000 an unbounded fetch holds.
  const bound = 500 + 1_024 + 2 * 330;
  assert.ok(consumer.buffered <= bound, `${consumer.buffered} records held`);

  while (seen < total) {
    const event = await consumer.next({ maxRecords: 1_000, lingerMs: 10 });
    assert.equal(event.kind, 'records');
    if (event.kind !== 'records') break;
    seen += check(event.records);
    assert.ok(consumer.buffered <= bound, `${consumer.buffered} records held`);
  }
});
