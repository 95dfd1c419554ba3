import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fetchMetadata } from '@sluice/local-kafka';
import { requireKafka, testBrokers, uniqueName } from './kafka-fixture.ts';

test('uniqueName gives distinct names that are legal Kafka topic names', () => {
  const names = new Set(Array.from({ length: 1000 }, () => uniqueName('orders events/v1')));
  assert.equal(names.size, 1000);
  for (const name of names) assert.match(name, /^orders-events-v1-[a-z0-9]+-[0-9a-f]{8}$/);
});

test('testBrokers explains itself when KAFKA_BROKERS is unset', (t) => {
  const saved = process.env.KAFKA_BROKERS;
  t.after(() => {
    if (saved === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = saved;
  });
  delete process.env.KAFKA_BROKERS;
  assert.throws(() => testBrokers(), /KAFKA_BROKERS is not set/);
  process.env.KAFKA_BROKERS = 'localhost:1, localhost:2';
  assert.deepEqual(testBrokers(), ['localhost:1', 'localhost:2']);
});

test('the global setup provides a broker that answers', async (t) => {
  if (!requireKafka(t)) return;
  const [first] = testBrokers();
  const [host = '', port = ''] = (first ?? '').split(':');
  const metadata = await fetchMetadata(host, Number(port));
  assert.ok(metadata.brokers.length >= 1);
});
