import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireKafka } from '@sluice/testing';
import {
  commandSide,
  produceCommands,
  readOutcome,
  startChild,
  updateUserCommands,
  waitForResults,
} from '../testing/command-fixture.ts';
import { exactlyOnceViolations } from '../testing/exactly-once.ts';

const SESSION_TIMEOUT_MS = 6_000;

// A processor stopped (SIGSTOP) inside a transaction, past its session timeout, while a second
// instance takes its partitions; then continued (SIGCONT). `after-send`: its offsets are refused (stale
// generation) and it aborts. `after-offsets`: continued before the transaction times out it commits,
// and the new owner, whose barrier waits for stable offsets, starts at the offset it committed.
for (const point of ['after-send', 'after-offsets'] as const) {
  test(`zombie paused at ${point}: every command exactly once`, async (t) => {
    if (!requireKafka(t)) return;
    const deployment = await commandSide(t);
    const commands = updateUserCommands(3_000, 200);
    await produceCommands(deployment.connection, deployment.topics.commands, commands, deployment.partitions);
    const options = { sessionTimeoutMs: SESSION_TIMEOUT_MS, maxBatch: 200 };

    // after-send is reached twice per transaction: :3 is the events of the second one.
    const zombie = startChild(t, deployment, {
      ...options,
      fault: `pause-${point}:${point === 'after-send' ? 3 : 2}`,
    });
    await zombie.waitFor('the pause', () => zombie.stderr.some((line) => line.includes('SIGSTOP')));
    const paused = Date.now();
    const heir = startChild(t, deployment, options);
    if (point === 'after-send') {
      await heir.waitForAssignment((partitions) => partitions.length === deployment.partitions, 30_000);
      await heir.waitFor('some commands', () => heir.committedCommands > 0, 30_000);
    } else {
      // The heir's barrier waits on the zombie's pending offsets; continue it before its transaction times out.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, paused + SESSION_TIMEOUT_MS + 3_000 - Date.now())),
      );
      assert.equal(heir.partitions, undefined, 'the heir waits for stable offsets');
    }
    zombie.signal('SIGCONT');

    const ids = commands.map((c) => c.commandId);
    await waitForResults(deployment.connection, deployment.topics.commandResults, ids);
    await Promise.all([zombie.terminate(), heir.terminate()]);
    const outcome = await readOutcome(deployment, ['user']);
    assert.deepEqual(exactlyOnceViolations({ commandIds: ids, ...outcome, sentOnce: true }), []);
    assert.equal(outcome.events.get('user')?.length, commands.length);
    t.diagnostic(
      `zombie: ${zombie.committedCommands} commands, heir: ${heir.committedCommands}; zombie said ` +
        zombie.lines
          .filter((line) => line.event === 'warn')
          .map((line) => line.message)
          .join(', '),
    );
  });
}
