// Contract: record headers survive the round trip byte for byte, and a record over the topic's
// max.message.bytes is refused with a clear error instead of disappearing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createAdmin, type KafkaConnection } from '../client.ts';
import { RecordTooLargeError } from '../errors.ts';
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

  const [record] = await readTopic(connection(), name, { expect: 1 });
  assert.ok(record);
  assert.equal(record.offset, offset);
  assert.equal(record.key?.toString(), 'user-1');
  assert.equal(record.value.toString(), '{"a":1}');
  assert.deepEqual([...record.headers.keys()].sort(), Object.keys(headers).sort());
  for (const [headerName, value] of Object.entries(headers)) {
    assert.ok(record.headers.get(headerName)?.equals(value), `header ${headerName} changed`);
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
