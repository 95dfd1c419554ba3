import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { testServer } from '../testing/test-server.ts';

test('/healthz answers while the process is up, without a token', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/healthz' });
  assert.equal(response.statusCode, 200);
  assert.deepEqual(response.json(), { status: 'ok' });
});

test('/readyz is 200 when every check passes and 503 naming the failed or hung ones', async (t) => {
  let storeUp = true;
  const readiness = [
    { name: 'kafka', check: async () => {} },
    {
      name: 'read-store',
      check: async () => {
        if (!storeUp) throw new Error('connection refused');
      },
    },
    { name: 'projections', check: () => (storeUp ? Promise.resolve() : sleep(5_000)) },
  ];
  const { app } = await testServer({}, { readiness });
  t.after(() => app.close());
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  assert.equal(ready.statusCode, 200);
  assert.deepEqual(ready.json(), {
    status: 'ready',
    checks: { kafka: 'ok', 'read-store': 'ok', projections: 'ok' },
  });
  storeUp = false;
  const started = Date.now();
  const notReady = await app.inject({ method: 'GET', url: '/readyz' });
  assert.ok(Date.now() - started < 4_000, 'a hung check times out');
  assert.equal(notReady.statusCode, 503);
  assert.equal(notReady.headers['content-type'], 'application/problem+json');
  assert.ok(notReady.headers['retry-after']);
  const problem = notReady.json();
  assert.equal(problem.code, 'NOT_READY');
  assert.deepEqual(problem.failed, ['read-store', 'projections']);
  assert.equal(problem.checks.kafka, 'ok');
  assert.equal(problem.checks['read-store'], 'connection refused');
  assert.match(problem.checks.projections, /no answer within 2000 ms/);
});
