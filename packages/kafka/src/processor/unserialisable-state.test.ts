import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Decider } from '@sluice/core';
import { shopDeciders } from '@sluice/orders/domain';
import { requireKafka } from '@sluice/testing';
import { readTopic } from '../read-topic.ts';
import {
  commandSide,
  renameUser,
  sendAndAwaitResults,
  startShopProcessor,
} from '../testing/command-fixture.ts';

// A state that cannot be encoded fails the batch's records after its events' offsets were
// forecast, before its transaction: the batch is bisected like any failure that is not Kafka's.
test('a state that does not serialise makes its command a dead letter; the rest of its batch is written', async (t) => {
  if (!requireKafka(t)) return;
  const deployment = await commandSide(t);
  const user = shopDeciders.user as Decider<unknown>;
  const fragile: Decider<unknown> = {
    ...user,
    evolve(state, event) {
      const next = user.evolve(state, event) as Record<string, unknown>;
      return (event.data as { name?: string }).name === 'Poison' ? { ...next, hook: () => 1 } : next;
    },
  };
  const deciders = new Map(Object.entries(shopDeciders)) as Map<string, Decider<unknown>>;
  deciders.set('user', fragile);
  startShopProcessor(deployment, { deciders });
  const send = (commands: Parameters<typeof sendAndAwaitResults>[1]) =>
    sendAndAwaitResults(deployment, commands);
  // One batch first, so that the next one's event offsets are forecast.
  await send(['u1', 'u2', 'u3', 'u4'].map((u) => renameUser(u, 'Ada')));
  const second = [renameUser('u1', 'Grace'), renameUser('u2', 'Poison'), renameUser('u3', 'Hopper')];
  const results = await send(second);
  assert.deepEqual(
    second.map((c) => results.get(c.commandId)?.code),
    ['OK', 'INTERNAL_ERROR', 'OK'],
  );
  assert.match(results.get(second[1]?.commandId ?? '')?.message ?? '', /could not be written/);
  const letters = await readTopic(deployment.connection, deployment.topics.commandsDlq, {
    expect: 1,
    idleMs: 1_000,
  });
  assert.equal(letters.length, 1);
  assert.equal(JSON.parse(letters[0]?.value.toString() ?? '{}').newName, 'Poison');
});
