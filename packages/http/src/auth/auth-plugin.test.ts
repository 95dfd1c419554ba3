import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { TEST_OPERATOR_TOKEN, TEST_SECRET, testServer } from '../testing/test-server.ts';

const key = (secret: string) => new TextEncoder().encode(secret);
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function signed(secret: string, claims: { sub?: string; exp?: number; iss?: string; aud?: string }) {
  let jwt = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt();
  if (claims.sub !== undefined) jwt = jwt.setSubject(claims.sub);
  if (claims.iss !== undefined) jwt = jwt.setIssuer(claims.iss);
  if (claims.aud !== undefined) jwt = jwt.setAudience(claims.aud);
  if (claims.exp !== undefined) jwt = jwt.setExpirationTime(claims.exp);
  return jwt.sign(key(secret));
}

const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;

test('dev-login issues a token that authenticates as the user, and sets an HttpOnly SameSite=Strict cookie', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/dev-login',
    payload: { userId: 'alice' },
  });
  assert.equal(login.statusCode, 200);
  const { token, expiresIn } = login.json() as { token: string; expiresIn: number };
  assert.equal(expiresIn, 3600);
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, /^sluice_session=[\w.-]+; HttpOnly; SameSite=Strict; Path=\/api; Max-Age=3600$/);
  assert.equal(login.headers['cache-control'], 'no-store');
  const ticket = await app.inject({
    method: 'POST',
    url: '/api/stream/ticket',
    headers: { authorization: `Bearer ${token}` },
  });
  assert.equal(ticket.statusCode, 200);
});

test('dev-login refuses the reserved principals system and operator:*', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  for (const userId of ['system', 'operator:ops', 'operator:']) {
    const response = await app.inject({ method: 'POST', url: '/api/auth/dev-login', payload: { userId } });
    assert.equal(response.statusCode, 403, userId);
    assert.equal(response.headers['content-type'], 'application/problem+json');
    assert.equal(response.json().code, 'RESERVED_PRINCIPAL');
  }
  const empty = await app.inject({ method: 'POST', url: '/api/auth/dev-login', payload: { userId: '' } });
  assert.equal(empty.statusCode, 400);
  assert.equal(empty.json().code, 'INVALID_REQUEST');
  assert.equal(empty.json().path, 'body/userId');
});

test('dev-login does not exist unless enabled', async (t) => {
  const { app } = await testServer({ devLogin: false });
  t.after(() => app.close());
  const response = await app.inject({
    method: 'POST',
    url: '/api/auth/dev-login',
    payload: { userId: 'alice' },
  });
  assert.equal(response.statusCode, 404);
  assert.equal(response.json().code, 'NOT_FOUND');
});

test('bad bearer tokens are 401 problems: missing, garbage, expired, wrong signature, alg none, reserved subject', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  const past = Math.floor(Date.now() / 1000) - 60;
  const claims = { iss: 'sluice', aud: 'sluice' };
  const cases: Record<string, string | undefined> = {
    missing: undefined,
    'empty bearer': 'Bearer ',
    'basic scheme': 'Basic YWxpY2U6cHc=',
    garbage: 'Bearer not.a.jwt',
    expired: `Bearer ${await signed(TEST_SECRET, { ...claims, sub: 'alice', exp: past })}`,
    'wrong signature': `Bearer ${await signed('another-secret-another-secret-another-secret', { ...claims, sub: 'alice', exp: inAnHour() })}`,
    'alg none': `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', ...claims, exp: inAnHour() })}.`,
    'no issuer': `Bearer ${await signed(TEST_SECRET, { sub: 'alice', aud: 'sluice', exp: inAnHour() })}`,
    'no expiry': `Bearer ${await signed(TEST_SECRET, { ...claims, sub: 'alice' })}`,
    'reserved subject': `Bearer ${await signed(TEST_SECRET, { ...claims, sub: 'system', exp: inAnHour() })}`,
    'operator subject': `Bearer ${await signed(TEST_SECRET, { ...claims, sub: 'operator:ops', exp: inAnHour() })}`,
  };
  for (const [name, authorization] of Object.entries(cases)) {
    const response = await app.inject({
      method: 'GET',
      url: '/api/commands/some-id',
      headers: authorization === undefined ? {} : { authorization },
    });
    assert.equal(response.statusCode, 401, name);
    assert.equal(response.headers['content-type'], 'application/problem+json', name);
    assert.match(String(response.headers['www-authenticate']), /^Bearer realm="sluice"/, name);
    const problem = response.json();
    assert.equal(problem.code, 'UNAUTHENTICATED', name);
    assert.equal(problem.status, 401, name);
    assert.equal(problem.type, 'urn:sluice:problem:UNAUTHENTICATED', name);
    assert.equal(problem.instance, '/api/commands/some-id', name);
  }
  const expired = await app.inject({
    method: 'GET',
    url: '/api/commands/x',
    headers: { authorization: cases.expired! },
  });
  assert.equal(expired.json().detail, 'the token has expired');
});

test('the operator token authenticates as operator:<name>; a near miss does not', async (t) => {
  const { app, bus } = await testServer();
  t.after(() => app.close());
  bus.store({ commandId: 'c1', code: 'OK', principal: 'bob', aggregateId: 't1', version: 1 });
  const asOperator = await app.inject({
    method: 'GET',
    url: '/api/commands/c1',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}` },
  });
  assert.equal(asOperator.statusCode, 200);
  const nearMiss = await app.inject({
    method: 'GET',
    url: '/api/commands/c1',
    headers: { authorization: `Bearer ${TEST_OPERATOR_TOKEN}x` },
  });
  assert.equal(nearMiss.statusCode, 401);
});

test('a stream ticket is single use, expires, and is refused on ordinary routes', async (t) => {
  const { app, bearer } = await testServer();
  t.after(() => app.close());
  const authorization = await bearer('alice');
  const issue = async () =>
    (await app.inject({ method: 'POST', url: '/api/stream/ticket', headers: { authorization } })).json() as {
      ticket: string;
      expiresIn: number;
    };
  const { ticket, expiresIn } = await issue();
  assert.equal(expiresIn, 60);
  assert.match(ticket, /^[\w-]{43}$/);
  assert.deepEqual(app.streamTickets.redeem(ticket), { userId: 'alice' });
  assert.equal(app.streamTickets.redeem(ticket), undefined, 'used once');
  const second = await issue();
  const onCommands = await app.inject({ method: 'GET', url: `/api/commands/x?ticket=${second.ticket}` });
  assert.equal(onCommands.statusCode, 401, 'tickets only open the event stream');
  assert.equal(onCommands.json().instance, '/api/commands/x', 'the ticket is not echoed');
});

test('the session cookie is accepted only where a route asks for stream auth', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  const login = await app.inject({
    method: 'POST',
    url: '/api/auth/dev-login',
    payload: { userId: 'alice' },
  });
  const cookie = String(login.headers['set-cookie']).split(';')[0]!;
  const response = await app.inject({ method: 'POST', url: '/api/stream/ticket', headers: { cookie } });
  assert.equal(response.statusCode, 401);
});
