import assert from 'node:assert/strict';
import { test } from 'node:test';
import { itemsByBandProjection, usersProjection } from '@sluice/orders/projections';
import { routeFixture } from './route-fixture.ts';

const json = { 'content-type': 'application/json' };
const line = (orderId: string, line: number, name: string, price: number, band: string) => ({
  user_id: 'u1',
  order_id: orderId,
  line,
  name,
  price,
  quantity: 1,
  band,
});

test('GET /api/users/:id/items groups my items by band; another user gets 403', async (t) => {
  const { app, seed, bearer, operator } = await routeFixture();
  t.after(() => app.close());
  await seed(itemsByBandProjection, 'items', [
    line('o1', 0, 'pencil', 499, 'cheap'),
    line('o1', 1, 'mug', 500, 'affordable'),
    line('o1', 2, 'kettle', 5000, 'affordable'),
    line('o1', 3, 'lamp', 5001, 'expensive'),
    { ...line('o9', 0, 'not mine', 100, 'cheap'), user_id: 'u2' },
  ]);
  const response = await app.inject({
    url: '/api/users/u1/items',
    headers: { authorization: await bearer('u1') },
  });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), {
    cheap: [{ orderId: 'o1', name: 'pencil', price: 499, quantity: 1 }],
    affordable: [
      { orderId: 'o1', name: 'mug', price: 500, quantity: 1 },
      { orderId: 'o1', name: 'kettle', price: 5000, quantity: 1 },
    ],
    expensive: [{ orderId: 'o1', name: 'lamp', price: 5001, quantity: 1 }],
  });
  const other = await app.inject({
    url: '/api/users/u1/items',
    headers: { authorization: await bearer('u2') },
  });
  assert.equal(other.statusCode, 403);
  assert.equal(
    (await app.inject({ url: '/api/users/u1/items', headers: { authorization: operator } })).statusCode,
    200,
  );
  const empty = await app.inject({
    url: '/api/users/u3/items',
    headers: { authorization: await bearer('u3') },
  });
  assert.deepEqual(empty.json(), { cheap: [], affordable: [], expensive: [] });
});

test('GET /api/users/:id reads my profile: 404 before it exists, 403 for somebody else', async (t) => {
  const { app, seed, bearer } = await routeFixture();
  t.after(() => app.close());
  const headers = { authorization: await bearer('u1') };
  const before = await app.inject({ url: '/api/users/u1', headers });
  assert.equal(before.statusCode, 404);
  assert.equal(before.json().code, 'USER_NOT_FOUND');
  await seed(usersProjection, 'users', [
    {
      user_id: 'u1',
      name: 'Alice',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
    },
  ]);
  const after = await app.inject({ url: '/api/users/u1', headers });
  assert.deepEqual(after.json(), {
    userId: 'u1',
    name: 'Alice',
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-02T00:00:00.000Z',
  });
  assert.equal(
    (await app.inject({ url: '/api/users/u1', headers: { authorization: await bearer('u2') } })).statusCode,
    403,
  );
});

test('PUT and POST /api/users/:id send UpdateUser as myself; INVALID_NAME is 400; others are 403', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  const headers = { ...json, authorization: await bearer('u1') };
  for (const method of ['PUT', 'POST'] as const) {
    const response = await app.inject({
      method,
      url: '/api/users/u1',
      headers,
      payload: { newName: 'Alice' },
    });
    assert.ok([200, 201].includes(response.statusCode), response.body);
    assert.equal(typeof response.json().position, 'string');
  }
  assert.deepEqual(
    bus.sent.map((c) => [c.type, c.data.userId, c.data.newName, c.metadata.principal]),
    [
      ['UpdateUser', 'u1', 'Alice', 'u1'],
      ['UpdateUser', 'u1', 'Alice', 'u1'],
    ],
  );
  const forbidden = await app.inject({
    method: 'PUT',
    url: '/api/users/u2',
    headers,
    payload: { newName: 'Mallory' },
  });
  assert.equal(forbidden.statusCode, 403);
  assert.equal(
    (await app.inject({ method: 'PUT', url: '/api/users/u1', headers, payload: {} })).statusCode,
    400,
  );
  bus.rule = () => ({ code: 'INVALID_NAME', message: 'a name must have 1 to 100 characters' });
  const invalid = await app.inject({
    method: 'PUT',
    url: '/api/users/u1',
    headers,
    payload: { newName: '' },
  });
  assert.equal(invalid.statusCode, 400);
  assert.equal(invalid.json().code, 'INVALID_NAME');
  assert.equal(bus.sent.length, 3);
});

test('a command without a result within the wait answers 202 with where to look', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  bus.rule = () => 'pending';
  const response = await app.inject({
    method: 'PUT',
    url: '/api/users/u1',
    headers: { ...json, authorization: await bearer('u1') },
    payload: { newName: 'Alice' },
  });
  assert.equal(response.statusCode, 202);
  assert.equal(response.headers.location, `/api/commands/${response.json().commandId}`);
});

test('a broker that cannot be reached is 503 COMMANDS_UNAVAILABLE', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  bus.failure = new Error('connect ECONNREFUSED');
  const response = await app.inject({
    method: 'PUT',
    url: '/api/users/u1',
    headers: { ...json, authorization: await bearer('u1') },
    payload: { newName: 'Alice' },
  });
  assert.equal(response.statusCode, 503);
  assert.equal(response.json().code, 'COMMANDS_UNAVAILABLE');
});
