import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { requireKafka, requirePostgres } from '@sluice/testing';
import { client, eventually, OPERATOR_TOKEN, startTestShop, testEnvironment } from './shop-fixture.ts';

const run = promisify(execFile);
const items = [
  { name: 'pencil', price: 499 },
  { name: 'mug', price: 500 },
  { name: 'kettle', price: 5000 },
  { name: 'lamp', price: 5001, quantity: 2 },
];

test('the shop on Kafka and PostgreSQL, end to end', { timeout: 180_000 }, async (t) => {
  if (!requireKafka(t) || !requirePostgres(t)) return;
  const environment = await testEnvironment(t, 'postgres', {
    SLUICE_FULFILMENT: 'auto',
    SLUICE_FULFILMENT_EVERY_MS: '3600000', // rounds are run by hand below
  });
  const shop = await startTestShop(environment);
  const http = client(shop.url!);
  const alice = await http.login('u1');
  const bob = await http.login('u2');
  const place = (token: string, key?: string) =>
    http.call('POST', '/api/orders', {
      token,
      body: { items },
      ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }),
    });
  const read = async (token: string, orderId: string, after?: string) =>
    http.call('GET', `/api/orders/${orderId}${after ? `?after=${after}` : ''}`, { token });

  await t.test('an order is readable at once with its position token, with its items in bands', async () => {
    const placed = await place(alice);
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const { orderId, position } = placed.body;
    const order = await read(alice, orderId, position);
    assert.equal(order.status, 200);
    assert.equal(order.body.status, 'created');
    assert.equal(order.body.total, 499 + 500 + 5000 + 2 * 5001);
    const bands = await http.call('GET', `/api/users/u1/items?after=${position}`, { token: alice });
    const names = (band: { name: string }[]) => band.map((item) => item.name);
    assert.deepEqual(names(bands.body.cheap), ['pencil']);
    assert.deepEqual(names(bands.body.affordable), ['mug', 'kettle']);
    assert.deepEqual(bands.body.expensive, [{ orderId, name: 'lamp', price: 5001, quantity: 2 }]);
    const other = await read(bob, orderId, position);
    assert.equal(other.status, 403);
  });

  await t.test('a retried POST /api/orders with the same Idempotency-Key creates one order', async () => {
    const first = await place(bob, 'checkout-1');
    const retry = await place(bob, 'checkout-1');
    assert.equal(first.status, 201);
    assert.equal(retry.body.orderId, first.body.orderId);
    const mine = await http.call('GET', `/api/orders?after=${first.body.position}`, { token: bob });
    assert.equal(mine.body.orders.length, 1);
  });

  await t.test('cancel works before shipping and is refused after', async () => {
    const early = await place(alice);
    const cancelled = await http.call('POST', `/api/orders/${early.body.orderId}/cancel`, { token: alice });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assert.equal((await read(alice, early.body.orderId, cancelled.body.position)).body.status, 'cancelled');

    const late = await place(alice);
    const id = late.body.orderId;
    const notMine = await http.call('POST', `/api/orders/${id}/cancel`, { token: bob });
    assert.equal(notMine.status, 403);
    for (const step of ['confirm', 'ship'])
      assert.equal(
        (await http.call('POST', `/api/orders/${id}/${step}`, { token: OPERATOR_TOKEN })).status,
        200,
      );
    const refused = await http.call('POST', `/api/orders/${id}/cancel`, { token: alice });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'INVALID_TRANSITION');
  });

  await t.test('fulfilment moves an order to delivered, one step per round', async () => {
    const placed = await place(alice);
    const id = placed.body.orderId;
    await read(alice, id, placed.body.position);
    const seen: string[] = [];
    const status = await eventually(async () => {
      await shop.fulfilment!.tick();
      const order = await read(alice, id);
      if (seen.at(-1) !== order.body.status) seen.push(order.body.status);
      return order.body.status === 'delivered' ? order.body.status : undefined;
    }, 'the order to be delivered');
    assert.equal(status, 'delivered');
    assert.ok(seen.length >= 2, seen.join(' → '));
    // Another round changes nothing: a step the read model has not caught up with yet is re-sent
    // under the same command id and answered from the dedup window, so no event follows.
    const before = await read(alice, id);
    await shop.fulfilment!.tick();
    const after = await read(alice, id);
    assert.equal(after.body.status, 'delivered');
    assert.equal(after.body.version, before.body.version);
  });

  await t.test('two users book the same seat at once: one wins, the other gets 409 SEAT_TAKEN', async () => {
    const show = await http.call('POST', '/api/shows', { token: OPERATOR_TOKEN, body: { seats: 20 } });
    assert.equal(show.status, 201, JSON.stringify(show.body));
    const showId = show.body.aggregateId;
    const [a, b] = await Promise.all(
      [alice, bob].map((token) =>
        http.call('POST', `/api/shows/${showId}/bookings`, { token, body: { seats: [5, 6] } }),
      ),
    );
    const statuses = [a!.status, b!.status].sort();
    assert.deepEqual(statuses, [200, 409], JSON.stringify([a!.body, b!.body]));
    const loser = a!.status === 409 ? a! : b!;
    const winner = a!.status === 409 ? 'u2' : 'u1';
    assert.equal(loser.body.code, 'SEAT_TAKEN');
    const won = a!.status === 409 ? b! : a!;
    const map = await http.call('GET', `/api/shows/${showId}?after=${won.body.position}`, { token: alice });
    assert.deepEqual(map.body.booked, { '5': winner, '6': winner });
    assert.equal(map.body.available, 18);
  });

  await t.test('a plain Kafka client without a key updates a user (kafka-python)', async (t) => {
    const python = await pythonWithKafka();
    if (python === undefined) {
      if (process.env.CI === 'true') throw new Error('python3 with kafka-python is required under CI=true');
      t.skip('python3 with kafka-python (apt-get install -y python3-kafka) is not installed');
      return;
    }
    const one = await http.login('1');
    const script = join(import.meta.dirname, 'examples', 'update-user.py');
    const { stdout } = await run(
      python,
      [script, environment.env.KAFKA_BROKERS!, `${environment.prefix}commands`],
      {
        timeout: 60_000,
      },
    );
    assert.match(stdout, /sent/);
    const user = await eventually(async () => {
      const response = await http.call('GET', '/api/users/1', { token: one });
      return response.status === 200 ? response.body : undefined;
    }, 'user 1 to appear');
    assert.equal(user.name, 'Alice');
  });

  await t.test(
    'operators see each projection lag per source partition, in the status and in /metrics',
    async () => {
      const status = await http.call('GET', '/api/projections', { token: OPERATOR_TOKEN });
      assert.equal(status.status, 200);
      const items = status.body.projections.find(
        (p: { projection: string }) => p.projection === 'user_items',
      );
      assert.ok(items.partitions.length > 1, 'one entry per partition of order-events');
      for (const partition of items.partitions) {
        assert.match(partition.topic, /order-events$/);
        assert.equal(BigInt(partition.lag), BigInt(partition.endOffset) - BigInt(partition.nextOffset));
      }
      const metrics = await fetch(`${shop.url}/metrics`).then((response) => response.text());
      assert.match(
        metrics,
        /sluice_projection_lag\{projection="user_items",topic="[^"]*order-events",partition="0"\} \d+/,
      );
    },
  );

  await t.test('readiness names Kafka, the store and the projections', async () => {
    const ready = await http.call('GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.body.checks, { kafka: 'ok', store: 'ok', projections: 'ok' });
  });
});

test('the shop on Kafka and embedded PGlite: read-your-writes and bands', { timeout: 120_000 }, async (t) => {
  if (!requireKafka(t)) return;
  const shop = await startTestShop(await testEnvironment(t, 'pglite'));
  assert.equal(shop.store.kind, 'pglite');
  const http = client(shop.url!);
  const token = await http.login('u1');
  const placed = await http.call('POST', '/api/orders', { token, body: { items } });
  assert.equal(placed.status, 201);
  const order = await http.call('GET', `/api/orders/${placed.body.orderId}?after=${placed.body.position}`, {
    token,
  });
  assert.equal(order.body.status, 'created');
  const bands = await http.call('GET', `/api/users/u1/items?after=${placed.body.position}`, { token });
  assert.deepEqual(
    [bands.body.cheap.length, bands.body.affordable.length, bands.body.expensive.length],
    [1, 2, 1],
  );
  assert.equal(
    (await http.call('GET', `/api/orders/${placed.body.orderId}`, { token: await http.login('u2') })).status,
    403,
  );
});

async function pythonWithKafka(): Promise<string | undefined> {
  for (const candidate of ['/usr/bin/python3', 'python3']) {
    try {
      await run(candidate, ['-c', 'import kafka']);
      return candidate;
    } catch {}
  }
  return undefined;
}
