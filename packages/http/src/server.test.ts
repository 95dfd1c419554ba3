import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { ConfigError, serverConfigFromEnv } from './config.ts';
import { createLogger, redactUrl } from './logger.ts';
import { TEST_OPERATOR_TOKEN, testServer } from './testing/test-server.ts';

test('health, metrics and docs need no token; everything under /api does, except dev-login', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  for (const url of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/docs'])
    assert.equal((await app.inject({ method: 'GET', url })).statusCode, 200, url);
  for (const [method, url] of [
    ['POST', '/api/commands'],
    ['GET', '/api/commands/x'],
    ['GET', '/api/stream'],
    ['POST', '/api/stream/ticket'],
  ] as const) {
    const response = await app.inject({ method, url });
    assert.equal(response.statusCode, 401, `${method} ${url}`);
    assert.equal(response.json().code, 'UNAUTHENTICATED');
  }
  const unknown = await app.inject({ method: 'GET', url: '/nowhere?ticket=secret' });
  assert.equal(unknown.statusCode, 404);
  assert.deepEqual(Object.keys(unknown.json()).sort(), [
    'code',
    'detail',
    'instance',
    'status',
    'title',
    'type',
  ]);
  assert.equal(unknown.json().instance, '/nowhere');
});

test('every response carries a request id; a sane client id is kept', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  const generated = await app.inject({ method: 'GET', url: '/healthz' });
  assert.match(String(generated.headers['x-request-id']), /^[0-9a-f-]{36}$/);
  const given = await app.inject({ method: 'GET', url: '/healthz', headers: { 'x-request-id': 'trace-1' } });
  assert.equal(given.headers['x-request-id'], 'trace-1');
  const long = await app.inject({
    method: 'GET',
    url: '/healthz',
    headers: { 'x-request-id': 'x'.repeat(500) },
  });
  assert.match(String(long.headers['x-request-id']), /^[0-9a-f-]{36}$/);
});

test('every answer says how long the server took (Server-Timing), problems too', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  for (const url of ['/healthz', '/no-such-route']) {
    const response = await app.inject({ method: 'GET', url });
    const timing = /^app;dur=(\d+\.\d{2})$/.exec(String(response.headers['server-timing']));
    assert.ok(timing, `${url}: ${response.headers['server-timing']}`);
    assert.ok(Number(timing[1]) >= 0 && Number(timing[1]) < 10_000);
  }
});

test('logs carry request ids and never a token, cookie or ticket', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const { app, bearer } = await testServer({}, { logger: createLogger('debug', sink) });
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const token = authorization.slice('Bearer '.length);
  const login = await app.inject({ method: 'POST', url: '/api/auth/dev-login', payload: { userId: 'bob' } });
  const bobToken = login.json().token as string;
  const ticket = (
    await app.inject({ method: 'POST', url: '/api/stream/ticket', headers: { authorization } })
  ).json().ticket as string;
  await app.inject({ method: 'GET', url: `/api/commands/c1?ticket=${ticket}`, headers: { authorization } });
  await app.inject({
    method: 'GET',
    url: '/api/commands/c1',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` },
  });
  await app.inject({
    method: 'GET',
    url: '/api/commands/c1',
    headers: { cookie: `sluice_session=${bobToken}` },
  });
  const log = lines.join('');
  assert.match(log, /"reqId":"[0-9a-f-]{36}"/);
  assert.match(log, /"url":"\/api\/commands\/c1\?ticket=\[redacted\]"/);
  for (const secret of [token, bobToken, ticket, TEST_OPERATOR_TOKEN])
    assert.ok(!log.includes(secret), 'a secret was logged');
});

test('redactUrl hides credential parameters only', () => {
  assert.equal(
    redactUrl('/api/stream?ticket=abc&lastEventId=4'),
    '/api/stream?ticket=[redacted]&lastEventId=4',
  );
  assert.equal(redactUrl('/api/x?after=tok&token=t'), '/api/x?after=tok&token=[redacted]');
});

test('configuration comes from the environment in one place', () => {
  const secret = 's'.repeat(40);
  const config = serverConfigFromEnv({
    SLUICE_TOKEN_SECRET: secret,
    PORT: '8080',
    SLUICE_DEV_LOGIN: '1',
    SLUICE_OPERATOR_TOKEN: 'op-token-0123456789',
  });
  assert.equal(config.port, 8080);
  assert.equal(config.host, '127.0.0.1');
  assert.equal(config.devLogin, true);
  assert.equal(config.operatorToken, 'op-token-0123456789');
  assert.equal(config.operatorName, 'admin');
  assert.equal(config.bodyLimit, 256 * 1024);
  assert.equal(serverConfigFromEnv({ SLUICE_TOKEN_SECRET: secret }).devLogin, false);
  assert.equal(serverConfigFromEnv({}, { tokenSecret: secret }).tokenSecret, secret);
  assert.throws(() => serverConfigFromEnv({}), ConfigError);
  assert.throws(() => serverConfigFromEnv({ SLUICE_TOKEN_SECRET: secret, PORT: 'eighty' }), /PORT/);
});

test('a short token secret or operator token is refused at start', async () => {
  await assert.rejects(testServer({ tokenSecret: 'short' }), /at least 32 bytes/);
  await assert.rejects(testServer({ operatorToken: 'short' }), /at least 16 characters/);
});
