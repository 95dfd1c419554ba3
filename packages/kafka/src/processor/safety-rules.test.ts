import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { requireKafka } from '@sluice/testing';
import { createAdmin } from '../client.ts';
import { partitionForKey } from '../partitioning.ts';
import {
  commandSide,
  produceCommands,
  type RawCommand,
  readOutcome,
  renameUser as rename,
  sendAndAwaitResults,
  startChild,
  waitForResults,
} from '../testing/command-fixture.ts';
import type { TestDeployment } from '../testing/deployment.ts';
import { exactlyOnceViolations } from '../testing/exactly-once.ts';
import { TxnSession } from '../txn-session.ts';

// Tests with teeth: each safety rule, switched off (SLUICE_UNSAFE, honoured only with NODE_ENV=test),
// makes a deterministic scenario break exactly-once; with the rule on, the same scenario holds.
// Both runs go side by side on deployments of their own.

type Scenario = (t: test.TestContext, unsafe: string | undefined) => Promise<string[]>;

async function outcome(deployment: TestDeployment, ids: readonly string[], sentOnce: boolean) {
  const { results, events } = await readOutcome(deployment, ['user']);
  const strangers = [...results.keys()]
    .filter((id) => !ids.includes(id))
    .map((id) => `result for unsent ${id}`);
  return [...exactlyOnceViolations({ commandIds: ids, results, events, sentOnce }), ...strangers];
}

/** The same command id again, after another command: it must get the stored result, not run again. */
const redelivery: Scenario = async (t, unsafe) => {
  const deployment = await commandSide(t);
  const first = rename('u1', 'Ada');
  const commands = [first, rename('u1', 'Grace'), first];
  await produceCommands(deployment.connection, deployment.topics.commands, commands, deployment.partitions);
  startChild(t, deployment, unsafe ? { unsafe } : {});
  await waitForResults(
    deployment.connection,
    deployment.topics.commandResults,
    commands.map((c) => c.commandId),
  );
  return outcome(deployment, [first.commandId, commands[1]?.commandId ?? ''], false);
};

/** Two events that fit the events topic only one at a time: the batch aborts and is bisected. */
const abortedBatch: Scenario = async (t, unsafe) => {
  const deployment = await commandSide(t);
  const admin = createAdmin(deployment.connection);
  // One user event record with its headers is ~400 bytes: a batch of two is refused, one alone is not.
  await admin.incrementalAlterConfigs({
    resources: [
      {
        resourceType: ConfigResourceTypes.TOPIC,
        resourceName: deployment.topics.events('user'),
        configs: [
          {
            name: 'max.message.bytes',
            configOperation: IncrementalAlterConfigOperationTypes.SET,
            value: '700',
          },
        ],
      },
    ],
  });
  await admin.close();
  const commands = [rename('u1', 'Ada'), rename('u1', 'Grace')];
  await produceCommands(deployment.connection, deployment.topics.commands, commands, deployment.partitions);
  const child = startChild(t, deployment, unsafe ? { unsafe } : {});
  const ids = commands.map((c) => c.commandId);
  await waitForResults(deployment.connection, deployment.topics.commandResults, ids);
  assert.ok(
    child.lines.some((line) => line.message === 'batch failed; bisecting'),
    'the batch of two was refused',
  );
  return outcome(deployment, ids, true);
};

/** A partition moves away and back: the state held from before is stale and must be restored. */
const partitionComesBack: Scenario = async (t, unsafe) => {
  const deployment = await commandSide(t);
  const options = { ...(unsafe ? { unsafe } : {}), sessionTimeoutMs: 6_000 };
  // Users on every partition, so whichever partitions the second instance gets, it changes them.
  const users = Array.from({ length: 40 }, (_, i) => `u${i}`);
  assert.equal(
    new Set(users.map((u) => partitionForKey(u, deployment.partitions))).size,
    deployment.partitions,
  );
  const round = (name: string) => users.map((user) => rename(user, `${name}-${user}`));
  const send = (commands: ReturnType<typeof round>) => sendAndAwaitResults(deployment, commands);
  const all = (partitions: number[]) => partitions.length === deployment.partitions;
  const a = startChild(t, deployment, options);
  await a.waitForAssignment(all);
  const first = round('one');
  await send(first);
  const b = startChild(t, deployment, options);
  await b.waitForAssignment((partitions) => partitions.length > 0);
  await a.waitForAssignment((partitions) => partitions.length < deployment.partitions);
  const second = round('two');
  await send(second);
  await b.terminate();
  await a.waitForAssignment(all);
  const third = round('three');
  await send(third);
  return outcome(
    deployment,
    [...first, ...second, ...third].map((c) => c.commandId),
    true,
  );
};

/** Aborted commands in `commands`: the unpatched client delivers them to the processor (PATCHES.md). */
const abortedCommands: Scenario = async (t, unsafe) => {
  const deployment = await commandSide(t);
  const session = new TxnSession({
    connection: deployment.connection,
    transactionalId: `${deployment.prefix}writer`,
  });
  const partition = partitionForKey('u1', deployment.partitions);
  const write = (commands: readonly (RawCommand & { commandId: string })[]) =>
    session.send(
      commands.map((c) => ({ topic: deployment.topics.commands, partition, key: 'u1', value: c.value })),
    );
  const names = (prefix: string) => [1, 2, 3].map((i) => rename('u1', `${prefix}${i}`));
  for (const aborted of [names('A'), names('B')]) {
    await session.begin();
    await write(aborted);
    await session.abort();
  }
  const committed = names('C');
  await session.transact(() => write(committed));
  await session.close();
  startChild(t, deployment, unsafe ? { unsafe } : {});
  const ids = committed.map((c) => c.commandId);
  await waitForResults(deployment.connection, deployment.topics.commandResults, ids);
  return outcome(deployment, ids, true);
};

/**
 * Another producer's aborted transaction in an events partition between two batches (a zombie's):
 * the offsets forecast for the second batch are wrong, and it must be written again.
 */
const foreignWriter: Scenario = async (t, unsafe) => {
  const deployment = await commandSide(t);
  const child = startChild(t, deployment, unsafe ? { unsafe } : {});
  const send = (commands: ReturnType<typeof rename>[]) => sendAndAwaitResults(deployment, commands);
  const first = [rename('u1', 'Ada')];
  await send(first);
  const zombie = new TxnSession({
    connection: deployment.connection,
    transactionalId: `${deployment.prefix}zombie`,
  });
  await zombie.begin();
  await zombie.send([
    {
      topic: deployment.topics.events('user'),
      partition: partitionForKey('u1', deployment.partitions),
      key: 'u1',
      value: '{}',
    },
  ]);
  await zombie.abort();
  await zombie.close();
  const second = [rename('u1', 'Grace'), rename('u1', 'Hopper')];
  await send(second);
  if (!unsafe)
    assert.ok(
      child.lines.some((line) => String(line.message).startsWith('event offsets forecast wrongly')),
      'the forecast missed',
    );
  return outcome(
    deployment,
    [...first, ...second].map((c) => c.commandId),
    true,
  );
};

for (const [rule, scenario, name] of [
  ['no-dedup', redelivery, 'a redelivered command id'],
  ['no-overlay', abortedBatch, 'an aborted, bisected batch'],
  ['no-barrier', partitionComesBack, 'a partition that moves away and comes back'],
  ['no-read-committed-patch', abortedCommands, 'aborted transactions in commands'],
  ['no-forecast-check', foreignWriter, "another producer's records in an events partition"],
] as const) {
  test(`safety rule ${rule}: ${name} is exactly-once with it and breaks without it`, async (t) => {
    if (!requireKafka(t)) return;
    const [safe, unsafe] = await Promise.all([scenario(t, undefined), scenario(t, rule)]);
    assert.deepEqual(safe, [], 'with every rule on, exactly-once holds');
    assert.notDeepEqual(unsafe, [], `with ${rule}, the scenario must break exactly-once`);
    t.diagnostic(`${rule}: ${unsafe.slice(0, 3).join('; ')}`);
  });
}
