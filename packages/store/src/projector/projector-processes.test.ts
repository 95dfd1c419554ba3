import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type PositionToken, positionToken } from '@sluice/core';
import { testBrokers, uniqueName } from '@sluice/testing';
import type { Row } from '../model/row-changes.ts';
import { ReadSide } from './read-side.ts';
import { EventLog, type TestEvent } from './testing/event-log.ts';
import { orderEvents, poisonableOrders, startProjectors } from './testing/shop-fixtures.ts';
import { eventually, openTestStore, postgresUnavailable, type TestStore } from './testing/test-stores.ts';

const child = fileURLToPath(new URL('./testing/projector-child.ts', import.meta.url));
const noPostgres = await postgresUnavailable();
const skip = noPostgres && process.env.CI !== 'true' ? noPostgres : false;

interface ChildLine {
  readonly event: string;
  readonly at: number;
  readonly pid: number;
  readonly held?: boolean;
  readonly code?: string;
}

/** A projector process and the lines it printed. */
function spawnProjector(db: TestStore, name: string, log: EventLog, delayMs: number) {
  const proc = spawn(
    process.execPath,
    [child, db.schema, name, log.prefix, log.connection.brokers.join(','), String(delayMs)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const lines: ChildLine[] = [];
  let buffer = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
      lines.push(JSON.parse(buffer.slice(0, i)) as ChildLine);
      buffer = buffer.slice(i + 1);
    }
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  return { proc, lines, exited };
}

async function kill(proc: ChildProcess, exited: Promise<void>, signal: NodeJS.Signals = 'SIGTERM') {
  if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
  await exited;
}

function manyOrders(count: number, tag: string): TestEvent[] {
  return Array.from({ length: count }, (_, i) =>
    orderEvents(`${tag}-${i}`, `u${i % 7}`, [100 + i], i % 2 === 0),
  ).flat();
}

describe('projector processes on PostgreSQL', { skip, timeout: 180_000 }, () => {
  let log: EventLog;
  before(async () => {
    log = await EventLog.create({
      brokers: testBrokers(),
      prefix: `${uniqueName('projproc')}.`,
      aggregates: ['order'],
    });
  });
  after(async () => {
    await log?.close();
  });

  /** Rows of the projection, next to those of a clean in-process run over the same log. */
  async function compareWithCleanRun(db: TestStore, name: string, token: PositionToken) {
    const clean = poisonableOrders(`${name}_clean`, { fixed: true });
    const projection = poisonableOrders(name, { fixed: true });
    const readSide = new ReadSide({
      store: db.store,
      projections: [projection, clean],
      topicPrefix: log.prefix,
    });
    const [cleanProjector] = await startProjectors(db.store, log, [clean]);
    try {
      await readSide.waitForPosition(clean.name, token, 60_000);
      await readSide.waitForPosition(name, token, 60_000);
    } finally {
      await cleanProjector!.stop();
    }
    const rows = async (n: string) => db.store.findRows((await readSide.tables(n)).orders!);
    const actual: Row[] = await rows(name);
    const expected: Row[] = await rows(clean.name);
    assert.ok(expected.length > 0);
    assert.deepEqual(actual, expected);
  }

  it('a projector killed with SIGKILL mid-stream and restarted ends with the rows of a clean run', async (t) => {
    const db = await openTestStore('postgres');
    t.after(() => db.close());
    const name = 'killed';
    const token = positionToken(await log.append(manyOrders(6000, uniqueName('k')), 150));
    const first = spawnProjector(db, name, log, 5);
    t.after(() => kill(first.proc, first.exited, 'SIGKILL'));
    await eventually(
      async () => first.lines.filter((l) => l.event === 'batch').length >= 5,
      30_000,
      'first batches',
    );
    first.proc.kill('SIGKILL');
    await first.exited;
    const offsets = await db.store.readOffsets(name, 1);
    const done = [...offsets.values()].reduce((a, b) => a + b, 0n);
    assert.ok(done > 0n && done < 9000n, `killed mid-stream (${done} offsets done)`);
    const second = spawnProjector(db, name, log, 0);
    t.after(() => kill(second.proc, second.exited));
    await compareWithCleanRun(db, name, token);
  });

  it('two projector processes racing for the lease give the rows of a clean run', async (t) => {
    const db = await openTestStore('postgres');
    t.after(() => db.close());
    const name = 'raced';
    const token = positionToken(await log.append(manyOrders(3000, uniqueName('r')), 150));
    const a = spawnProjector(db, name, log, 2);
    const b = spawnProjector(db, name, log, 2);
    t.after(() => Promise.all([kill(a.proc, a.exited), kill(b.proc, b.exited)]).then(() => undefined));
    // Half way, the holder dies; the other takes over.
    await eventually(
      async () => [...a.lines, ...b.lines].filter((l) => l.event === 'batch').length >= 3,
      30_000,
      'batches',
    );
    const holder = a.lines.some((l) => l.event === 'batch') ? a : b;
    holder.proc.kill('SIGKILL');
    await compareWithCleanRun(db, name, token);
    const writers = new Set([...a.lines, ...b.lines].filter((l) => l.event === 'batch').map((l) => l.pid));
    assert.equal(writers.size, 2, 'both processes wrote, one after the other');
  });

  it('a SIGSTOPped holder loses the lease and cannot write after SIGCONT', async (t) => {
    const db = await openTestStore('postgres');
    t.after(() => db.close());
    const name = 'stopped';
    await log.append(manyOrders(3000, uniqueName('s')), 150);
    const a = spawnProjector(db, name, log, 20);
    t.after(() => kill(a.proc, a.exited, 'SIGKILL'));
    await eventually(
      async () => a.lines.filter((l) => l.event === 'batch').length >= 3,
      30_000,
      'holder batches',
    );
    a.proc.kill('SIGSTOP');
    const b = spawnProjector(db, name, log, 0);
    t.after(() => kill(b.proc, b.exited));
    await eventually(async () => b.lines.some((l) => l.event === 'batch'), 30_000, 'takeover');
    const token = positionToken(await log.append(manyOrders(500, uniqueName('s2'))));
    const readSide = new ReadSide({
      store: db.store,
      projections: [poisonableOrders(name, { fixed: true })],
      topicPrefix: log.prefix,
    });
    await readSide.waitForPosition(name, token, 30_000);
    const resumedAt = Date.now();
    a.proc.kill('SIGCONT');
    await eventually(
      async () => a.lines.some((l) => l.event === 'lease' && l.held === false),
      // Noticing is liveness, not safety (the CAS fences it meanwhile): generous on a loaded machine.
      30_000,
      'lease lost',
    ).catch((error: unknown) => {
      // What the old holder did after SIGCONT tells why it did not notice.
      const after = a.lines.filter((l) => l.at >= resumedAt).slice(-20);
      throw new Error(`${String(error)}; its lines since SIGCONT: ${JSON.stringify(after)}`);
    });
    await sleep(1500);
    const late = a.lines.filter((l) => l.event === 'batch' && l.at >= resumedAt);
    assert.deepEqual(late, [], 'no batch committed by the old holder after SIGCONT');
    await compareWithCleanRun(db, name, token);
  });
});
