import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePositionToken } from '@sluice/core';
import { orderStatusProjection } from '@sluice/orders/projections';
import { routeFixture } from './route-fixture.ts';

const json = { 'content-type': 'application/json' };
const order = (orderId: string, userId: string, status = 'created') => ({
  order_id: orderId,
  user_id: userId,
  items: [{ name: 'tea', price: 499, quantity: 2 }],
  total: 998n,
  status,
  created_at: '2026-01-01T10:00:00.000Z',
  updated_at: '2026-01-01T10:05:00.000Z',
  version: 1,
});

test('POST /api/orders places an order as the caller and answers 201 with the order id and a position', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  const response = await app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...json, authorization: await bearer('u1') },
    payload: {
      items: [
        { name: 'tea', price: 499 },
        { name: 'pot', price: 5001, quantity: 2 },
      ],
    },
  });
  assert.equal(response.statusCode, 201, response.body);
  const body = response.json();
  assert.equal(body.orderId, body.aggregateId);
  assert.equal(body.version, 1);
  assert.equal(typeof body.position, 'string');
  assert.equal(typeof body.commandId, 'string');
  const [sent] = bus.sent;
  assert.equal(sent?.type, 'CreateOrder');
  assert.equal(sent?.data.userId, 'u1');
  assert.equal(sent?.metadata.principal, 'u1');
  assert.deepEqual(sent?.data.items, [
    { name: 'tea', price: 499, quantity: 1 },
    { name: 'pot', price: 5001, quantity: 2 },
  ]);
});

test('a retried POST /api/orders with the same Idempotency-Key is the same command and the same order', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  const headers = { ...json, authorization: await bearer('u1'), 'idempotency-key': 'basket-7' };
  const payload = { items: [{ name: 'tea', price: 499 }] };
  const first = await app.inject({ method: 'POST', url: '/api/orders', headers, payload });
  const second = await app.inject({ method: 'POST', url: '/api/orders', headers, payload });
  assert.equal(first.statusCode, 201);
  assert.equal(second.json().orderId, first.json().orderId);
  assert.equal(second.json().commandId, first.json().commandId);
  assert.equal(bus.sent[0]?.metadata.commandId, bus.sent[1]?.metadata.commandId);
  // Another user with the same key is another command.
  const other = await app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...headers, authorization: await bearer('u2') },
    payload,
  });
  assert.notEqual(other.json().orderId, first.json().orderId);
});

test('POST /api/orders refuses no token (401), bad bodies (400), operators (403), huge bodies (413), text (415)', async (t) => {
  const { app, bearer, operator, bus } = await routeFixture();
  t.after(() => app.close());
  const auth = await bearer('u1');
  const post = (payload: string, headers: Record<string, string>) =>
    app.inject({ method: 'POST', url: '/api/orders', headers, payload });
  const good = JSON.stringify({ items: [{ name: 'tea', price: 499 }] });
  assert.equal((await post(good, json)).statusCode, 401);
  for (const bad of [
    {},
    { items: [] },
    { items: [{ name: 'tea', price: -1 }] },
    { items: [{ name: 'tea', price: 1.5 }] },
    { items: [{ name: '', price: 1 }] },
  ]) {
    const response = await post(JSON.stringify(bad), { ...json, authorization: auth });
    assert.equal(response.statusCode, 400, JSON.stringify(bad));
    assert.equal(response.json().code, 'INVALID_REQUEST');
  }
  assert.equal((await post('{"items":', { ...json, authorization: auth })).json().code, 'MALFORMED_REQUEST');
  const forbidden = await post(good, { ...json, authorization: operator });
  assert.equal(forbidden.statusCode, 403);
  const huge = JSON.stringify({ items: [{ name: 'x'.repeat(300 * 1024), price: 1 }] });
  const tooLarge = await post(huge, { ...json, authorization: auth });
  assert.equal(tooLarge.statusCode, 413);
  assert.equal(tooLarge.json().code, 'TOO_LARGE');
  assert.equal((await post(good, { 'content-type': 'text/plain', authorization: auth })).statusCode, 415);
  assert.equal(bus.sent.length, 0);
  // A userId in the body is dropped: an order is always the caller's own.
  const smuggled = await post(JSON.stringify({ items: [{ name: 'tea', price: 1 }], userId: 'u2' }), {
    ...json,
    authorization: auth,
  });
  assert.equal(smuggled.statusCode, 201);
  assert.equal(bus.sent[0]?.data.userId, 'u1');
});

test('a rejected order answers its domain problem', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  bus.rule = () => ({ code: 'INVALID_ITEM', message: 'line 1: price over the limit' });
  const response = await app.inject({
    method: 'POST',
    url: '/api/orders',
    headers: { ...json, authorization: await bearer('u1') },
    payload: { items: [{ name: 'tea', price: 99_999_999 }] },
  });
  assert.equal(response.statusCode, 400);
  assert.equal(response.json().code, 'INVALID_ITEM');
  assert.equal(response.json().detail, 'line 1: price over the limit');
});

test('GET /api/orders/:id shows the owner and operators the order; others get 403, unknown ids 404', async (t) => {
  const { app, seed, bearer, operator } = await routeFixture();
  t.after(() => app.close());
  await seed(orderStatusProjection, 'orders', [order('o1', 'u1')]);
  const mine = await app.inject({ url: '/api/orders/o1', headers: { authorization: await bearer('u1') } });
  assert.equal(mine.statusCode, 200);
  assert.deepEqual(mine.json(), {
    orderId: 'o1',
    userId: 'u1',
    status: 'created',
    items: [{ name: 'tea', price: 499, quantity: 2 }],
    total: 998,
    version: 1,
    createdAt: '2026-01-01T10:00:00.000Z',
    updatedAt: '2026-01-01T10:05:00.000Z',
  });
  assert.equal(
    (await app.inject({ url: '/api/orders/o1', headers: { authorization: operator } })).statusCode,
    200,
  );
  const theirs = await app.inject({ url: '/api/orders/o1', headers: { authorization: await bearer('u2') } });
  assert.equal(theirs.statusCode, 403);
  assert.equal(theirs.json().code, 'FORBIDDEN');
  const missing = await app.inject({
    url: '/api/orders/nope',
    headers: { authorization: await bearer('u1') },
  });
  assert.equal(missing.statusCode, 404);
  assert.equal(missing.json().code, 'ORDER_NOT_FOUND');
  assert.equal((await app.inject({ url: '/api/orders/o1' })).statusCode, 401);
});

test('GET /api/orders/:id?after= waits for the order-status projection: 503 while behind, 200 once there', async (t) => {
  const { app, seed, advance, bearer } = await routeFixture();
  t.after(() => app.close());
  await seed(orderStatusProjection, 'orders', [order('o1', 'u1')]);
  const after = encodePositionToken([{ topic: 'order-events', partition: 2, offset: '7' }]);
  const headers = { authorization: await bearer('u1') };
  const behind = await app.inject({ url: `/api/orders/o1?after=${after}`, headers });
  assert.equal(behind.statusCode, 503);
  assert.equal(behind.json().code, 'PROJECTION_BEHIND');
  await advance(orderStatusProjection, 'order-events', 2, 8n);
  assert.equal((await app.inject({ url: `/api/orders/o1?after=${after}`, headers })).statusCode, 200);
  const header = await app.inject({ url: '/api/orders/o1', headers: { ...headers, 'sluice-after': after } });
  assert.equal(header.statusCode, 200);
  const garbled = await app.inject({ url: '/api/orders/o1?after=%%%', headers });
  assert.equal(garbled.statusCode, 400);
  assert.equal(garbled.json().code, 'INVALID_TOKEN');
});

test('GET /api/orders lists only my orders, newest first; operators see all', async (t) => {
  const { app, seed, bearer, operator } = await routeFixture();
  t.after(() => app.close());
  await seed(orderStatusProjection, 'orders', [
    order('o1', 'u1'),
    { ...order('o2', 'u1'), created_at: '2026-01-02T00:00:00.000Z' },
    order('o3', 'u2'),
  ]);
  const mine = await app.inject({ url: '/api/orders', headers: { authorization: await bearer('u1') } });
  assert.deepEqual(
    mine.json().orders.map((o: { orderId: string }) => o.orderId),
    ['o2', 'o1'],
  );
  const all = await app.inject({ url: '/api/orders', headers: { authorization: operator } });
  assert.equal(all.json().orders.length, 3);
});

test('POST /api/orders/:id/cancel sends CancelOrder as the caller; a refused transition is 409', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  const headers = { authorization: await bearer('u1') };
  const ok = await app.inject({ method: 'POST', url: '/api/orders/o1/cancel', headers });
  // The in-memory bus has never seen o1, so this is its version 1 (201); the processor would say 200.
  assert.ok([200, 201].includes(ok.statusCode), ok.body);
  assert.equal(bus.sent[0]?.type, 'CancelOrder');
  assert.equal(bus.sent[0]?.metadata.principal, 'u1');
  bus.rule = () => ({ code: 'INVALID_TRANSITION', message: 'order o2 is shipped' });
  const late = await app.inject({
    method: 'POST',
    url: '/api/orders/o2/cancel',
    headers: { ...headers, ...json },
    payload: { reason: 'changed my mind' },
  });
  assert.equal(late.statusCode, 409);
  assert.equal(late.json().code, 'INVALID_TRANSITION');
  assert.equal(bus.sent[1]?.data.reason, 'changed my mind');
});

test('operators confirm, ship and deliver; users may not; without an operator token the routes do not exist', async (t) => {
  const { app, bus, bearer, operator } = await routeFixture();
  t.after(() => app.close());
  for (const [step, type] of [
    ['confirm', 'ConfirmOrder'],
    ['ship', 'ShipOrder'],
    ['deliver', 'DeliverOrder'],
  ]) {
    const user = await app.inject({
      method: 'POST',
      url: `/api/orders/o1/${step}`,
      headers: { authorization: await bearer('u1') },
    });
    assert.equal(user.statusCode, 403);
    const ops = await app.inject({
      method: 'POST',
      url: `/api/orders/o1/${step}`,
      headers: { authorization: operator },
    });
    assert.ok(ops.statusCode === 200 || ops.statusCode === 201, ops.body);
    assert.equal(bus.sent.at(-1)?.type, type);
    assert.equal(bus.sent.at(-1)?.metadata.principal, 'operator:ops');
  }
  const plain = await routeFixture({ operatorToken: undefined } as never);
  t.after(() => plain.app.close());
  const absent = await plain.app.inject({
    method: 'POST',
    url: '/api/orders/o1/ship',
    headers: { authorization: await plain.bearer('u1') },
  });
  assert.equal(absent.statusCode, 404);
});
