import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seatAvailabilityProjection } from '@sluice/booking/projections';
import { routeFixture } from './route-fixture.ts';

const json = { 'content-type': 'application/json' };

test('GET /api/shows/:id is the seat map; unknown shows are 404', async (t) => {
  const { app, seed, bearer } = await routeFixture();
  t.after(() => app.close());
  await seed(seatAvailabilityProjection, 'shows', [
    { show_id: 's1', seats: 4, booked: { '2': 'u1' }, available: 3 },
  ]);
  const headers = { authorization: await bearer('u2') };
  const map = await app.inject({ url: '/api/shows/s1', headers });
  assert.deepEqual(map.json(), { showId: 's1', seats: 4, available: 3, booked: { '2': 'u1' } });
  const missing = await app.inject({ url: '/api/shows/s2', headers });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'SHOW_NOT_FOUND');
});

test('POST /api/shows/:id/bookings books as the caller; a taken seat is 409 SEAT_TAKEN', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  const headers = { ...json, authorization: await bearer('u1') };
  const booked = await app.inject({
    method: 'POST',
    url: '/api/shows/s1/bookings',
    headers,
    payload: { seats: [1, 2] },
  });
  assert.ok([200, 201].includes(booked.statusCode), booked.body);
  assert.deepEqual(bus.sent[0]?.data, { showId: 's1', seats: [1, 2] });
  assert.equal(bus.sent[0]?.metadata.principal, 'u1');
  bus.rule = () => ({ code: 'SEAT_TAKEN', message: 'seats 2 are taken' });
  const taken = await app.inject({
    method: 'POST',
    url: '/api/shows/s1/bookings',
    headers,
    payload: { seats: [2] },
  });
  assert.equal(taken.statusCode, 409);
  assert.equal(taken.json().code, 'SEAT_TAKEN');
  const empty = await app.inject({
    method: 'POST',
    url: '/api/shows/s1/bookings',
    headers,
    payload: { seats: [] },
  });
  assert.equal(empty.statusCode, 400);
});

test('POST /api/shows is for operators; a retry with the same Idempotency-Key names the same show', async (t) => {
  const { app, bus, bearer, operator } = await routeFixture();
  t.after(() => app.close());
  const user = await app.inject({
    method: 'POST',
    url: '/api/shows',
    headers: { ...json, authorization: await bearer('u1') },
    payload: { seats: 10 },
  });
  assert.equal(user.statusCode, 403);
  const headers = { ...json, authorization: operator, 'idempotency-key': 'gala' };
  const first = await app.inject({ method: 'POST', url: '/api/shows', headers, payload: { seats: 10 } });
  const again = await app.inject({ method: 'POST', url: '/api/shows', headers, payload: { seats: 10 } });
  assert.equal(first.statusCode, 201, first.body);
  assert.equal(again.json().aggregateId, first.json().aggregateId);
  assert.equal(bus.sent[0]?.type, 'CreateShow');
  const named = await app.inject({
    method: 'POST',
    url: '/api/shows',
    headers: { ...json, authorization: operator },
    payload: { showId: 'gala-2', seats: 5 },
  });
  assert.equal(named.json().aggregateId, 'gala-2');
});
