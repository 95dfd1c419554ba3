import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { requireKafka } from '@sluice/testing';
import { createProducer } from '../client.ts';
import { isRecordTooLargeError } from '../kafka-errors.ts';
import {
  commandSide,
  produceCommands,
  type RawCommand,
  readOutcome,
  startChild,
  updateUserCommands,
  waitForResults,
} from '../testing/command-fixture.ts';
import { exactlyOnceViolations } from '../testing/exactly-once.ts';
import { readBoth } from '../testing/topic-oracle.ts';

test('bad input between good commands: the good ones processed, the bad ones in commands-dlq with a reason', async (t) => {
  if (!requireKafka(t)) return;
  const deployment = await commandSide(t);
  const { connection, topics } = deployment;

  // The broker refuses a 5 MB record (commands has max.message.bytes 4 MB) at produce time.
  const producer = createProducer(connection);
  await assert.rejects(
    producer.send({
      messages: [{ topic: topics.commands, partition: 0, value: Buffer.alloc(5 * 1024 * 1024, 0x61) }],
    }),
    (error: unknown) => isRecordTooLargeError(error),
  );
  await producer.close();

  const bad: { value: string | Buffer; code: string }[] = [
    // Random bytes, without the line and field separators of the Java console consumer's output.
    {
      value: Buffer.from(randomBytes(64).filter((b) => b !== 0x0a && b !== 0x1d && b !== 0x1f)),
      code: 'MALFORMED_COMMAND',
    },
    { value: '{"type":"UpdateUser","userId":', code: 'MALFORMED_COMMAND' },
    { value: '{"type":"Teleport","userId":"1"}', code: 'UNKNOWN_COMMAND' },
    {
      value: JSON.stringify({ type: 'UpdateUser', userId: '9', newName: 'x'.repeat(300 * 1024) }),
      code: 'TOO_LARGE',
    },
  ];
  const good = updateUserCommands(40, 10);
  const commands: RawCommand[] = good.flatMap((command, i) => {
    const worse = bad[i % 10 === 0 ? i / 10 : -1];
    return worse ? [{ partition: i % deployment.partitions, value: worse.value }, command] : [command];
  });
  await produceCommands(connection, topics.commands, commands, deployment.partitions);

  startChild(t, deployment);
  const ids = good.map((c) => c.commandId);
  await waitForResults(connection, topics.commandResults, ids);
  const outcome = await readOutcome(deployment, ['user']);
  assert.deepEqual(exactlyOnceViolations({ commandIds: ids, ...outcome, sentOnce: true }), []);
  assert.ok(ids.every((id) => outcome.results.get(id)?.[0]?.code === 'OK'));

  const letters = await readBoth(connection, topics.commandsDlq, { expect: bad.length, compare: 'position' });
  assert.deepEqual(
    letters.map((letter) => letter.headers.get('sluice-error-code')?.toString()).sort(),
    bad.map((b) => b.code).sort(),
  );
  for (const letter of letters) {
    assert.ok((letter.headers.get('sluice-error-message')?.length ?? 0) > 0, 'a reason');
    assert.match(letter.headers.get('sluice-origin')?.toString() ?? '', /commands\/\d+\/\d+$/);
  }
  const big = letters.find((letter) => letter.headers.get('sluice-error-code')?.toString() === 'TOO_LARGE');
  assert.ok((big?.value.length ?? 0) > 300 * 1024, 'the whole 300 KB command is kept');
});
