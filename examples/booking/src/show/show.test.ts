import { test } from 'node:test';
import { operatorContext, SYSTEM_CONTEXT, userContext } from '@sluice/core';
import { deciderSpec } from '@sluice/testing';
import { type ShowCommand, type ShowEvent, showDecider } from './show.ts';

const spec = deciderSpec(showDecider);
const alice = userContext('alice');
const bob = userContext('bob');
const eve = operatorContext('eve');
const created: ShowEvent = { type: 'ShowCreated', data: { showId: 's1', seats: 10 } };
const book = (...seats: number[]): ShowCommand => ({ type: 'BookSeats', data: { showId: 's1', seats } });
const release = (...seats: number[]): ShowCommand => ({
  type: 'ReleaseSeats',
  data: { showId: 's1', seats },
});
const booked = (holder: string, ...seats: number[]): ShowEvent => ({
  type: 'SeatsBooked',
  data: { showId: 's1', seats, holder },
});
const released = (holder: string, ...seats: number[]): ShowEvent => ({
  type: 'SeatsReleased',
  data: { showId: 's1', seats, holder },
});
const createShow = (seats: number): ShowCommand => ({ type: 'CreateShow', data: { showId: 's1', seats } });

test('CreateShow opens a show with numbered seats, for operators and the system', () => {
  spec.given([]).when(createShow(10), eve).then([created]);
  spec.given([]).when(createShow(10), SYSTEM_CONTEXT).then([created]);
  spec.given([]).when(createShow(10), alice).thenRejects('FORBIDDEN');
  spec.given([created]).when(createShow(10), eve).thenRejects('SHOW_EXISTS');
  for (const seats of [0, -1, 1.5, 10_001])
    spec.given([]).when(createShow(seats), eve).thenRejects('INVALID_SEAT_COUNT');
});

test('BookSeats books every named seat for the principal', () => {
  spec
    .given([created])
    .when(book(1, 10), alice)
    .then([booked('alice', 1, 10)]);
  spec
    .given([created, booked('alice', 1)])
    .when(book(2), bob)
    .then([booked('bob', 2)]);
});

test('BookSeats is all or nothing: one taken seat rejects the whole request', () => {
  spec
    .given([created, booked('alice', 3)])
    .when(book(2, 3, 4), bob)
    .thenRejects('SEAT_TAKEN');
  spec
    .given([created, booked('alice', 3)])
    .when(book(3), alice)
    .thenRejects('SEAT_TAKEN');
  spec
    .given([created, booked('alice', 3), released('alice', 3)])
    .when(book(3), bob)
    .then([booked('bob', 3)]);
});

test('BookSeats rejects unknown shows and seats, empty and duplicate requests', () => {
  spec.given([]).when(book(1), alice).thenRejects('SHOW_NOT_FOUND');
  for (const seat of [0, 11, -1, 2.5])
    spec.given([created]).when(book(1, seat), alice).thenRejects('NO_SUCH_SEAT');
  spec.given([created]).when(book(), alice).thenRejects('NO_SEATS');
  spec
    .given([created])
    .when(book(...Array.from({ length: 101 }, (_, i) => i)), alice)
    .thenRejects('NO_SEATS');
  spec
    .given([created])
    .when(book(4, 5, 4), alice)
    .thenRejects('DUPLICATE_SEAT');
});

test('ReleaseSeats frees seats for their holder; others may not; operators may release anyone’s', () => {
  const history = [created, booked('alice', 1, 2), booked('bob', 3)];
  spec
    .given(history)
    .when(release(2), alice)
    .then([released('alice', 2)]);
  spec.given(history).when(release(1), bob).thenRejects('FORBIDDEN');
  spec.given(history).when(release(1, 3), alice).thenRejects('FORBIDDEN');
  spec
    .given(history)
    .when(release(1, 3, 2), eve)
    .then([released('alice', 1, 2), released('bob', 3)]);
});

test('ReleaseSeats rejects unknown shows, free, missing and duplicate seats', () => {
  const history = [created, booked('alice', 1)];
  spec.given([]).when(release(1), alice).thenRejects('SHOW_NOT_FOUND');
  spec.given(history).when(release(1, 2), alice).thenRejects('SEAT_NOT_BOOKED');
  spec.given(history).when(release(11), alice).thenRejects('NO_SUCH_SEAT');
  spec.given(history).when(release(1, 1), alice).thenRejects('DUPLICATE_SEAT');
  spec.given(history).when(release(), alice).thenRejects('NO_SEATS');
});
