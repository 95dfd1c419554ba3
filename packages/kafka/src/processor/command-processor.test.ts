import assert from 'node:assert/strict';
import { test } from 'node:test';
import { consoleConsume } from '@sluice/local-kafka';
import { shopCommands } from '@sluice/orders/domain';
import { testBrokers, uniqueName } from '@sluice/testing';
import { createProducer } from '../client.ts';
import { partitionForKey } from '../partitioning.ts';
import { readTopic } from '../read-topic.ts';
import { startShopProcessor } from '../testing/command-fixture.ts';
import { type TestDeployment, testDeployment } from '../testing/deployment.ts';

const SEED = '{"type":"UpdateUser","userId":1,"newName":"Alice"}';

async function shop(t: test.TestContext): Promise<TestDeployment> {
  return testDeployment(t, {
    brokers: testBrokers(),
    prefix: `${uniqueName('proc')}.`,
    aggregateTypes: shopCommands.aggregateTypes(),
  });
}

const startProcessor = (deployment: TestDeployment) => startShopProcessor(deployment);

async function produce(
  deployment: TestDeployment,
  messages: { partition?: number; key?: string; value: string; headers?: Record<string, string> }[],
) {
  const producer = createProducer(deployment.connection);
  await producer.send({
    messages: messages.map((m) => ({
      topic: deployment.topics.commands,
      ...(m.partition === undefined ? {} : { partition: m.partition }),
      ...(m.key === undefined ? {} : { key: Buffer.from(m.key) }),
      value: Buffer.from(m.value),
      headers: new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    })),
  });
  await producer.close();
}

async function bothReaders(deployment: TestDeployment, topic: string, expect: number) {
  const ours = await readTopic(deployment.connection, topic, { expect, idleMs: 1_500 });
  const oracle = await consoleConsume({
    brokers: deployment.connection.brokers as string[],
    topic,
    timeoutMs: 4_000,
  });
  const mine = ours.map((r) => `${r.partition}/${r.offset}/${r.key?.toString()}/${r.value.toString()}`);
  const theirs = oracle.map((r) => `${r.partition}/${r.offset}/${r.key}/${r.value}`);
  assert.deepEqual(
    mine.sort(),
    theirs.sort(),
    'our read_committed consumer and the Java console consumer agree',
  );
  return ours;
}

for (const [name, placement] of [
  ['with no key', {}],
  ['on a wrong partition', { partition: (partitionForKey('1', 4) + 1) % 4 }],
] as const) {
  test(`the flat seed command sent by a plain client ${name} yields one event for user "1"`, async (t) => {
    const deployment = await shop(t);
    startProcessor(deployment);
    await produce(deployment, [{ ...placement, value: SEED }]);

    const events = await bothReaders(deployment, deployment.topics.events('user'), 1);
    assert.equal(events.length, 1);
    const [event] = events;
    assert.equal(event?.key?.toString(), '1');
    assert.equal(event?.partition, partitionForKey('1', 4));
    assert.equal(event?.headers.get('sluice-type')?.toString(), 'UserCreated');
    assert.equal(event?.headers.get('sluice-version')?.toString(), '1');

    const commands = await readTopic(deployment.connection, deployment.topics.commands, {
      expect: 2,
      idleMs: 1_000,
    });
    const forwarded = commands.filter((r) => r.headers.has('sluice-forwarded-from'));
    assert.equal(forwarded.length, 1, 'forwarded exactly once');
    assert.equal(forwarded[0]?.partition, partitionForKey('1', 4));
    assert.match(forwarded[0]?.headers.get('sluice-forwarded-from')?.toString() ?? '', /commands\/\d+\/0$/);
  });
}

test('the same command id three times: events once, three identical results; another payload conflicts', async (t) => {
  const deployment = await shop(t);
  startProcessor(deployment);
  const command = JSON.stringify({ type: 'UpdateUser', userId: 'u-7', newName: 'Ada', commandId: 'cmd-1' });
  const key = 'u-7';
  await produce(deployment, [
    { key, value: command },
    { key, value: command },
  ]);
  await produce(deployment, [{ key, value: command }]);
  await produce(deployment, [
    {
      key,
      value: JSON.stringify({ type: 'UpdateUser', userId: 'u-7', newName: 'Grace', commandId: 'cmd-1' }),
    },
  ]);

  const results = await bothReaders(deployment, deployment.topics.commandResults, 4);
  const bodies = results.map((r) => JSON.parse(r.value.toString()) as { code: string; version?: number });
  assert.equal(bodies.length, 4);
  assert.deepEqual(
    bodies.slice(0, 3).map((b) => b.code),
    ['OK', 'OK', 'OK'],
  );
  assert.equal(results[0]?.value.toString(), results[1]?.value.toString());
  assert.equal(results[0]?.value.toString(), results[2]?.value.toString());
  assert.equal(bodies[3]?.code, 'IDEMPOTENCY_CONFLICT');
  const events = await bothReaders(deployment, deployment.topics.events('user'), 1);
  assert.equal(events.length, 1);
});
