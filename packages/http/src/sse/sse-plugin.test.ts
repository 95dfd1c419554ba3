import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { TEST_OPERATOR_TOKEN, testServer } from '../testing/test-server.ts';

interface Message {
  readonly id?: string;
  readonly event?: string;
  readonly data?: string;
  readonly comment?: string;
  readonly retry?: string;
}

/** Reads SSE messages from a streaming response until `count` have arrived (comments and retry included). */
function sseReader(response: Response) {
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    async next(count: number, timeoutMs = 3_000): Promise<Message[]> {
      const messages: Message[] = [];
      const deadline = Date.now() + timeoutMs;
      while (messages.length < count) {
        let end = buffer.indexOf('\n\n');
        while (end !== -1 && messages.length < count) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const message: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) message.comment = line.slice(1).trim();
            else {
              const at = line.indexOf(':');
              message[line.slice(0, at)] = line.slice(at + 1).trimStart();
            }
          }
          messages.push(message);
          end = buffer.indexOf('\n\n');
        }
        if (messages.length >= count) break;
        if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${count} messages arrived`);
        const { value, done } = await reader.read();
        if (done) throw new Error('the stream ended');
        buffer += value;
      }
      return messages;
    },
    cancel: () => reader.cancel(),
  };
}

async function listening(options: { heartbeatMs?: number } = {}) {
  const server = await testServer(options);
  const address = await server.app.listen({ port: 0, host: '127.0.0.1' });
  // fetch keeps sockets alive for 4 s and close() waits for some of them; tests do not need to.
  const close = async () => {
    const closing = server.app.close();
    server.app.server.closeAllConnections();
    await closing;
  };
  return { ...server, base: address, close };
}

test('the stream sends a user their own changes and resets, with change-log positions as ids', async (t) => {
  const { feed, bearer, base, close } = await listening();
  t.after(close);
  feed.append({ type: 'change', data: { userId: 'alice', tab: 't1' } });
  feed.append({ type: 'change', data: { userId: 'bob', tab: 't2' } });
  const response = await fetch(`${base}/api/stream`, { headers: { authorization: await bearer('alice') } });
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
  assert.equal(response.headers.get('cache-control'), 'no-cache, no-transform');
  const stream = sseReader(response);
  const [retry, first] = await stream.next(2);
  assert.deepEqual(retry, { retry: '2000' });
  assert.deepEqual(first, { id: '1', data: '{"userId":"alice","tab":"t1"}' });
  feed.append({ type: 'change', data: { userId: 'bob', tab: 't3' } });
  feed.append({ type: 'reset', data: { projection: 'tabs' } });
  feed.append({ type: 'change', event: 'tab', data: { userId: 'alice', tab: 't4' } });
  const live = await stream.next(2);
  assert.deepEqual(live, [
    { event: 'reset', id: '4', data: '{"projection":"tabs"}' },
    { event: 'tab', id: '5', data: '{"userId":"alice","tab":"t4"}' },
  ]);
  await stream.cancel();
});

test('resuming with Last-Event-ID (header or query) gets exactly the later events', async (t) => {
  const { feed, base, close } = await listening();
  t.after(close);
  for (let i = 1; i <= 6; i++) feed.append({ type: 'change', data: { n: i } });
  const authorization = `Bearer ${TEST_OPERATOR_TOKEN}`;
  const resumed = await fetch(`${base}/api/stream`, { headers: { authorization, 'last-event-id': '4' } });
  const stream = sseReader(resumed);
  const [, ...events] = await stream.next(3);
  assert.deepEqual(
    events.map((e) => e.id),
    ['5', '6'],
  );
  feed.append({ type: 'change', data: { n: 7 } });
  assert.deepEqual((await stream.next(1))[0], { id: '7', data: '{"n":7}' });
  await stream.cancel();
  const byQuery = await fetch(`${base}/api/stream?lastEventId=6`, { headers: { authorization } });
  const queryStream = sseReader(byQuery);
  const [, only] = await queryStream.next(2);
  assert.equal(only!.id, '7');
  await queryStream.cancel();
  const bad = await fetch(`${base}/api/stream`, { headers: { authorization, 'last-event-id': 'abc' } });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, 'INVALID_EVENT_ID');
});

test('EventSource-style auth: a single-use ticket, or the dev-login cookie; nothing else', async (t) => {
  const { feed, bearer, base, close } = await listening();
  t.after(close);
  feed.append({ type: 'change', data: { userId: 'alice' } });
  const ticketResponse = await fetch(`${base}/api/stream/ticket`, {
    method: 'POST',
    headers: { authorization: await bearer('alice') },
  });
  const { ticket } = (await ticketResponse.json()) as { ticket: string };
  const withTicket = await fetch(`${base}/api/stream?ticket=${ticket}`);
  assert.equal(withTicket.status, 200);
  const stream = sseReader(withTicket);
  assert.equal((await stream.next(2))[1]!.id, '1');
  await stream.cancel();
  const reused = await fetch(`${base}/api/stream?ticket=${ticket}`);
  assert.equal(reused.status, 401);
  assert.equal(((await reused.json()) as { code: string }).code, 'UNAUTHENTICATED');

  const login = await fetch(`${base}/api/auth/dev-login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ userId: 'alice' }),
  });
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  await login.text();
  const withCookie = await fetch(`${base}/api/stream`, { headers: { cookie } });
  assert.equal(withCookie.status, 200);
  await withCookie.body!.cancel();
  const anonymous = await fetch(`${base}/api/stream`);
  assert.equal(anonymous.status, 401);
});

test('heartbeats keep a quiet stream alive; a closed client unsubscribes; close() ends open streams', async (t) => {
  const { app, feed, base } = await listening({ heartbeatMs: 50 });
  t.after(() => app.close());
  const authorization = `Bearer ${TEST_OPERATOR_TOKEN}`;
  const response = await fetch(`${base}/api/stream`, { headers: { authorization } });
  const stream = sseReader(response);
  const [, beat] = await stream.next(2);
  assert.deepEqual(beat, { comment: 'heartbeat' });
  assert.equal(feed.listeners, 1);
  await stream.cancel();
  for (let i = 0; i < 50 && feed.listeners > 0; i++) await sleep(10);
  assert.equal(feed.listeners, 0, 'the subscription ends with the connection');

  const open = await fetch(`${base}/api/stream`, { headers: { authorization } });
  const openStream = sseReader(open);
  await openStream.next(1);
  const started = Date.now();
  await app.close();
  assert.ok(Date.now() - started < 2_000, 'closing does not wait for streams to end by themselves');
  assert.equal(feed.listeners, 0);
});

test('a merged feed position (name=position list) is passed through as Last-Event-ID', async (t) => {
  const { feed, bearer, base, close } = await listening();
  t.after(close);
  feed.append({ type: 'change', data: { userId: 'alice' } });
  const seen: (string | undefined)[] = [];
  const original = feed.subscribe.bind(feed);
  feed.subscribe = (from, onEvent, signal) => {
    seen.push(from);
    return original(undefined, onEvent, signal);
  };
  const authorization = await bearer('alice');
  const response = await fetch(`${base}/api/stream`, {
    headers: { authorization, 'last-event-id': 'order_status=12.user_items=40' },
  });
  assert.equal(response.status, 200);
  await response.body?.cancel();
  assert.deepEqual(seen, ['order_status=12.user_items=40']);
});
