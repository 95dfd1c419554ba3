import assert from 'node:assert/strict';
import { it } from 'node:test';
import { positionToken } from '@sluice/core';
import { MemoryReadStore, ReadSide } from '@sluice/store';
import { EventLog, startProjectors } from '@sluice/store/testing';
import { requireKafka, testBrokers, uniqueName } from '@sluice/testing';
import { seatAvailabilityProjection } from './seat-availability.ts';

it('seat availability follows bookings and releases per show', { timeout: 60_000 }, async (t) => {
  if (!requireKafka(t)) return;
  const log = await EventLog.create({
    brokers: testBrokers(),
    prefix: `${uniqueName('booking')}.`,
    aggregates: ['show'],
  });
  const store = new MemoryReadStore();
  const show = (type: string, data: Record<string, unknown>) => ({
    aggregate: 'show',
    id: 's1',
    type,
    data: { showId: 's1', ...data },
  });
  const entries = await log.append([
    show('ShowCreated', { seats: 10 }),
    show('SeatsBooked', { seats: [1, 2, 3], holder: 'alice' }),
    show('SeatsBooked', { seats: [7], holder: 'bob' }),
    show('SeatsReleased', { seats: [2], holder: 'alice' }),
  ]);
  const [projector] = await startProjectors(store, log, [seatAvailabilityProjection]);
  t.after(async () => {
    await projector!.stop();
    await log.close();
  });
  const readSide = new ReadSide({
    store,
    projections: [seatAvailabilityProjection],
    topicPrefix: log.prefix,
  });
  await readSide.waitForPosition('seat_availability', positionToken(entries), 20_000);
  const { shows } = await readSide.tables('seat_availability');
  const [row] = await store.findRows(shows!, { show_id: 's1' });
  assert.deepEqual(row, {
    show_id: 's1',
    seats: 10,
    booked: { 1: 'alice', 3: 'alice', 7: 'bob' },
    available: 7,
  });
});
