// HTTP fuzzing: malformed bodies, wrong types, bad and expired tokens and other users' ids get a 4xx
// problem, never a 5xx, and never another user's data.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEST_SECRET } from '@sluice/http/testing';
import { itemsByBandProjection, orderStatusProjection, usersProjection } from '@sluice/orders/projections';
import fc from 'fast-check';
import { SignJWT } from 'jose';
import { routeFixture } from './route-fixture.ts';

const SECRET_MARK = 'VICTIM-SECRET';

const routes = [
  ['GET', '/api/orders'],
  ['POST', '/api/orders'],
  ['GET', '/api/orders/:id'],
  ['POST', '/api/orders/:id/cancel'],
  ['POST', '/api/orders/:id/confirm'],
  ['GET', '/api/users/:id'],
  ['PUT', '/api/users/:id'],
  ['GET', '/api/users/:id/items'],
  ['GET', '/api/shows/:id'],
  ['POST', '/api/shows/:id/bookings'],
  ['POST', '/api/shows'],
  ['POST', '/api/commands'],
  ['GET', '/api/commands/:id'],
  ['GET', '/api/projections'],
  ['POST', '/api/projections/:name/rebuild'],
  ['POST', '/api/auth/dev-login'],
  ['POST', '/api/stream/ticket'],
] as const;

const ids = fc.oneof(
  fc.constantFrom('victim', 'v-order', 'mallory', 'system', 'operator:ops', '..', '%2e%2e%2f', '0', '-1'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
);

const bodies = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value)),
  fc
    .record({
      items: fc.array(
        fc.record({
          name: fc.oneof(fc.string(), fc.integer()),
          price: fc.oneof(fc.integer(), fc.double(), fc.string()),
        }),
        { maxLength: 3 },
      ),
    })
    .map((value) => JSON.stringify(value)),
  fc
    .record({
      type: fc.constantFrom('UpdateUser', 'CreateOrder', 'BookSeats', 'Nope'),
      userId: ids,
      newName: fc.anything(),
    })
    .map((value) => JSON.stringify(value)),
  fc.string({ maxLength: 200 }),
  fc.constant('{"items": ['),
  fc.constant(''),
);

test('fuzzed requests get 4xx problems, never 5xx, and never another user’s data', async (t) => {
  const fixture = await routeFixture();
  t.after(() => fixture.app.close());
  await fixture.seed(orderStatusProjection, 'orders', [
    {
      order_id: 'v-order',
      user_id: 'victim',
      items: [{ name: SECRET_MARK, price: 100, quantity: 1 }],
      total: 100n,
      status: 'created',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      version: 1,
    },
  ]);
  await fixture.seed(itemsByBandProjection, 'items', [
    {
      user_id: 'victim',
      order_id: 'v-order',
      line: 0,
      name: SECRET_MARK,
      price: 100,
      quantity: 1,
      band: 'cheap',
    },
  ]);
  await fixture.seed(usersProjection, 'users', [
    {
      user_id: 'victim',
      name: SECRET_MARK,
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
    },
  ]);
  const secret = new TextEncoder().encode(TEST_SECRET);
  const expired = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory')
    .setIssuer('sluice')
    .setAudience('sluice')
    .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
    .sign(secret);
  const tokens = {
    none: undefined,
    garbage: 'Bearer not.a.token',
    expired: `Bearer ${expired}`,
    none_alg: `Bearer ${btoa('{"alg":"none"}')}.${btoa('{"sub":"victim"}')}.`,
    mallory: await fixture.bearer('mallory'),
  };

  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...routes),
      ids,
      bodies,
      fc.constantFrom(...(Object.keys(tokens) as (keyof typeof tokens)[])),
      fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded'),
      async ([method, template], id, body, who, contentType) => {
        const url = template.replace(/:(id|name)/, encodeURIComponent(id));
        const authorization = tokens[who];
        const response = await fixture.app.inject({
          method,
          url,
          headers: { 'content-type': contentType, ...(authorization ? { authorization } : {}) },
          ...(method === 'GET' ? {} : { payload: body }),
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        assert.ok(
          response.statusCode < 500,
          `${method} ${url} as ${who} → ${response.statusCode} ${response.body}`,
        );
        if (response.statusCode >= 400) {
          assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        }
        assert.ok(
          !response.body.includes(SECRET_MARK),
          `${method} ${url} as ${who} leaked another user's data`,
        );
      },
    ),
    { numRuns: 1500 },
  );
  // The runs reached handlers, not only the auth gate: some succeeded, some were refused by rules.
  assert.ok((statuses.get(200) ?? 0) + (statuses.get(201) ?? 0) > 0, JSON.stringify([...statuses]));
  assert.ok((statuses.get(403) ?? 0) > 0 && (statuses.get(401) ?? 0) > 0, JSON.stringify([...statuses]));
  // The victim's own token does see the data: the mark is findable, so the leak check can fail.
  const own = await fixture.app.inject({
    method: 'GET',
    url: '/api/orders/v-order',
    headers: { authorization: await fixture.bearer('victim') },
  });
  assert.equal(own.statusCode, 200);
  assert.ok(own.body.includes(SECRET_MARK));
});
