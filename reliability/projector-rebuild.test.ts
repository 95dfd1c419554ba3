import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RebuildCarrier } from '@sluice/store';
import { requireKafka, requirePostgres } from '@sluice/testing';
import { commandSide, startChild } from '../packages/kafka/src/testing/command-fixture.ts';
import type { TestDeployment } from '../packages/kafka/src/testing/deployment.ts';
import { writeRow } from './support/results.ts';
import { startLoadRig } from './support/rig.ts';
import { appliedCommands, type Tally } from './support/tally.ts';

const CHILD = fileURLToPath(new URL('./support/rebuild-child.ts', import.meta.url));
const RATE = 400;

/** A rebuild process of version 2 and the lines it printed. */
function startRebuild(deployment: TestDeployment, tally: Tally, delayMs: number) {
  const args = [
    CHILD,
    tally.schema,
    deployment.prefix,
    deployment.connection.brokers.join(','),
    '2',
    String(delayMs),
  ];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: { event: string; done?: string }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => lines.push(JSON.parse(line)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  deployment.defer(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    return exited;
  });
  return { child, lines, exited };
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('projector killed with SIGKILL during a rebuild: a carrier resumes it and the view is exact', async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const deployment = await commandSide(t);
  const rig = await startLoadRig(t, deployment, { scenario: 'rebuild', rate: RATE, users: 500 });
  const processor = startChild(t, deployment);
  await processor.waitFor('6,000 commands', () => processor.committedCommands >= 6_000, 240_000);

  // Throttled (200 events a batch, 100 ms apart) so that the kill lands mid-way.
  const first = startRebuild(deployment, rig.tally, 100);
  await until('rebuild progress', () => first.lines.some((line) => Number(line.done ?? 0) >= 2_000), 120_000);
  first.child.kill('SIGKILL');
  await first.exited;
  assert.ok(!first.lines.some((line) => line.event === 'done'), 'killed before it finished');
  const offsets = await rig.tally.store.readOffsets(appliedCommands.name, 2);
  const resumedFrom = [...offsets.values()].reduce((a, b) => a + b, 0n);
  assert.ok(resumedFrom > 0n, 'version 2 had committed batches before the kill');

  // No operator step: a projector process's rebuild carrier takes the rebuild over once the killed
  // process's lease expires, and switches to it.
  const carrier = new RebuildCarrier({
    store: rig.tally.store,
    connection: deployment.connection,
    projections: [appliedCommands],
    topicPrefix: deployment.prefix,
    pollMs: 500,
  });
  let carried = false;
  carrier.once('carried', () => {
    carried = true;
  });
  carrier.start();
  try {
    await until('the rebuild carried on and switched', () => carried, 120_000);
  } finally {
    await carrier.stop();
  }
  assert.equal((await rig.tally.store.readStatus(appliedCommands.name))?.activeVersion, 2);
  // The active version (2) holds each accepted command exactly once: it resumed at its stored
  // offsets, since re-reading from the log start would have applied the first batches twice.
  const verdict = await rig.finish();
  await processor.terminate();
  writeRow({
    id: '2-projector-rebuild-sigkill',
    scenario: 'projector killed during a rebuild',
    load: `UpdateUser at ${RATE}/s over 500 users during a blue-green rebuild (v1 serving, v2 building)`,
    faults: `SIGKILL of the rebuild process after ${resumedFrom} offsets of v2; a rebuild carrier took it over and switched`,
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: 'v2 active at the end; every accepted command applied once in it',
  });
});
