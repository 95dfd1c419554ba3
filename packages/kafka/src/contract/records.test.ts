// Contract: record headers survive the round trip byte for byte, and a record over the topic's
// max.message.bytes is refused with a clear error instead of disappearing.
import assert from 'node:assert/strict';
import { tracingChannel } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createAdmin, type KafkaConnection } from '../client.ts';
import { RecordTooLargeError } from '../errors.ts';
import { PartitionReader } from '../partition-reader.ts';
import { readTopic } from '../read-topic.ts';
import { ensureTopics } from '../topics.ts';
import { TxnSession } from '../txn-session.ts';

const connection = (): KafkaConnection => ({ brokers: testBrokers(), clientId: 'sluice-contract' });

async function topic(t: test.TestContext, configs: Record<string, string>): Promise<string> {
  const name = uniqueName('records');
  const admin = createAdmin(connection());
  await ensureTopics(admin, [{ name, role: 'commands', partitions: 1, configs }]);
  t.after(async () => {
    await admin.deleteTopics({ topics: [name] }).catch(() => undefined);
    await admin.close();
  });
  return name;
}

test('headers round-trip byte for byte, including binary, empty and non-ASCII values', async (t) => {
  const name = await topic(t, { 'cleanup.policy': 'delete' });
  const headers: Record<string, Buffer> = {
    'sluice-type': Buffer.from('UpdateUser'),
    'sluice-version': Buffer.from('42'),
    binary: Buffer.from([0x00, 0xff, 0x7f, 0x80, 0x0a, 0x0d]),
    empty: Buffer.alloc(0),
    unicode: Buffer.from('prix £5 — naïve ✓'),
    ce_id: Buffer.from('7d3f2c1e-0000-4000-8000-000000000001'),
  };
  const session = new TxnSession({ connection: connection(), transactionalId: uniqueName('headers-txn') });
  t.after(() => session.close());
  const [offset] = await session.transact((txn) =>
    txn.send([{ topic: name, partition: 0, key: 'user-1', value: '{"a":1}', headers }]),
  );

  // The consumer makes a receive context per record only while someone subscribes (PATCHES.md).
  const receives = tracingChannel('plt:kafka:consumer:receives');
  const contexts: { operation?: string; raw?: { value?: Buffer }; result?: { offset?: bigint } }[] = [];
  const ignore = () => undefined;
  const handlers = {
    start: (context: object) => {
      contexts.push(context as (typeof contexts)[number]);
    },
    end: ignore,
    asyncStart: ignore,
    asyncEnd: ignore,
    error: ignore,
  };
  receives.subscribe(handlers);
  const [record] = await readTopic(connection(), name, { expect: 1 }).finally(() =>
    receives.unsubscribe(handlers),
  );
  assert.equal(contexts.length, 1);
  assert.equal(contexts[0]?.operation, 'receive');
  assert.equal(contexts[0]?.raw?.value?.toString(), '{"a":1}');
  assert.equal(contexts[0]?.result?.offset, offset);
  assert.ok(record);
  assert.equal(record.offset, offset);
  assert.equal(record.key?.toString(), 'user-1');
  assert.equal(record.value.toString(), '{"a":1}');
  assert.deepEqual([...record.headers.keys()].sort(), Object.keys(headers).sort());
  for (const [headerName, value] of Object.entries(headers)) {
    assert.ok(record.headers.get(headerName)?.equals(value), `header ${headerName} changed`);
  }

  // The same through PartitionReader, whose records read their headers from the bytes on demand
  // (PATCHES.md): as text first (no view per field), then as the Map of Buffers.
  const reader = new PartitionReader({ connection: connection() });
  t.after(() => reader.close());
  const round = await reader.fetch([{ topic: name, partition: 0, offset: offset ?? 0n }]);
  const [fetched] = round.records;
  assert.ok(fetched);
  assert.deepEqual(
    fetched.headerText(),
    Object.fromEntries(Object.entries(headers).map(([headerName, value]) => [headerName, value.toString()])),
  );
  assert.deepEqual([...fetched.headers.keys()].sort(), Object.keys(headers).sort());
  for (const [headerName, value] of Object.entries(headers)) {
    assert.ok(
      fetched.headers.get(headerName)?.equals(value),
      `header ${headerName} changed in PartitionReader`,
    );
  }
});

test('a record over max.message.bytes is refused with RecordTooLargeError and the transaction aborts', async (t) => {
  const name = await topic(t, { 'cleanup.policy': 'delete', 'max.message.bytes': String(64 * 1024) });
  const session = new TxnSession({ connection: connection(), transactionalId: uniqueName('large-txn') });
  t.after(() => session.close());
  await session.begin();
  await assert.rejects(
    session.send([{ topic: name, partition: 0, value: Buffer.alloc(100 * 1024, 0x61) }]),
    (error: unknown) =>
      error instanceof RecordTooLargeError &&
      error.code === 'RECORD_TOO_LARGE' &&
      error.message.includes(name),
  );
  assert.equal(session.state, 'abort-only');
  await session.abort();
  // The session is usable again afterwards.
  await session.transact((txn) => txn.send([{ topic: name, partition: 0, value: 'small' }]));
  const records = await readTopic(connection(), name, { expect: 1, idleMs: 1_500 });
  assert.deepEqual(
    records.map((r) => r.value.toString()),
    ['small'],
  );
});

test('a send larger than max.message.bytes for one partition goes as several batches, in order', async (t) => {
  // 300 records of 1 KiB to one partition whose limit is 64 KiB: one record batch would be refused.
  const name = await topic(t, { 'cleanup.policy': 'delete', 'max.message.bytes': String(64 * 1024) });
  const session = new TxnSession({
    connection: connection(),
    transactionalId: uniqueName('chunked-txn'),
    partitionBatchBytes: () => 48 * 1024,
  });
  t.after(() => session.close());
  const records = Array.from({ length: 300 }, (_, i) => ({
    topic: name,
    partition: 0,
    key: `k${i}`,
    value: `${String(i).padStart(4, '0')}${'x'.repeat(1020)}`,
  }));
  const offsets = await session.transact((txn) => txn.send(records));
  assert.deepEqual(
    offsets,
    offsets.map((_, i) => (offsets[0] ?? 0n) + BigInt(i)),
    'offsets follow the input order without gaps',
  );
  const read = await readTopic(connection(), name, { expect: records.length });
  assert.deepEqual(
    read.map((record) => record.value.toString().slice(0, 4)),
    records.map((record) => record.value.slice(0, 4)),
  );
  assert.deepEqual(
    read.map((record) => record.offset),
    offsets,
  );
});
