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
import type { ProcessorProcess } from '../testing/processor-process.ts';

/** How long instances are started and stopped at random (SLUICE_STORM_MS, default one minute). */
const STORM_MS = Number(process.env.SLUICE_STORM_MS ?? 60_000);
const SLOTS = 4;

test('rebalance storm: four instances started, SIGTERMed and SIGKILLed at random under load; nothing lost, nothing doubled', async (t) => {
  if (!requireKafka(t)) return;
  const deployment = await commandSide(t);
  // A slot keeps its instance id across restarts, and never runs two processes at once.
  const slots: (ProcessorProcess | undefined)[] = Array.from({ length: SLOTS }, () => undefined);
  const ids = Array.from({ length: SLOTS }, (_, i) => `${deployment.prefix}storm-${i}`);
  const start = (slot: number) => {
    slots[slot] = startChild(t, deployment, { instanceId: ids[slot] ?? '', sessionTimeoutMs: 6_000 });
  };
  start(0);
  start(1);

  const sent: string[] = [];
  let loading = true;
  const load = (async () => {
    for (let round = 0; loading; round++) {
      const commands = updateUserCommands(40, 300).map((c, i) => ({
        ...c,
        // Distinct names across rounds, so every command writes one event.
        value: String(c.value).replace('"newName":"name-', `"newName":"r${round}-${i}-`),
      }));
      await produceCommands(
        deployment.connection,
        deployment.topics.commands,
        commands,
        deployment.partitions,
      );
      sent.push(...commands.map((c) => c.commandId));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();

  const actions: string[] = [];
  let stops = 0;
  const until = Date.now() + STORM_MS;
  while (Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, 1_000 + Math.random() * 3_000));
    const slot = Math.floor(Math.random() * SLOTS);
    const running = slots[slot];
    if (!running || running.ended) {
      start(slot);
      actions.push(`start ${slot}`);
    } else if (stops++ % 2 === 0) {
      await running.terminate();
      actions.push(`term ${slot}`);
    } else {
      await running.kill();
      actions.push(`kill ${slot}`);
    }
  }
  loading = false;
  await load;
  if (!slots.some((slot) => slot && !slot.ended)) start(0);
  await waitForResults(deployment.connection, deployment.topics.commandResults, sent, 120_000);
  await Promise.all(slots.map((slot) => slot?.terminate()));
  t.diagnostic(`${sent.length} commands; ${actions.join(', ')}`);

  const outcome = await readOutcome(deployment, ['user']);
  assert.deepEqual(exactlyOnceViolations({ commandIds: sent, ...outcome, sentOnce: true }), []);
  assert.equal(outcome.events.get('user')?.length, sent.length, 'one event per command');
  assert.ok(actions.some((a) => a.startsWith('kill')) && actions.some((a) => a.startsWith('term')));
});
