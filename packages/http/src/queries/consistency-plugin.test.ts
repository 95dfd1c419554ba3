import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePositionToken } from '@sluice/core';
import type { FastifyInstance } from 'fastify';
import { testServer } from '../testing/test-server.ts';

async function tabsRoute(app: FastifyInstance): Promise<void> {
  app.get(
    '/api/tabs',
    {
      config: { consistentWith: 'tabs' },
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'integer' } },
          additionalProperties: false,
        },
      },
    },
    async () => ({ tabs: [] }),
  );
}

const token = encodePositionToken([
  { topic: 'tab-events', partition: 3, offset: '41' },
  { topic: 'user-events', partition: 0, offset: '7' },
]);

test('a route declared consistent with a projection waits for ?after= or Sluice-After', async (t) => {
  const { app, waiter, bearer } = await testServer({ queryTimeoutMs: 1234 }, { routes: tabsRoute });
  t.after(() => app.close());
  const authorization = await bearer('alice');
  waiter.next.set('tabs/tab-events/3', 42n);
  waiter.next.set('tabs/user-events/0', 8n);
  const plain = await app.inject({ method: 'GET', url: '/api/tabs?limit=5', headers: { authorization } });
  assert.equal(plain.statusCode, 200);
  assert.equal(waiter.calls.length, 0, 'no token, no wait');
  const viaQuery = await app.inject({
    method: 'GET',
    url: `/api/tabs?limit=5&after=${token}`,
    headers: { authorization },
  });
  assert.equal(viaQuery.statusCode, 200);
  const viaHeader = await app.inject({
    method: 'GET',
    url: '/api/tabs',
    headers: { authorization, 'sluice-after': token },
  });
  assert.equal(viaHeader.statusCode, 200);
  assert.equal(waiter.calls.length, 2);
  assert.deepEqual(waiter.calls[0], {
    projection: 'tabs',
    timeoutMs: 1234,
    token: [
      { topic: 'tab-events', partition: 3, offset: '41' },
      { topic: 'user-events', partition: 0, offset: '7' },
    ],
  });
});

test('a projection that has not caught up answers 503 PROJECTION_BEHIND with Retry-After', async (t) => {
  const { app, waiter, bearer } = await testServer({}, { routes: tabsRoute });
  t.after(() => app.close());
  waiter.next.set('tabs/tab-events/3', 41n); // next offset 41 has not applied offset 41
  const response = await app.inject({
    method: 'GET',
    url: `/api/tabs?after=${token}`,
    headers: { authorization: await bearer('alice') },
  });
  assert.equal(response.statusCode, 503);
  assert.equal(response.headers['retry-after'], '1');
  assert.equal(response.headers['content-type'], 'application/problem+json');
  assert.equal(response.json().code, 'PROJECTION_BEHIND');
});

test('an unreadable token is 400 INVALID_TOKEN', async (t) => {
  const { app, waiter, bearer } = await testServer({}, { routes: tabsRoute });
  t.after(() => app.close());
  const authorization = await bearer('alice');
  for (const bad of ['garbage!', Buffer.from('{"v":2,"p":[]}').toString('base64url'), 'x'.repeat(9000)]) {
    const response = await app.inject({
      method: 'GET',
      url: `/api/tabs?after=${bad}`,
      headers: { authorization },
    });
    assert.equal(response.statusCode, 400);
    assert.equal(response.json().code, 'INVALID_TOKEN');
  }
  assert.equal(waiter.calls.length, 0);
});

test('the after parameter and header are added to the route’s documented schema', async (t) => {
  const { app } = await testServer({}, { routes: tabsRoute });
  t.after(() => app.close());
  await app.ready();
  const operation = app.swagger().paths?.['/api/tabs']?.get as {
    parameters: { name: string; in: string }[];
    responses: Record<string, unknown>;
  };
  const parameters = operation.parameters.map((p) => `${p.in}:${p.name}`).sort();
  assert.deepEqual(parameters, ['header:sluice-after', 'query:after', 'query:limit']);
  assert.ok(operation.responses['503'] && operation.responses['400']);
});
