import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadShopConfig, parseShopConfig, ShopConfigError } from './config.ts';

const kept = { instanceId: 'shop-test', tokenSecret: 'x'.repeat(48) };

test('defaults: all roles, port 3000 on loopback, local Kafka, PGlite under .sluice, no dev login, fulfilment off', () => {
  const config = parseShopConfig({}, [], kept);
  assert.equal(config.role, 'all');
  assert.deepEqual([...config.roles].sort(), ['api', 'processor', 'projector']);
  assert.equal(config.server.port, 3000);
  assert.equal(config.server.host, '127.0.0.1');
  assert.equal(config.brokers, undefined);
  assert.equal(config.store.kind, 'pglite');
  assert.equal(config.server.devLogin, false);
  assert.equal(config.fulfilment.mode, 'off');
  assert.equal(config.partitions, 12);
});

test('--dev turns on dev login (on loopback) and fulfilment; off a loopback host dev login stays off', () => {
  const dev = parseShopConfig({}, ['--dev'], kept);
  assert.equal(dev.server.devLogin, true);
  assert.equal(dev.fulfilment.mode, 'auto');
  const exposed = parseShopConfig({ HOST: '0.0.0.0' }, ['--dev'], kept);
  assert.equal(exposed.server.devLogin, false);
  assert.match(exposed.notes.join(), /not loopback/);
});

test('SLUICE_DEV_LOGIN=1 on a non-loopback host is refused', () => {
  assert.throws(() => parseShopConfig({ SLUICE_DEV_LOGIN: '1', HOST: '0.0.0.0' }, [], kept), /not loopback/);
  assert.equal(parseShopConfig({ SLUICE_DEV_LOGIN: '1', HOST: '::1' }, [], kept).server.devLogin, true);
});

test('the environment is read once into typed values', () => {
  const config = parseShopConfig(
    {
      PORT: '8080',
      KAFKA_BROKERS: 'a:9092, b:9092',
      DATABASE_URL: 'postgres://x@db/shop',
      SLUICE_TOPIC_PREFIX: 'shop.',
      SLUICE_PARTITIONS: '6',
      SLUICE_INSTANCE_ID: 'api-1',
      SLUICE_OPERATOR_TOKEN: 'operator-secret-123',
      SLUICE_FULFILMENT: 'auto',
      SLUICE_FULFILMENT_EVERY_MS: '500',
      SLUICE_ROLE: 'processor',
    },
    [],
    kept,
  );
  assert.equal(config.server.port, 8080);
  assert.deepEqual(config.brokers, ['a:9092', 'b:9092']);
  assert.deepEqual(config.store, { kind: 'postgres', connectionString: 'postgres://x@db/shop' });
  assert.equal(config.topicPrefix, 'shop.');
  assert.equal(config.partitions, 6);
  assert.equal(config.instanceId, 'api-1');
  assert.equal(config.server.operatorToken, 'operator-secret-123');
  assert.deepEqual(config.fulfilment, { mode: 'auto', everyMs: 500 });
  assert.deepEqual([...config.roles], ['processor']);
  assert.deepEqual(
    [...parseShopConfig({ DATABASE_URL: 'postgres://x' }, ['--role', 'api'], kept).roles],
    ['api'],
  );
});

test('bad values are clear errors naming the variable', () => {
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ PORT: 'http' }, [], /PORT/],
    [{ PORT: '70000' }, [], /PORT/],
    [{ SLUICE_PARTITIONS: '0' }, [], /SLUICE_PARTITIONS/],
    [{ SLUICE_FULFILMENT: 'sometimes' }, [], /SLUICE_FULFILMENT/],
    [{ SLUICE_ROLE: 'cook' }, [], /--role/],
    [{}, ['--role', 'api'], /DATABASE_URL/],
    [{ SLUICE_READ_STORE: 'memory' }, ['--role=projector'], /DATABASE_URL/],
    [{}, ['--colour'], /unknown argument/],
    [{ SLUICE_TOKEN_SECRET: 'short' }, [], /SLUICE_TOKEN_SECRET/],
    [{ SLUICE_OPERATOR_TOKEN: 'short' }, [], /SLUICE_OPERATOR_TOKEN/],
    [{ SLUICE_INSTANCE_ID: 'has space' }, [], /SLUICE_INSTANCE_ID/],
    [{ SLUICE_DEV_LOGIN: 'yes' }, [], /SLUICE_DEV_LOGIN/],
    [{ KAFKA_BROKERS: ' , ' }, [], /KAFKA_BROKERS/],
  ];
  for (const [env, argv, message] of cases)
    assert.throws(
      () => parseShopConfig(env, argv, kept),
      (error: unknown) => error instanceof ShopConfigError && message.test(error.message),
      JSON.stringify([env, argv]),
    );
});

test('the instance id and the development token secret are generated once and kept', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'shop-config-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await loadShopConfig({ SLUICE_DATA_DIR: dir }, []);
  const second = await loadShopConfig({ SLUICE_DATA_DIR: dir }, []);
  assert.equal(second.instanceId, first.instanceId);
  assert.equal(second.server.tokenSecret, first.server.tokenSecret);
  assert.ok(first.server.tokenSecret.length >= 32);
  assert.equal((await readFile(join(dir, 'instance-id'), 'utf8')).trim(), first.instanceId);
  assert.match(first.notes.join('\n'), /generated/);
  const pinned = await loadShopConfig({ SLUICE_DATA_DIR: dir, SLUICE_INSTANCE_ID: 'pinned' }, []);
  assert.equal(pinned.instanceId, 'pinned');
});
