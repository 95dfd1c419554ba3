import assert from 'node:assert/strict';
import { test } from 'node:test';
import { creationId, idempotencyCommandId } from '@sluice/core';
import { TEST_OPERATOR_TOKEN, testServer } from '../testing/test-server.ts';

const json = { 'content-type': 'application/json' };

test('a creating command answers 201 with its named id and a position token', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  const response = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization: await bearer('alice'), ...json },
    payload: { type: 'OpenTab', userId: 'alice', limit: 10 },
  });
  assert.equal(response.statusCode, 201);
  const body = response.json();
  assert.equal(body.version, 1);
  assert.equal(body.tabId, body.aggregateId);
  assert.equal(body.aggregateId, creationId(body.commandId), 'a retry would create the same tab');
  assert.equal(typeof body.position, 'string');
  assert.deepEqual(Object.keys(body).sort(), ['aggregateId', 'commandId', 'position', 'tabId', 'version']);
  assert.equal(bus.sent.length, 1);
});

test('a command on an existing aggregate answers 200 without a named id; envelopes work too', async (t) => {
  const { app, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const send = (payload: object) =>
    app.inject({ method: 'POST', url: '/api/commands', headers: { authorization, ...json }, payload });
  assert.equal((await send({ type: 'OpenTab', tabId: 't1', userId: 'alice', limit: 1 })).statusCode, 201);
  const close = await send({ type: 'CloseTab', payload: { tabId: 't1' } });
  assert.equal(close.statusCode, 200);
  assert.deepEqual(Object.keys(close.json()).sort(), ['aggregateId', 'commandId', 'position', 'version']);
  assert.equal(close.json().version, 2);
});

test('the principal header comes from the token, whatever the client sends', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization: await bearer('alice'), 'sluice-principal': 'system', ...json },
    payload: { type: 'CloseTab', tabId: 't9', metadata: { principal: 'system' } },
  });
  await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}`, ...json },
    payload: { type: 'CloseTab', tabId: 't9' },
  });
  assert.deepEqual(
    bus.sent.map((command) => command.metadata.principal),
    ['alice', 'operator:ops'],
  );
});

test('a retry with the same Idempotency-Key is the same command; another principal’s key is another command', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  const send = async (userId: string, key: string) =>
    app.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization: await bearer(userId), 'idempotency-key': key, ...json },
      payload: { type: 'OpenTab', userId, limit: 5 },
    });
  const first = await send('alice', 'k-1');
  const retry = await send('alice', 'k-1');
  assert.equal(first.statusCode, 201);
  assert.deepEqual(retry.json(), first.json(), 'the same answer, the same tab');
  assert.equal(first.json().commandId, idempotencyCommandId('alice', 'k-1'));
  assert.equal(bus.sent[0]!.metadata.commandId, bus.sent[1]!.metadata.commandId);
  const bob = await send('bob', 'k-1');
  assert.notEqual(bob.json().commandId, first.json().commandId);
  const fresh1 = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization: await bearer('alice'), ...json },
    payload: { type: 'OpenTab', userId: 'alice', limit: 5 },
  });
  assert.notEqual(fresh1.json().commandId, first.json().commandId, 'no key: a new command each time');
});

test('a body commandId is a key scoped to the principal; one differing from Idempotency-Key is refused', async (t) => {
  const { app, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const scoped = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, ...json },
    payload: { type: 'CloseTab', commandId: 'c-7', tabId: 't1' },
  });
  assert.equal(scoped.json().commandId, idempotencyCommandId('alice', 'c-7'));
  const differing = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, 'idempotency-key': 'other', ...json },
    payload: { type: 'CloseTab', commandId: 'c-7', tabId: 't1' },
  });
  assert.equal(differing.statusCode, 400);
  assert.equal(differing.json().code, 'INVALID_COMMAND');
  assert.equal(differing.json().path, 'commandId');
  const badKey = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, 'idempotency-key': 'x'.repeat(257), ...json },
    payload: { type: 'CloseTab', tabId: 't1' },
  });
  assert.equal(badKey.statusCode, 400);
  assert.equal(badKey.json().path, 'Idempotency-Key');
});

test('commands that cannot be decoded are 400 problems naming the field, and are never sent', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const cases: [string, string, string, string | undefined][] = [
    ['not JSON', '{"type":', 'MALFORMED_COMMAND', undefined],
    ['an array', '[1,2]', 'MALFORMED_COMMAND', undefined],
    ['no type', '{"tabId":"t1"}', 'MALFORMED_COMMAND', undefined],
    ['unknown type', '{"type":"Nope"}', 'UNKNOWN_COMMAND', undefined],
    ['wrong field type', '{"type":"OpenTab","userId":"a","limit":"ten"}', 'INVALID_COMMAND', 'limit'],
    ['missing field', '{"type":"OpenTab","userId":"a"}', 'INVALID_COMMAND', 'limit'],
    ['bad id', '{"type":"CloseTab","tabId":1.5}', 'INVALID_COMMAND', 'tabId'],
    [
      'bad expectedVersion',
      '{"type":"CloseTab","tabId":"t","expectedVersion":-1}',
      'INVALID_COMMAND',
      'expectedVersion',
    ],
  ];
  for (const [name, payload, code, path] of cases) {
    const response = await app.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization, ...json },
      payload,
    });
    assert.equal(response.statusCode, 400, name);
    assert.equal(response.headers['content-type'], 'application/problem+json', name);
    const problem = response.json();
    assert.equal(problem.code, code, name);
    assert.equal(problem.path, path, name);
    assert.equal(problem.instance, '/api/commands', name);
    assert.equal(typeof problem.detail, 'string', name);
  }
  assert.equal(bus.sent.length, 0);
});

test('a body over 256 KB is 413 TOO_LARGE; a body that is not JSON is 415', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const fits = JSON.stringify({ type: 'RenameUser', userId: 'alice', name: 'x'.repeat(256 * 1024 - 60) });
  assert.ok(Buffer.byteLength(fits) <= 256 * 1024);
  const ok = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, ...json },
    payload: fits,
  });
  assert.equal(ok.statusCode, 201);
  const large = JSON.stringify({ type: 'RenameUser', userId: 'alice', name: 'x'.repeat(256 * 1024) });
  const response = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, ...json },
    payload: large,
  });
  assert.equal(response.statusCode, 413);
  assert.equal(response.headers['content-type'], 'application/problem+json');
  assert.equal(response.json().code, 'TOO_LARGE');
  for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
    const wrong = await app.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization, 'content-type': type },
      payload: 'type=OpenTab',
    });
    assert.equal(wrong.statusCode, 415, type);
    assert.equal(wrong.json().code, 'UNSUPPORTED_MEDIA_TYPE', type);
  }
  assert.equal(bus.sent.length, 1);
});

test('rejections map to statuses by kind: conflict 409, forbidden 403, not-found 404, undeclared 422', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const expected: Record<string, number> = {
    TAB_EXISTS: 409,
    VERSION_CONFLICT: 409,
    IDEMPOTENCY_CONFLICT: 409,
    FORBIDDEN: 403,
    TAB_NOT_FOUND: 404,
    OVER_LIMIT: 422,
    SOMETHING_UNDECLARED: 422,
  };
  for (const [code, status] of Object.entries(expected)) {
    bus.rule = () => ({ code, message: `because ${code}` });
    const response = await app.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization, ...json },
      payload: { type: 'CloseTab', tabId: 't1' },
    });
    assert.equal(response.statusCode, status, code);
    const problem = response.json();
    assert.equal(problem.code, code);
    assert.equal(problem.detail, `because ${code}`);
    assert.equal(problem.commandId, bus.sent.at(-1)!.metadata.commandId);
  }
  bus.rule = () => ({ code: 'INTERNAL_ERROR', message: 'TypeError: x is undefined at decide (order.ts:12)' });
  const fault = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, ...json },
    payload: { type: 'CloseTab', tabId: 't1' },
  });
  assert.equal(fault.statusCode, 500);
  assert.doesNotMatch(fault.json().detail, /TypeError/, 'a fault’s message stays in the logs');
});

test('no result within the wait is 202 pending with a Location; the result is readable there later', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  bus.rule = () => 'pending';
  const response = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization, 'idempotency-key': 'slow', ...json },
    payload: { type: 'CloseTab', tabId: 't1' },
  });
  assert.equal(response.statusCode, 202);
  const { commandId, status } = response.json();
  assert.equal(status, 'pending');
  assert.equal(response.headers.location, `/api/commands/${commandId}`);
  const before = await app.inject({
    method: 'GET',
    url: `/api/commands/${commandId}`,
    headers: { authorization },
  });
  assert.equal(before.statusCode, 404);
  bus.store({
    commandId,
    code: 'OK',
    principal: 'alice',
    aggregateType: 'tab',
    aggregateId: 't1',
    version: 2,
  });
  const after = await app.inject({
    method: 'GET',
    url: `/api/commands/${commandId}`,
    headers: { authorization },
  });
  assert.equal(after.statusCode, 200);
  assert.deepEqual(after.json(), {
    commandId,
    code: 'OK',
    aggregateType: 'tab',
    aggregateId: 't1',
    version: 2,
  });
});

test('GET /api/commands/:id is for the owner and operators; others get the same 404 as for a missing id', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  bus.store({ commandId: 'c-alice', code: 'OK', principal: 'alice', aggregateId: 't1', version: 1 });
  bus.store({ commandId: 'c-system', code: 'OK', aggregateId: 't2', version: 1 });
  const get = async (id: string, authorization: string) =>
    app.inject({ method: 'GET', url: `/api/commands/${id}`, headers: { authorization } });
  assert.equal((await get('c-alice', await bearer('alice'))).statusCode, 200);
  const asBob = await get('c-alice', await bearer('bob'));
  const missing = await get('c-none', await bearer('bob'));
  assert.equal(asBob.statusCode, 404);
  assert.equal(asBob.json().code, missing.json().code);
  assert.equal(asBob.json().title, missing.json().title);
  assert.equal((await get('c-system', await bearer('alice'))).statusCode, 404);
  assert.equal((await get('c-alice', `Bearer ${TEST_OPERATOR_TOKEN}`)).statusCode, 200);
  assert.equal((await get('c-system', `Bearer ${TEST_OPERATOR_TOKEN}`)).statusCode, 200);
});

test('a sender that cannot publish is 503 with Retry-After; POST without a token is 401', async (t) => {
  const { app, bus, bearer } = await testServer();
  t.after(() => app.close());
  bus.failure = new Error('connect ECONNREFUSED 127.0.0.1:9092');
  const response = await app.inject({
    method: 'POST',
    url: '/api/commands',
    headers: { authorization: await bearer('alice'), 'idempotency-key': 'k', ...json },
    payload: { type: 'CloseTab', tabId: 't1' },
  });
  assert.equal(response.statusCode, 503);
  assert.equal(response.headers['retry-after'], '1');
  assert.equal(response.json().code, 'COMMANDS_UNAVAILABLE');
  assert.equal(response.json().commandId, idempotencyCommandId('alice', 'k'));
  assert.doesNotMatch(response.body, /ECONNREFUSED/);
  const anonymous = await app.inject({ method: 'POST', url: '/api/commands', headers: json, payload: {} });
  assert.equal(anonymous.statusCode, 401);
});
