import assert from 'node:assert/strict';
import { test } from 'node:test';
import { routeFixture } from './route-fixture.ts';

test('operators read projection status; users get 403; no token 401', async (t) => {
  const { app, bearer, operator } = await routeFixture();
  t.after(() => app.close());
  const status = await app.inject({ url: '/api/projections', headers: { authorization: operator } });
  assert.equal(status.statusCode, 200);
  assert.equal(status.json().projections[0].projection, 'order_status');
  assert.equal(
    (await app.inject({ url: '/api/projections', headers: { authorization: await bearer('u1') } }))
      .statusCode,
    403,
  );
  assert.equal((await app.inject({ url: '/api/projections' })).statusCode, 401);
});

test('a rebuild starts (202), reports progress by GET and SSE, refuses a second run (409) and unknown names (404)', async (t) => {
  const { app, admin, operator, bearer } = await routeFixture();
  t.after(() => app.close());
  const headers = { authorization: operator };
  assert.equal((await app.inject({ url: '/api/projections/order_status/rebuild', headers })).statusCode, 404);
  const user = await app.inject({
    method: 'POST',
    url: '/api/projections/order_status/rebuild',
    headers: { authorization: await bearer('u1') },
  });
  assert.equal(user.statusCode, 403);
  const started = await app.inject({ method: 'POST', url: '/api/projections/order_status/rebuild', headers });
  assert.equal(started.statusCode, 202);
  assert.equal(started.headers.location, '/api/projections/order_status/rebuild');
  assert.deepEqual(admin.started, ['order_status']);
  const again = await app.inject({ method: 'POST', url: '/api/projections/order_status/rebuild', headers });
  assert.equal(again.statusCode, 409);
  assert.equal(again.json().code, 'REBUILD_RUNNING');
  const unknown = await app.inject({ method: 'POST', url: '/api/projections/nope/rebuild', headers });
  assert.equal(unknown.statusCode, 404);
  const cancelUnknown = await app.inject({ method: 'DELETE', url: '/api/projections/nope/rebuild', headers });
  assert.equal(cancelUnknown.statusCode, 404);
  const cancelByUser = await app.inject({
    method: 'DELETE',
    url: '/api/projections/order_status/rebuild',
    headers: { authorization: await bearer('u1') },
  });
  assert.equal(cancelByUser.statusCode, 403);
  const progress = await app.inject({ url: '/api/projections/order_status/rebuild', headers });
  assert.equal(progress.json().total, '10');
  const stream = await app.inject({ url: '/api/projections/order_status/rebuild/stream', headers });
  assert.equal(stream.statusCode, 200);
  assert.match(stream.headers['content-type'] as string, /text\/event-stream/);
  const events = stream.body.split('\n\n').filter((chunk) => chunk.startsWith('event: progress'));
  assert.equal(events.length, 3);
  assert.match(events[2]!, /"state":"done"/);
  const ticket = (
    await app.inject({
      method: 'POST',
      url: '/api/stream/ticket',
      headers: { authorization: await bearer('u1') },
    })
  ).json().ticket;
  const userStream = await app.inject({
    url: `/api/projections/order_status/rebuild/stream?ticket=${ticket}`,
  });
  assert.equal(userStream.statusCode, 403);
});

test('without SLUICE_OPERATOR_TOKEN the operator routes do not exist', async (t) => {
  const { app, bearer } = await routeFixture({ operatorToken: undefined } as never);
  t.after(() => app.close());
  const response = await app.inject({
    url: '/api/projections',
    headers: { authorization: await bearer('u1') },
  });
  assert.equal(response.statusCode, 404);
});

test('an operator cancels the rebuild under way (202); with none under way it is 404', async (t) => {
  const { app, operator } = await routeFixture();
  t.after(() => app.close());
  const headers = { authorization: operator };
  const url = '/api/projections/order_status/rebuild';
  const none = await app.inject({ method: 'DELETE', url, headers });
  assert.equal(none.statusCode, 404);
  assert.match(none.json().detail, /no rebuild of order_status is under way/);
  await app.inject({ method: 'POST', url, headers });
  const cancelled = await app.inject({ method: 'DELETE', url, headers });
  assert.equal(cancelled.statusCode, 202);
  assert.deepEqual(cancelled.json(), { projection: 'order_status', version: 2 });
  assert.equal((await app.inject({ url, headers })).json().state, 'failed');
});
