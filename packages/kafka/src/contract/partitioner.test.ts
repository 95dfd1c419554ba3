// Contract: Sluice puts a key in the partition the Java client would (murmur2), checked against the
// Kafka jars themselves, and every producer Sluice creates uses that partitioner.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { javaPartitions } from '@sluice/local-kafka';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createAdmin, createProducer, javaCompatiblePartitioner, producerOptions } from '../client.ts';
import { partitionForKey } from '../partitioning.ts';
import { readTopic } from '../read-topic.ts';
import { ensureTopics } from '../topics.ts';

const keys = [
  '1',
  '2',
  '10000',
  'abc-7',
  '',
  'user/42',
  'ünïcödé-€',
  '7d3f2c1e-0000-4000-8000-000000000001',
  ...Array.from({ length: 300 }, (_, i) => `key-${i * 7919}`),
];

test('partitionForKey matches the Java client for 300+ keys and several partition counts', async () => {
  for (const partitions of [1, 3, 12, 50]) {
    const expected = await javaPartitions(keys, partitions);
    const actual = keys.map((key) => partitionForKey(key, partitions));
    assert.deepEqual(actual, expected, `partition counts of ${partitions}`);
  }
});

test('keyed records sent without a partition land where the Java client puts them', async (t) => {
  const topic = uniqueName('partitioner');
  const admin = createAdmin({ brokers: testBrokers(), clientId: 'sluice-contract' });
  await ensureTopics(admin, [{ name: topic, role: 'commands', partitions: 12, configs: {} }]);
  t.after(async () => {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.close();
  });
  const sample = keys.slice(0, 40);
  const producer = createProducer({ brokers: testBrokers(), clientId: 'sluice-contract' });
  await producer.send({
    messages: sample.map((key) => ({ topic, key: Buffer.from(key), value: Buffer.from(key) })),
  });
  await producer.close();

  const records = await readTopic({ brokers: testBrokers(), clientId: 'sluice-contract' }, topic, {
    expect: sample.length,
  });
  const expected = await javaPartitions(sample, 12);
  const where = new Map(records.map((r) => [r.value.toString(), r.partition]));
  assert.deepEqual(
    sample.map((key) => where.get(key)),
    expected,
  );
});

test('every Sluice producer is built with the Java-compatible partitioner', async () => {
  assert.equal(producerOptions({ brokers: ['x:1'], clientId: 'c' }).partitioner, javaCompatiblePartitioner);
  // No code constructs a Producer without producerOptions() or the Java-compatible partitioner.
  const root = join(import.meta.dirname, '..', '..', '..', '..');
  const offenders: string[] = [];
  for (const dir of ['packages', 'apps', 'examples', 'bench']) {
    for (const file of await sourceFiles(join(root, dir))) {
      const text = await readFile(file, 'utf8');
      if (/new Producer\(/.test(text) && !/producerOptions\(|javaCompatiblePartitioner/.test(text)) {
        offenders.push(file);
      }
    }
  }
  assert.deepEqual(offenders, []);
});

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .filter((file) => !file.includes('node_modules'));
}
