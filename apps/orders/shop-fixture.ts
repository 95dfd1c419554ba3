import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { createLogger } from '@sluice/http';
import { createAdmin, sluiceTopics } from '@sluice/kafka';
import { testBrokers, testDatabaseUrl, uniqueName } from '@sluice/testing';
import pg from 'pg';
import { loadShopConfig } from './config.ts';
import { registry, type ShopHandles, startShop } from './shop.ts';

export const OPERATOR_TOKEN = 'operator-token-for-shop-tests';

/** Environment of a test deployment: its own topic prefix, data directory and (PostgreSQL) schema. */
export interface TestEnvironment {
  readonly env: Record<string, string>;
  readonly prefix: string;
  readonly schema: string;
  /** Runs `close` at teardown before the topics, schema and files go (last registered, first run). */
  defer(close: () => Promise<unknown>): void;
}

/** A fresh environment for one test, removed (topics, schema, files) when it ends. */
export async function testEnvironment(
  t: TestContext,
  store: 'postgres' | 'pglite' = 'postgres',
  extra: Record<string, string> = {},
): Promise<TestEnvironment> {
  const prefix = `${uniqueName('shop')}.`;
  const schema = `shop_${prefix.replace(/[^a-z0-9]/gi, '_').toLowerCase()}`.slice(0, 60);
  const dir = await mkdtemp(join(tmpdir(), 'shop-'));
  const brokers = testBrokers();
  const env: Record<string, string> = {
    KAFKA_BROKERS: brokers.join(','),
    SLUICE_TOPIC_PREFIX: prefix,
    SLUICE_PARTITIONS: '3',
    SLUICE_RESULT_PARTITIONS: '3',
    SLUICE_DATA_DIR: dir,
    PORT: '0',
    SLUICE_DEV_LOGIN: '1',
    SLUICE_OPERATOR_TOKEN: OPERATOR_TOKEN,
    LOG_LEVEL: 'warn',
    ...(store === 'postgres' ? { DATABASE_URL: testDatabaseUrl(), SLUICE_READ_SCHEMA: schema } : {}),
    ...extra,
  };
  // node:test runs after-hooks in registration order: whatever uses the environment must stop first.
  const closers: (() => Promise<unknown>)[] = [];
  t.after(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    const admin = createAdmin({ brokers, clientId: `${prefix}cleanup` });
    const topics = sluiceTopics({ prefix, aggregateTypes: registry.aggregateTypes() }).map(
      (spec) => spec.name,
    );
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.close();
    if (store === 'postgres') {
      const client = new pg.Client({ connectionString: testDatabaseUrl() });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
    await rm(dir, { recursive: true, force: true });
  });
  return { env, prefix, schema, defer: (close) => closers.push(close) };
}

/** Starts a whole shop in this process on a test environment; stopped before the environment goes. */
export async function startTestShop(environment: TestEnvironment): Promise<ShopHandles> {
  const config = await loadShopConfig(environment.env, []);
  const shop = await startShop(config, { logger: createLogger('warn') });
  environment.defer(() => shop.stop());
  return shop;
}

/** A small HTTP client for a shop's URL. */
export function client(url: string) {
  async function call(
    method: string,
    path: string,
    options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) {
    const response = await fetch(url + path, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...options.headers,
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    });
    const text = await response.text();
    // biome-ignore lint/suspicious/noExplicitAny: responses are read field by field in assertions
    let body: any;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = text;
    }
    return { status: response.status, body };
  }
  return {
    call,
    async login(userId: string): Promise<string> {
      const { status, body } = await call('POST', '/api/auth/dev-login', { body: { userId } });
      if (status !== 200) throw new Error(`dev login failed: ${status} ${JSON.stringify(body)}`);
      return body.token as string;
    },
  };
}

/** Polls `probe` until it returns a value, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
