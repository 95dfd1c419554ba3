// The gateway's linger: commands sent within it share one produce request, and each still gets its
// own result. Produce requests are counted through the client's diagnostics channel; no processor
// runs while they are counted, so every one of them is the gateway's.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { shopCommands } from '@sluice/orders/domain';
import { uniqueName } from '@sluice/testing';
import { CommandGateway, replyPartitionFor } from './gateway.ts';
import { readTopic } from './read-topic.ts';
import { commandSide, startShopProcessor } from './testing/command-fixture.ts';
import type { TestDeployment } from './testing/deployment.ts';

const REQUEST_STARTED = 'tracing:plt:kafka:connections:api:start';
const PRODUCE_API_KEY = 0;

/** Sends `count` commands one millisecond apart; resolves with the produce requests made meanwhile and the outcomes. */
async function sendSpread(deployment: TestDeployment, lingerMs: number, count: number) {
  const instanceId = uniqueName('gateway');
  const gateway = new CommandGateway({
    connection: deployment.connection,
    registry: shopCommands,
    topicPrefix: deployment.prefix,
    partitions: deployment.partitions,
    replyPartition: replyPartitionFor(instanceId),
    timeoutMs: 60_000,
    lingerMs,
  });
  deployment.defer(() => gateway.close());
  await gateway.start();
  let produces = 0;
  const onRequest = (message: unknown) => {
    if ((message as { apiKey?: number }).apiKey === PRODUCE_API_KEY) produces += 1;
  };
  subscribe(REQUEST_STARTED, onRequest);
  const commandIds: string[] = [];
  const outcomes: ReturnType<CommandGateway['send']>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const commandId = randomUUID();
      commandIds.push(commandId);
      outcomes.push(
        gateway.send({
          type: 'UpdateUser',
          data: { userId: String(i + 1), newName: `name-${i}` },
          metadata: { commandId },
        }),
      );
      await sleep(1);
    }
    // Long enough for every flush, linger or not, before anything else produces.
    await sleep(lingerMs + 500);
  } finally {
    unsubscribe(REQUEST_STARTED, onRequest);
  }
  return { produces, commandIds, outcomes };
}

test('commands sent within the linger share one produce request and each gets its own result', async (t) => {
  const deployment = await commandSide(t, 4);
  const { produces, commandIds, outcomes } = await sendSpread(deployment, 200, 20);
  assert.equal(produces, 1, 'twenty commands sent 1 ms apart went in one produce request');
  startShopProcessor(deployment);
  const answered = await Promise.all(outcomes);
  assert.deepEqual(
    answered.map((outcome) => (outcome.status === 'done' ? outcome.result.commandId : outcome.status)),
    commandIds,
  );
  for (const outcome of answered)
    assert.ok(outcome.status === 'done' && outcome.result.code === 'OK', JSON.stringify(outcome));
});

test('without a linger the same commands take several produce requests', async (t) => {
  const deployment = await commandSide(t, 4);
  const { produces, outcomes } = await sendSpread(deployment, 0, 20);
  assert.ok(produces > 1, `${produces} produce requests`);
  startShopProcessor(deployment);
  const answered = await Promise.all(outcomes);
  assert.ok(answered.every((outcome) => outcome.status === 'done'));
});

test('a command still lingering when the gateway closes is sent, and its caller hears "pending"', async (t) => {
  const deployment = await commandSide(t, 4);
  const gateway = new CommandGateway({
    connection: deployment.connection,
    registry: shopCommands,
    topicPrefix: deployment.prefix,
    partitions: deployment.partitions,
    replyPartition: 0,
    lingerMs: 500,
  });
  await gateway.start();
  const commandId = randomUUID();
  const outcome = gateway.send({
    type: 'UpdateUser',
    data: { userId: '7', newName: 'Alice' },
    metadata: { commandId },
  });
  await gateway.close();
  assert.deepEqual(await outcome, { status: 'pending', commandId });
  const written = await readTopic(deployment.connection, deployment.topics.commands, { expect: 1 });
  assert.equal(written.length, 1);
  const [record] = written;
  const text = [record!.value, ...record!.headers.values()].map(String).join(' ');
  assert.ok(text.includes(commandId), 'the record is the command sent');
});
