import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigResourceTypes } from '@platformatic/kafka';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createAdmin } from './client.ts';
import { TopicMismatchError } from './errors.ts';
import { ensureTopics, sluiceTopics, topicNames } from './topics.ts';

const admin = () => createAdmin({ brokers: testBrokers(), clientId: 'sluice-topics-test' });

function cleanup(t: test.TestContext, client: ReturnType<typeof admin>, topics: () => string[]): void {
  t.after(async () => {
    await client.deleteTopics({ topics: topics() }).catch(() => undefined);
    await client.close();
  });
}

test('sluiceTopics names and configures the topics of a deployment', () => {
  const specs = sluiceTopics({ prefix: 'shop.', aggregateTypes: ['user', 'order'], partitions: 6 });
  assert.deepEqual(
    specs.map((s) => [s.name, s.partitions]),
    [
      ['shop.commands', 6],
      ['shop.user-events', 6],
      ['shop.order-events', 6],
      ['shop.processor-state', 6],
      ['shop.command-results', 12],
      ['shop.commands-dlq', 1],
    ],
  );
  const byName = new Map(specs.map((s) => [s.name, s.configs]));
  assert.equal(byName.get('shop.user-events')?.['retention.ms'], '-1');
  assert.equal(byName.get('shop.processor-state')?.['cleanup.policy'], 'compact');
  assert.equal(byName.get('shop.commands')?.['max.message.bytes'], String(4 * 1024 * 1024));
  assert.equal(topicNames('x.').events('seat'), 'x.seat-events');
});

test('ensureTopics creates what is missing, then verifies; racing peers both succeed', async (t) => {
  const prefix = `${uniqueName('deploy')}.`;
  const specs = sluiceTopics({ prefix, aggregateTypes: ['user'], partitions: 3, resultPartitions: 2 });
  const client = admin();
  cleanup(t, client, () => specs.map((s) => s.name));

  const peer = admin();
  t.after(() => peer.close());
  const [first, second] = await Promise.all([ensureTopics(client, specs), ensureTopics(peer, specs)]);
  assert.equal(first.created.length + second.created.length, specs.length, 'each topic created exactly once');
  const again = await ensureTopics(client, specs);
  assert.deepEqual(again.created, []);
  assert.deepEqual(again.verified.sort(), specs.map((s) => s.name).sort());

  const [described] = await client.describeConfigs({
    resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: `${prefix}processor-state` }],
  });
  const policy = described?.configs.find((c) => c.name === 'cleanup.policy')?.value;
  assert.equal(policy, 'compact');
});

test('an existing topic with the wrong partition count is a TopicMismatchError naming it and the fix', async (t) => {
  const prefix = `${uniqueName('mismatch')}.`;
  const client = admin();
  const specs = sluiceTopics({ prefix, aggregateTypes: ['user'], partitions: 3 });
  cleanup(t, client, () => specs.map((s) => s.name));
  await client.createTopics({ topics: [`${prefix}commands`], partitions: 5 });

  await assert.rejects(
    ensureTopics(client, specs),
    (error: unknown) =>
      error instanceof TopicMismatchError &&
      error.code === 'TOPIC_MISMATCH' &&
      error.topic === `${prefix}commands` &&
      /has 5 partitions; Sluice needs 3/.test(error.message),
  );
});

test('an events topic that would delete events is refused', async (t) => {
  const prefix = `${uniqueName('retention')}.`;
  const client = admin();
  const specs = sluiceTopics({ prefix, aggregateTypes: ['order'], partitions: 2 });
  cleanup(t, client, () => specs.map((s) => s.name));
  await client.createTopics({
    topics: [`${prefix}order-events`],
    partitions: 2,
    configs: [{ name: 'retention.ms', value: '86400000' }],
  });
  await assert.rejects(
    ensureTopics(client, specs),
    (error: unknown) =>
      error instanceof TopicMismatchError &&
      error.message.includes('retention.ms=86400000') &&
      error.message.includes('--add-config retention.ms=-1'),
  );
});
