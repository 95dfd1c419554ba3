import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { requireKafka, requirePostgres } from '@sluice/testing';
import { commandSide, startChild } from '../packages/kafka/src/testing/command-fixture.ts';
import { writeRow } from './support/results.ts';
import { startLoadRig } from './support/rig.ts';

const KILLS = 5;
const RATE = 400;
const SESSION_TIMEOUT_MS = 6_000;

test(`processor killed with SIGKILL ${KILLS} times during load: nothing lost, nothing applied twice`, async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const deployment = await commandSide(t);
  const rig = await startLoadRig(t, deployment, { scenario: 'sigkill', rate: RATE, users: 500 });
  let processor = startChild(t, deployment);
  const { instanceId } = processor;
  for (let kill = 1; kill <= KILLS; kill++) {
    // Each incarnation commits work of its own before it dies, with commands still arriving.
    await processor.waitFor('1,000 commands', () => processor.committedCommands >= 1_000, 180_000);
    assert.equal((await processor.kill()).signal, 'SIGKILL');
    processor = startChild(t, deployment, { instanceId });
  }
  await processor.waitFor(
    '500 commands after the last kill',
    () => processor.committedCommands >= 500,
    180_000,
  );
  const verdict = await rig.finish();
  await processor.terminate();
  writeRow({
    id: '1a-processor-sigkill',
    scenario: `processor SIGKILLed ${KILLS} times`,
    load: `UpdateUser at ${RATE}/s over 500 users, 4 partitions`,
    faults: `${KILLS} × SIGKILL of the processor child, restarted with the same instance id`,
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: `${rig.producer.retries} produce retries`,
  });
});

test('processor paused with SIGSTOP past its session: another instance takes over, the zombie is fenced', async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const deployment = await commandSide(t);
  const rig = await startLoadRig(t, deployment, { scenario: 'sigstop', rate: RATE, users: 500 });
  const options = { sessionTimeoutMs: SESSION_TIMEOUT_MS };
  const zombie = startChild(t, deployment, options);
  await zombie.waitFor('500 commands', () => zombie.committedCommands >= 500, 180_000);
  const heir = startChild(t, deployment, options);
  const shared = (partitions: number[]) => partitions.length > 0 && partitions.length < deployment.partitions;
  await heir.waitForAssignment(shared, 90_000);
  await zombie.waitForAssignment(shared, 90_000);
  await zombie.waitFor('a batch on its share', () => zombie.lines.at(-1)?.event === 'batch', 90_000);

  zombie.signal('SIGSTOP');
  const stoppedAt = Date.now();
  await heir.waitForAssignment((partitions) => partitions.length === deployment.partitions, 90_000);
  const before = heir.committedCommands;
  await heir.waitFor('500 commands on all partitions', () => heir.committedCommands >= before + 500, 90_000);
  // Past the session timeout and the transaction timeout (15 s): whatever the zombie had open is
  // aborted by the coordinator, and its generation is gone.
  await sleep(Math.max(0, stoppedAt + 20_000 - Date.now()));
  const mark = zombie.lines.length;
  zombie.signal('SIGCONT');
  await zombie.waitFor(
    'its rejoin',
    () => zombie.lines.slice(mark).some((line) => line.event === 'assigned'),
    120_000,
  );
  const resumed = zombie.lines.slice(mark);
  const firstAssignment = resumed.findIndex((line) => line.event === 'assigned');
  const firstBatch = resumed.findIndex((line) => line.event === 'batch');
  assert.ok(
    firstBatch === -1 || firstBatch > firstAssignment,
    `the zombie committed a batch before it rejoined: ${JSON.stringify(resumed.slice(0, 5))}`,
  );
  const said = resumed.filter((line) => line.event === 'warn').map((line) => String(line.message));
  const verdict = await rig.finish();
  await Promise.all([zombie.terminate(), heir.terminate()]);
  writeRow({
    id: '1b-processor-sigstop',
    scenario: 'processor paused past its session (zombie)',
    load: `UpdateUser at ${RATE}/s over 500 users, 4 partitions, 2 processors`,
    faults: `SIGSTOP of one processor for 20 s (session ${SESSION_TIMEOUT_MS / 1000} s), then SIGCONT`,
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: `heir took all partitions; the zombie committed nothing until it rejoined${said.length ? ` (it said: ${[...new Set(said)].join('; ')})` : ''}`,
  });
});
