import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { routeFixture } from './route-fixture.ts';

test('without a built web app, / says so; other paths are 404 problems', async (t) => {
  const { app } = await routeFixture();
  t.after(() => app.close());
  const home = await app.inject({ url: '/' });
  assert.equal(home.statusCode, 200);
  assert.match(home.body, /web app is not built/);
  assert.equal((await app.inject({ url: '/orders/1' })).statusCode, 404);
  const api = await app.inject({ url: '/api/nothing' });
  assert.equal(api.statusCode, 404);
  assert.equal(api.json().code, 'NOT_FOUND');
});

test('a built web app is served from dist, with index.html for app paths and nothing outside dist', async (t) => {
  const dist = await mkdtemp(join(tmpdir(), 'shop-web-'));
  t.after(() => rm(dist, { recursive: true, force: true }));
  await mkdir(join(dist, 'assets'));
  await writeFile(join(dist, 'index.html'), '<!doctype html><title>shop</title>');
  await writeFile(join(dist, 'assets', 'app-1.js'), 'console.log(1)');
  const { app } = await routeFixture({}, dist);
  t.after(() => app.close());
  const script = await app.inject({ url: '/assets/app-1.js' });
  assert.equal(script.body, 'console.log(1)');
  assert.match(script.headers['content-type'] as string, /javascript/);
  assert.match(script.headers['cache-control'] as string, /immutable/);
  assert.match((await app.inject({ url: '/orders/42' })).body, /<title>shop<\/title>/);
  const climbing = await app.inject({ url: '/..%2f..%2fetc%2fpasswd' });
  assert.doesNotMatch(climbing.body, /root:/);
  assert.equal((await app.inject({ url: '/api/orders/x' })).statusCode, 401);
});

test('health, metrics, OpenAPI and docs need no token; every shop route is documented', async (t) => {
  const { app } = await routeFixture();
  t.after(() => app.close());
  assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  assert.equal((await app.inject({ url: '/readyz' })).statusCode, 200);
  assert.match((await app.inject({ url: '/metrics' })).body, /sluice_commands_total/);
  assert.equal((await app.inject({ url: '/docs' })).statusCode, 200);
  const paths = Object.keys((await app.inject({ url: '/openapi.json' })).json().paths);
  for (const path of [
    '/api/orders',
    '/api/orders/{id}',
    '/api/orders/{id}/cancel',
    '/api/orders/{id}/ship',
    '/api/users/{id}',
    '/api/users/{id}/items',
    '/api/shows',
    '/api/shows/{id}',
    '/api/shows/{id}/bookings',
    '/api/projections',
    '/api/projections/{name}/rebuild',
    '/api/commands',
    '/api/stream',
  ])
    assert.ok(paths.includes(path), `${path} is documented (${paths.join(' ')})`);
});

test('the generic POST /api/commands takes shop and booking commands', async (t) => {
  const { app, bus, bearer } = await routeFixture();
  t.after(() => app.close());
  const authorization = await bearer('u1');
  const response = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, 'content-type': 'application/json' },
    payload: { type: 'BookSeats', showId: 's1', seats: [3] },
  });
  assert.ok([200, 201].includes(response.statusCode), response.body);
  const result = await app.inject({
    url: `/api/commands/${response.json().commandId}`,
    headers: { authorization },
  });
  assert.equal(result.json().code, 'OK');
  assert.equal(bus.sent[0]?.type, 'BookSeats');
});
