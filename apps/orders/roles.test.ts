import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { test } from 'node:test';
import { requireKafka, requirePostgres } from '@sluice/testing';
import { client, eventually, OPERATOR_TOKEN, testEnvironment } from './shop-fixture.ts';

const MAIN = join(import.meta.dirname, 'main.ts');

/** Starts `main.ts --role <role>` and resolves with its URL line (or '' for roles without HTTP) once ready. */
async function startRole(
  role: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [MAIN, '--role', role], {
    env: { ...process.env, ...env, SLUICE_INSTANCE_ID: `roles-${role}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/timings \(ms\)/.test(output)) resolve(/http:\s+(\S+)/.exec(output)?.[1] ?? '');
    });
    child.once('exit', (code) => reject(new Error(`--role ${role} exited with ${code}:\n${output}`)));
  });
  return { child, url: await ready, output: () => output };
}

async function stopRole(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  child.kill('SIGTERM');
  const [code] = await once(child, 'exit');
  return code as number | null;
}

test('the roles as three processes on PostgreSQL: an order placed through the api process is readable and streamed live, and a rebuild it is asked for is built by the projector process', {
  timeout: 180_000,
}, async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const environment = await testEnvironment(t);
  const { env } = environment;
  // The first process creates the topics and the store's tables; the others find them.
  const processor = await startRole('processor', env);
  environment.defer(async () => assert.equal(await stopRole(processor.child), 0));
  const [projector, api] = await Promise.all([
    startRole('projector', { ...env, LOG_LEVEL: 'info' }),
    startRole('api', env),
  ]);
  environment.defer(async () => assert.equal(await stopRole(projector.child), 0));
  environment.defer(async () => assert.equal(await stopRole(api.child), 0));
  assert.equal(processor.url, '');
  assert.match(api.url, /^http:\/\/127\.0\.0\.1:\d+$/);

  const http = client(api.url);
  const token = await http.login('u1');
  // A live client of the api process: the projector runs elsewhere, NOTIFY carries the change over.
  const stream = await fetch(`${api.url}/api/stream`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(stream.status, 200);
  const received = readUntil(stream, /"order_id":"[^"]+"/, 30_000);
  const placed = await http.call('POST', '/api/orders', {
    token,
    body: { items: [{ name: 'tea', price: 499 }] },
  });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.match(await received, new RegExp(`"order_id":"${placed.body.orderId}"`));
  // The projector process wakes the api process through NOTIFY: the position wait returns at once.
  const order = await http.call('GET', `/api/orders/${placed.body.orderId}?after=${placed.body.position}`, {
    token,
  });
  assert.equal(order.status, 200, JSON.stringify(order.body));
  assert.equal(order.body.status, 'created');
  const ready = await eventually(async () => {
    const response = await http.call('GET', '/readyz');
    return response.status === 200 ? response.body : undefined;
  }, 'the api process to be ready');
  assert.equal(ready.checks.projections, 'ok');

  // A rebuild asked of the api process is built by the projector process, which carries it on.
  const rebuildPath = '/api/projections/order_status/rebuild';
  const started = await http.call('POST', rebuildPath, { token: OPERATOR_TOKEN });
  assert.equal(started.status, 202, JSON.stringify(started.body));
  const again = await http.call('POST', rebuildPath, { token: OPERATOR_TOKEN });
  assert.equal(again.status, 409, 'one rebuild at a time');
  const switched = await eventually(
    async () => {
      const view = (await http.call('GET', rebuildPath, { token: OPERATOR_TOKEN })).body;
      return view.state === 'done' ? view : undefined;
    },
    'the rebuild to switch',
    60_000,
  );
  assert.equal(switched.version, started.body.version);
  assert.equal(switched.active, true);
  assert.equal(switched.done, switched.total);
  assert.equal(switched.builtHere, false, 'the api process only registered it');
  assert.equal(started.body.builtHere, false);
  assert.match(projector.output(), /carrying on a rebuild/);
});

test('splitting roles over processes with the embedded store is refused with the fix', async (t) => {
  const environment = await testEnvironment(t, 'pglite');
  // The test run's own DATABASE_URL (set by the global setup) must not reach the child.
  const { DATABASE_URL: _ignored, ...inherited } = process.env;
  const child = spawn(process.execPath, [MAIN, '--role', 'api'], {
    env: { ...inherited, ...environment.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
  t.after(() => clearTimeout(guard));
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const [code] = await once(child, 'exit');
  assert.equal(code, 2);
  assert.match(stderr, /set DATABASE_URL/);
});

/** Reads a response body as text until it matches, then cancels it; fails after `ms`. */
async function readUntil(response: Response, pattern: RegExp, ms: number): Promise<string> {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const timer = setTimeout(() => reader.cancel(new Error('timed out')), ms);
  let text = '';
  try {
    while (!pattern.test(text)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the stream ended without ${pattern}: ${text.slice(-500)}`);
      text += value;
    }
    return text;
  } finally {
    clearTimeout(timer);
    await reader.cancel().catch(() => undefined);
  }
}
