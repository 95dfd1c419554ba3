import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { partitionForKey } from '@sluice/kafka';
import { requireKafka, requirePostgres } from '@sluice/testing';
import { commandSide, startChild } from '../packages/kafka/src/testing/command-fixture.ts';
import { readBoth } from '../packages/kafka/src/testing/topic-oracle.ts';
import { AuditLog } from './support/audit.ts';
import { AuditedProducer, type LoadRecord, updateUser } from './support/load.ts';
import { writeRow } from './support/results.ts';
import { openTally } from './support/tally.ts';
import { verifyRun } from './support/verify.ts';

const BAD = 10_000;
const GOOD = 10_000;
const USERS = 500;
const PARTITIONS = 4;

/** The n-th bad record and the dead-letter code it must get (its audit aggregate id). */
function badRecord(n: number): LoadRecord {
  const partition = n % PARTITIONS;
  const bad = (value: string | Buffer, code: string, extra: Partial<LoadRecord> = {}): LoadRecord => ({
    partition,
    value,
    commandId: `bad-${n}`,
    aggregateId: code,
    kind: 'bad',
    ...extra,
  });
  // Huge values are few, so the run stays small: 20 of 300 KB.
  if (n % 500 === 499) {
    const newName = 'x'.repeat(300 * 1024);
    return bad(JSON.stringify({ type: 'UpdateUser', userId: '1', newName }), 'TOO_LARGE');
  }
  switch (n % 6) {
    case 0: // Random bytes, without the separators of the Java console consumer's output.
      return bad(
        Buffer.from(randomBytes(80).filter((b) => b !== 0x0a && b !== 0x1d && b !== 0x1f)),
        'MALFORMED_COMMAND',
      );
    case 1:
      return bad(`{"type":"UpdateUser","userId":"${n}",`, 'MALFORMED_COMMAND');
    case 2: // Wrong types.
      return bad(JSON.stringify({ type: 'UpdateUser', userId: { id: n }, newName: n }), 'INVALID_COMMAND');
    case 3:
      return bad(JSON.stringify({ type: 42, userId: String(n) }), 'MALFORMED_COMMAND');
    case 4:
      return bad(JSON.stringify({ type: 'Teleport', userId: String(n) }), 'UNKNOWN_COMMAND');
    default: {
      // Wrong key: a command already forwarded once that lands on a partition not its own again.
      const userId = `u${n}`;
      const wrong = (partitionForKey(userId, PARTITIONS) + 1) % PARTITIONS;
      const value = JSON.stringify({ type: 'UpdateUser', userId, newName: `n${n}`, commandId: randomUUID() });
      return bad(value, 'ROUTING_LOOP', {
        partition: wrong,
        key: 'not-the-aggregate',
        headers: { 'sluice-forwarded-from': `elsewhere/0/${n}` },
      });
    }
  }
}

/** Good commands; every tenth under a key that is not its aggregate id (forwarded, then processed). */
function goodRecord(n: number): LoadRecord {
  const command = updateUser(String(n % USERS), `good-${n}`, PARTITIONS);
  if (n % 10 !== 0) return command;
  const key = `wrong-key-${n}`;
  return { ...command, key, partition: partitionForKey(key, PARTITIONS) };
}

test(`${BAD} bad records among ${GOOD} good commands: every good one applied once, every bad one a dead letter`, async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const deployment = await commandSide(t, PARTITIONS);
  const { connection, topics } = deployment;
  const audit = await AuditLog.create(t, 'bad');
  const tally = await openTally(t, deployment);
  await tally.startProjector();
  const producer = new AuditedProducer(connection, topics.commands, audit);
  deployment.defer(() => producer.close());
  const processor = startChild(t, deployment);
  for (let i = 0; i < GOOD; i += 500) {
    const chunk = Array.from({ length: 500 }, (_, j) => [badRecord(i + j), goodRecord(i + j)]).flat();
    await producer.send(chunk);
  }
  const verdict = await verifyRun({ deployment, audit, aggregateTypes: ['user'], tally });
  await processor.terminate();

  const bad = await audit.entries('bad');
  assert.equal(bad.length, BAD);
  const letters = await readBoth(connection, topics.commandsDlq, { expect: BAD, compare: 'position' });
  const byOrigin = new Map(
    letters.map((letter) => [
      /(\d+)\/(\d+)$/
        .exec(letter.headers.get('sluice-origin')?.toString() ?? '')
        ?.slice(1)
        .join('/'),
      letter.headers.get('sluice-error-code')?.toString(),
    ]),
  );
  const wrong = bad.filter(
    (entry) => byOrigin.get(`${entry.partition}/${entry.offset}`) !== entry.aggregateId,
  );
  assert.deepEqual(
    wrong
      .slice(0, 5)
      .map(
        (e) => `${e.partition}/${e.offset} ${e.aggregateId}: ${byOrigin.get(`${e.partition}/${e.offset}`)}`,
      ),
    [],
    'every bad record is a dead letter with its code',
  );
  assert.equal(letters.length, BAD, 'no dead letter for a good command');
  const codes = new Map<string, number>();
  for (const entry of bad) codes.set(entry.aggregateId, (codes.get(entry.aggregateId) ?? 0) + 1);
  writeRow({
    id: '5-bad-input',
    scenario: 'bad records mixed with good commands',
    load: `${GOOD} UpdateUser (a tenth under wrong keys, forwarded) + ${BAD} bad records`,
    faults: [...codes].map(([code, n]) => `${n} ${code}`).join(', '),
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: `${letters.length} dead letters, each matching its bad record's offset and code`,
  });
});
