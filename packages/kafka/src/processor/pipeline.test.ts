// A batch is decided while the one before it is still being written. These tests fill the pipeline
// with small batches and re-sent commands whose first copy is often in the batch in flight, and check
// that duplicates get the first result (position included), before and after a restart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTopic } from '../read-topic.ts';
import {
  CHILD_AGGREGATES,
  commandSide,
  produceCommands,
  type RawCommand,
  readOutcome,
  startShopProcessor,
  updateUserCommands,
  waitForResults,
} from '../testing/command-fixture.ts';
import type { TestDeployment } from '../testing/deployment.ts';
import { exactlyOnceViolations } from '../testing/exactly-once.ts';

const startProcessor = (deployment: TestDeployment, batches: number[]) =>
  startShopProcessor(deployment, { maxBatch: 40, onBatch: (stats) => batches.push(stats.commands) });

test('duplicates of commands in the batch in flight, and after a restart, get the first result', async (t) => {
  const deployment = await commandSide(t, 2);
  const originals = updateUserCommands(1_500, 12);
  // Every tenth command re-sends the one 50 before it: with batches of 40 that one is usually in the
  // batch being written while this one is decided.
  const sent: RawCommand[] = originals.flatMap((command, i) => {
    const earlier = originals[i - 50];
    return i % 10 === 9 && earlier ? [command, earlier] : [command];
  });
  await produceCommands(deployment.connection, deployment.topics.commands, sent, deployment.partitions);
  const batches: number[] = [];
  const first = startProcessor(deployment, batches);
  const ids = originals.map((command) => command.commandId);
  await waitForResults(deployment.connection, deployment.topics.commandResults, ids);
  assert.ok(batches.length > 20, `the backlog went through many batches (${batches.length})`);
  await first.stop();

  // After a restart the windows come from processor-state: they must hold the events' offsets too.
  const again = originals.slice(-200).filter((_, i) => i % 4 === 0);
  await produceCommands(deployment.connection, deployment.topics.commands, again, deployment.partitions);
  startProcessor(deployment, []);
  const expected = sent.length + again.length;
  const written = await readTopic(deployment.connection, deployment.topics.commandResults, {
    expect: expected,
    timeoutMs: 90_000,
  });
  assert.equal(written.length, expected, 'one result per command sent');
  const { results, events } = await readOutcome(deployment, CHILD_AGGREGATES);
  assert.deepEqual(exactlyOnceViolations({ commandIds: ids, results, events, sentOnce: false }), []);
  const resent = new Set(again.map((command) => command.commandId));
  originals.forEach((_, i) => {
    const earlier = originals[i - 50];
    if (i % 10 === 9 && earlier) resent.add(earlier.commandId);
  });
  for (const command of originals.filter((c) => resent.has(c.commandId))) {
    const answers = results.get(command.commandId) ?? [];
    assert.ok(answers.length >= 2, `${command.commandId} answered ${answers.length} times`);
    assert.ok(answers[0]?.position, 'an accepted command has a position');
  }
});
