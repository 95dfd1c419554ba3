import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Decider } from '@sluice/core';
import { shopCommands, shopDeciders } from '@sluice/orders/domain';
import { requireKafka } from '@sluice/testing';
import { readTopic } from '../read-topic.ts';
import {
  commandSide,
  produceCommands,
  readOutcome,
  startChild,
  updateUserCommands,
  waitForResults,
} from '../testing/command-fixture.ts';
import { exactlyOnceViolations } from '../testing/exactly-once.ts';
import { CommandProcessor } from './command-processor.ts';

test('SIGTERM under load finishes the open batch: nothing aborted, nothing half-done, the rest after a restart', async (t) => {
  if (!requireKafka(t)) return;
  const deployment = await commandSide(t);
  const commands = updateUserCommands(5_000, 250);
  await produceCommands(deployment.connection, deployment.topics.commands, commands, deployment.partitions);

  const first = startChild(t, deployment, { maxBatch: 200 });
  await first.waitFor('1,000 commands', () => first.committedCommands >= 1_000);
  const exit = await first.terminate();
  assert.deepEqual(exit, { code: 0, signal: null }, first.stderr.join('\n'));
  assert.ok(first.lines.some((line) => line.event === 'stopped'));
  assert.deepEqual(
    first.lines.filter((line) => line.event === 'warn' || line.event === 'error'),
    [],
    'no batch failed on the way out',
  );
  assert.ok(first.committedCommands < commands.length, 'the stop came while commands were in flight');

  // Everything the stopped instance wrote is committed: read_uncommitted sees no more than read_committed.
  const events = deployment.topics.events('user');
  const [uncommitted, committed] = await Promise.all([
    readTopic(deployment.connection, events, { isolationLevel: 'read_uncommitted', idleMs: 1_500 }),
    readTopic(deployment.connection, events, { idleMs: 1_500 }),
  ]);
  assert.equal(uncommitted.length, committed.length, 'no aborted events');
  assert.equal(committed.length, first.committedCommands, 'one event per committed command');

  startChild(t, deployment, { instanceId: first.instanceId });
  const ids = commands.map((c) => c.commandId);
  await waitForResults(deployment.connection, deployment.topics.commandResults, ids);
  const outcome = await readOutcome(deployment, ['user']);
  assert.deepEqual(exactlyOnceViolations({ commandIds: ids, ...outcome, sentOnce: true }), []);
});

test('stop() while the processor is still starting (joining, restoring) ends start() without an error', async (t) => {
  if (!requireKafka(t)) return;
  const deployment = await commandSide(t);
  await produceCommands(
    deployment.connection,
    deployment.topics.commands,
    updateUserCommands(500, 50),
    deployment.partitions,
  );
  // Stops at several points of the start: before the topic lookup ends, during the join, during restore.
  for (const afterMs of [0, 5, 50, 200, 600]) {
    const processor = new CommandProcessor({
      connection: deployment.connection,
      registry: shopCommands,
      deciders: new Map(Object.entries(shopDeciders)) as Map<string, Decider<unknown>>,
      instanceId: `early-stop-${afterMs}`,
      topicPrefix: deployment.prefix,
      partitions: deployment.partitions,
    });
    const started = processor.start();
    await sleep(afterMs);
    await processor.stop();
    await assert.doesNotReject(started, `start() after a stop ${afterMs} ms in`);
  }
});
