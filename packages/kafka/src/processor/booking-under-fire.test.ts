import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { type CommandResult, decodeCommandResult } from '@sluice/core';
import { requireKafka } from '@sluice/testing';
import { createProducer } from '../client.ts';
import { PartitionReader, tpKey } from '../partition-reader.ts';
import { partitionForKey } from '../partitioning.ts';
import {
  commandSide,
  produceCommands,
  readOutcome,
  startChild,
  waitForResults,
} from '../testing/command-fixture.ts';
import { exactlyOnceViolations } from '../testing/exactly-once.ts';

const CLIENTS = 50;
const SHOWS = 20;
const SEATS = 30;
const BOOKINGS_PER_CLIENT = 16;

test('booking under fire: 50 clients, 20 shows, two SIGKILLs: no seat twice, one distinct result per command', async (t) => {
  if (!requireKafka(t)) return;
  const deployment = await commandSide(t);
  const { connection, topics } = deployment;
  const shows = Array.from({ length: SHOWS }, (_, i) => `show-${i}`);
  const creations = shows.map((showId) => {
    const commandId = randomUUID();
    return {
      key: showId,
      commandId,
      value: JSON.stringify({ type: 'CreateShow', showId, seats: SEATS, commandId }),
    };
  });
  await produceCommands(connection, topics.commands, creations, deployment.partitions);
  let processor = startChild(t, deployment);
  await waitForResults(
    connection,
    topics.commandResults,
    creations.map((c) => c.commandId),
  );

  // Results of partition 0 (no reply-to), read as they commit.
  const results = new Map<string, CommandResult>();
  const reader = new PartitionReader({ connection, maxWaitMs: 100 });
  let reading = true;
  const watching = (async () => {
    let offset = 0n;
    while (reading) {
      const round = await reader.fetch([{ topic: topics.commandResults, partition: 0, offset }]);
      for (const record of round.records) {
        const result = record.value ? decodeCommandResult(record.value.toString()) : undefined;
        if (result) results.set(result.commandId, result);
      }
      offset = round.next.get(tpKey(topics.commandResults, 0)) ?? offset;
    }
  })();
  const producer = createProducer(connection);
  t.after(async () => {
    reading = false;
    await watching.catch(() => undefined);
    await reader.close();
    await producer.close();
  });

  const sent: string[] = [];
  let resends = 0;
  const client = async (index: number) => {
    for (let n = 0; n < BOOKINGS_PER_CLIENT; n++) {
      const showId = shows[Math.floor(Math.random() * SHOWS)] ?? 'show-0';
      const seats = [
        ...new Set(Array.from({ length: 1 + (n % 3) }, () => 1 + Math.floor(Math.random() * SEATS))),
      ];
      const commandId = randomUUID();
      sent.push(commandId);
      const message = {
        topic: topics.commands,
        partition: partitionForKey(showId, deployment.partitions),
        key: Buffer.from(showId),
        value: Buffer.from(JSON.stringify({ type: 'BookSeats', showId, seats, commandId })),
        headers: new Map([['sluice-principal', Buffer.from(`client-${index}`)]]),
      };
      // Retry with the same command id until a result arrives.
      for (let attempt = 0; !results.has(commandId); attempt++) {
        if (attempt > 0) resends++;
        await producer.send({ messages: [message] });
        const until = Date.now() + 2_500;
        while (!results.has(commandId) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const kills = (async () => {
    // Kill while clients are mid-way: after a quarter and after two thirds of the bookings.
    for (const share of [0.25, 0.66]) {
      const due = SHOWS + share * CLIENTS * BOOKINGS_PER_CLIENT;
      while (results.size < due) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal((await processor.kill()).signal, 'SIGKILL');
      processor = startChild(t, deployment, { instanceId: processor.instanceId });
    }
  })();
  await Promise.all([...Array.from({ length: CLIENTS }, (_, i) => client(i)), kills]);
  t.diagnostic(`${sent.length} bookings, ${resends} resends after timeouts`);
  assert.ok(resends > 0, 'the kills left clients waiting: they resent');
  await processor.terminate();

  const outcome = await readOutcome(deployment, ['show']);
  const ids = [...creations.map((c) => c.commandId), ...sent];
  assert.deepEqual(exactlyOnceViolations({ commandIds: ids, ...outcome, sentOnce: false }), []);
  const holders = new Map<string, string>();
  let booked = 0;
  for (const event of outcome.events.get('show') ?? []) {
    if (event.type !== 'SeatsBooked') continue;
    for (const seat of event.data.seats as number[]) {
      const key = `${event.aggregateId}/${seat}`;
      assert.equal(holders.get(key), undefined, `seat ${key} booked twice`);
      holders.set(key, String(event.data.holder));
      booked++;
    }
  }
  const accepted = sent.filter((id) => outcome.results.get(id)?.[0]?.code === 'OK').length;
  assert.ok(accepted > 0 && booked > 0, 'some bookings succeeded');
  assert.ok(
    sent.some((id) => outcome.results.get(id)?.[0]?.code === 'SEAT_TAKEN'),
    'bookings overlapped: some found their seats taken',
  );
});
