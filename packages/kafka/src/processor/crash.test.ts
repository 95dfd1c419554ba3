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

// 5,000 commands are written before the processor starts, so a crash always hits them in flight.
const COMMANDS = 5_000;
const USERS = 250;

// `<point>:<n>`: the n-th time the point is reached, a few batches (of up to 500) into the run.
const scenarios = [
  { name: 'SIGKILL from outside after 1,500 commands', fault: undefined },
  { name: 'SIGKILL at after-send (events sent, state not)', fault: 'after-send:5' },
  { name: 'SIGKILL at after-offsets', fault: 'after-offsets:3' },
  { name: 'SIGKILL at before-commit', fault: 'before-commit:3' },
  { name: 'SIGKILL at mid-batch (half the batch decided)', fault: 'mid-batch:3' },
  { name: 'SIGKILL during-restore after an earlier SIGKILL', fault: 'during-restore' },
] as const;

for (const scenario of scenarios) {
  test(`crash: ${scenario.name}; after a restart every command is applied exactly once`, async (t) => {
    if (!requireKafka(t)) return;
    const deployment = await commandSide(t);
    const commands = updateUserCommands(COMMANDS, USERS);
    await produceCommands(deployment.connection, deployment.topics.commands, commands, deployment.partitions);

    const inFirst = scenario.fault !== undefined && scenario.fault !== 'during-restore';
    const first = startChild(t, deployment, inFirst ? { fault: scenario.fault } : {});
    if (scenario.fault === undefined || scenario.fault === 'during-restore') {
      await first.waitFor('1,500 commands', () => first.committedCommands >= 1_500);
      assert.equal((await first.kill()).signal, 'SIGKILL');
    }
    if (scenario.fault !== undefined) {
      const faulty =
        scenario.fault === 'during-restore'
          ? startChild(t, deployment, { instanceId: first.instanceId, fault: scenario.fault })
          : first;
      if (faulty !== first) await first.exited;
      const exit = await faulty.exited;
      assert.equal(exit.signal, 'SIGKILL', faulty.stderr.join('\n'));
      const point = scenario.fault.split(':')[0];
      assert.ok(faulty.stderr.some((line) => line.includes(`injected fault at ${point}`)));
      assert.ok(faulty.committedCommands < COMMANDS, 'the crash came while commands were in flight');
    }

    const restarted = Date.now();
    const survivor = startChild(t, deployment, { instanceId: first.instanceId });
    await survivor.waitFor('a first batch', () => survivor.committedCommands > 0);
    // Registering its transactional id aborts what the predecessor left open: no waiting for it to time out.
    assert.ok(Date.now() - restarted < 10_000, `resumed after ${Date.now() - restarted} ms`);
    const ids = commands.map((c) => c.commandId);
    await waitForResults(deployment.connection, deployment.topics.commandResults, ids);
    await survivor.terminate();

    const { results, events } = await readOutcome(deployment, ['user']);
    assert.deepEqual(exactlyOnceViolations({ commandIds: ids, results, events, sentOnce: true }), []);
    const userEvents = events.get('user') ?? [];
    assert.equal(userEvents.length, COMMANDS, 'every UpdateUser has a distinct name: one event each');
    assert.equal([...results.values()].flat().length, COMMANDS, 'one result per command');
  });
}
