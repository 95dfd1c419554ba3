import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { seatAvailabilityProjection } from '@sluice/booking/projections';
import { positionToken } from '@sluice/core';
import { partitionForKey } from '@sluice/kafka';
import { Projector, ReadSide } from '@sluice/store';
import { openTestStore } from '@sluice/store/testing';
import { requireKafka, requirePostgres } from '@sluice/testing';
import { commandSide, startChild } from '../packages/kafka/src/testing/command-fixture.ts';
import { AuditLog } from './support/audit.ts';
import { AuditedProducer, type LoadRecord } from './support/load.ts';
import { ResultWatch } from './support/result-watch.ts';
import { writeRow } from './support/results.ts';
import { verifyRun } from './support/verify.ts';

const CLIENTS = 100;
const BOOKINGS_PER_CLIENT = 10;
const SHOWS = ['show-a', 'show-b', 'show-c'];
const SEATS = 40;

test(`${CLIENTS} concurrent clients booking the same seats: no seat booked twice`, async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const started = Date.now();
  const deployment = await commandSide(t);
  const { connection, topics, partitions } = deployment;
  const audit = await AuditLog.create(t, 'booking');
  const producer = new AuditedProducer(connection, topics.commands, audit);
  deployment.defer(() => producer.close());
  const watch = new ResultWatch(connection, topics.commandResults);
  deployment.defer(() => watch.close());
  const db = await openTestStore('postgres');
  t.after(() => db.close());
  const projector = new Projector({
    store: db.store,
    connection,
    projection: seatAvailabilityProjection,
    topicPrefix: deployment.prefix,
  });
  deployment.defer(() => projector.stop());
  await projector.start();
  const processor = startChild(t, deployment);

  const command = (showId: string, body: object, principal?: string): LoadRecord => {
    const commandId = randomUUID();
    return {
      partition: partitionForKey(showId, partitions),
      key: showId,
      value: JSON.stringify({ ...body, showId, commandId }),
      // No principal acts as `system`, which may create shows.
      headers: principal === undefined ? {} : { 'sluice-principal': principal },
      commandId,
      aggregateId: showId,
      kind: 'good',
    };
  };
  /** Sends until a result arrives, re-sending the same command id after a silence. */
  const request = async (record: LoadRecord) => {
    for (;;) {
      await producer.send([record]);
      const result = await watch.wait(record.commandId, 15_000);
      if (result) return result;
    }
  };
  for (const showId of SHOWS)
    assert.equal((await request(command(showId, { type: 'CreateShow', seats: SEATS }))).code, 'OK');

  // Every client goes for the first few seats of a random show: the same seats, all at once.
  const client = async (index: number) => {
    for (let n = 0; n < BOOKINGS_PER_CLIENT; n++) {
      const showId = SHOWS[(index + n) % SHOWS.length]!;
      const wanted = new Set(Array.from({ length: 1 + (n % 3) }, () => 1 + Math.floor(Math.random() * 12)));
      await request(command(showId, { type: 'BookSeats', seats: [...wanted] }, `client-${index}`));
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));

  const verdict = await verifyRun({ deployment, audit, aggregateTypes: ['show'] });
  await processor.terminate();
  const holders = new Map<string, string>();
  for (const event of verdict.events.get('show') ?? []) {
    if (event.type !== 'SeatsBooked') continue;
    for (const seat of event.data.seats as number[]) {
      const key = `${event.aggregateId}/${seat}`;
      assert.equal(holders.get(key), undefined, `seat ${key} booked twice`);
      holders.set(key, String(event.data.holder));
    }
  }
  const codes = new Map<string, number>();
  for (const [, [result]] of verdict.results) codes.set(result!.code, (codes.get(result!.code) ?? 0) + 1);
  assert.ok((codes.get('SEAT_TAKEN') ?? 0) > 0, 'clients competed for the same seats');

  // The read store shows the same holders.
  const showEvents = verdict.events.get('show') ?? [];
  const last = new Map(
    showEvents.map((e) => [
      e.partition,
      { topic: topics.events('show'), partition: e.partition, offset: String(e.offset) },
    ]),
  );
  const readSide = new ReadSide({
    store: db.store,
    projections: [seatAvailabilityProjection],
    topicPrefix: deployment.prefix,
  });
  await readSide.waitForPosition(seatAvailabilityProjection.name, positionToken(last.values()), 120_000);
  const { shows } = await readSide.tables(seatAvailabilityProjection.name);
  const stored = new Map<string, string>();
  for (const row of await db.store.findRows(shows!)) {
    const booked = row.booked as Record<string, string>;
    for (const [seat, holder] of Object.entries(booked)) stored.set(`${row.show_id}/${seat}`, holder);
    assert.equal(row.available, SEATS - Object.keys(booked).length);
  }
  assert.deepEqual(new Map([...stored].sort()), new Map([...holders].sort()), 'read store holders');
  writeRow({
    id: '6-booking-contention',
    scenario: `${CLIENTS} clients booking the same seats`,
    load: `${CLIENTS} × ${BOOKINGS_PER_CLIENT} BookSeats of 1–3 of the first 12 seats of ${SHOWS.length} shows, concurrently`,
    faults: 'contention only (one writer per show partition)',
    accepted: verdict.accepted,
    lost: verdict.lost,
    duplicated: verdict.duplicated,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: `${holders.size} seats booked once each; results ${[...codes].map(([c, n]) => `${c} ${n}`).join(', ')}`,
  });
});
