import { createCommandRegistry, defineCommand, s } from '@sluice/core';
import type { FastifyInstance } from 'fastify';
import type { Principal } from '../auth/principal.ts';
import type { ServerConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { createSluiceMetrics, type SluiceMetrics } from '../metrics/metrics.ts';
import { buildServer, type ServerPorts } from '../server.ts';
import type { StreamEvent } from '../sse/sse-plugin.ts';
import { InMemoryChangeFeed, InMemoryCommandBus, InMemoryPositionWaiter } from './fakes.ts';

/** A 48-byte secret for test tokens. */
export const TEST_SECRET = 'test-secret-test-secret-test-secret-test-secret!';
/** The operator token of test servers (acts as `operator:ops`). */
export const TEST_OPERATOR_TOKEN = 'operator-token-for-tests-only';

/** A small registry: a creating command, a plain one, and one with an integer field. */
export const testRegistry = createCommandRegistry([
  defineCommand({
    type: 'OpenTab',
    aggregate: 'tab',
    idField: 'tabId',
    creates: true,
    schema: s.object({ tabId: s.optional(s.id()), userId: s.id(), limit: s.integer({ minimum: 0 }) }),
  }),
  defineCommand({
    type: 'CloseTab',
    aggregate: 'tab',
    idField: 'tabId',
    schema: s.object({ tabId: s.id() }),
  }),
  defineCommand({
    type: 'RenameUser',
    aggregate: 'user',
    idField: 'userId',
    schema: s.object({ userId: s.id(), name: s.string({ maxLength: 300_000 }) }),
  }),
]);

/** The test domain's rejection codes. */
export const testDomainCodes = {
  TAB_EXISTS: { kind: 'conflict', title: 'The tab already exists' },
  TAB_NOT_FOUND: { kind: 'not-found', title: 'No such tab' },
  OVER_LIMIT: { kind: 'rejected', title: 'The tab is over its limit' },
  FORBIDDEN: { kind: 'forbidden', title: 'Not yours' },
} as const;

/** Configuration for tests: dev login on, operator token set, short timeouts. */
export function testConfig(overrides: Partial<ServerConfig> = {}): ServerConfig {
  return {
    port: 0,
    host: '127.0.0.1',
    tokenSecret: TEST_SECRET,
    tokenTtlSeconds: 3600,
    operatorToken: TEST_OPERATOR_TOKEN,
    operatorName: 'ops',
    devLogin: true,
    secureCookies: false,
    bodyLimit: 256 * 1024,
    commandTimeoutMs: 50,
    queryTimeoutMs: 50,
    heartbeatMs: 15_000,
    logLevel: 'silent',
    ...overrides,
  };
}

/** A server over in-memory ports, and the ports, for route tests. */
export interface TestServer {
  readonly app: FastifyInstance;
  readonly bus: InMemoryCommandBus;
  readonly waiter: InMemoryPositionWaiter;
  readonly feed: InMemoryChangeFeed;
  readonly metrics: SluiceMetrics;
  /** `Authorization` header value for a user. */
  bearer(userId: string): Promise<string>;
}

/** Users see changes whose data has their `userId`; operators see everything. */
export function ownRowsFilter(principal: Principal, event: StreamEvent): boolean {
  if ('operator' in principal) return true;
  return (event.data as { userId?: unknown } | undefined)?.userId === principal.userId;
}

/** Builds a server over fresh in-memory ports. */
export async function testServer(
  config: Partial<ServerConfig> = {},
  ports: Partial<ServerPorts> = {},
): Promise<TestServer> {
  const bus = new InMemoryCommandBus(testRegistry);
  const waiter = new InMemoryPositionWaiter();
  const feed = new InMemoryChangeFeed();
  const metrics = ports.metrics ?? createSluiceMetrics({ defaultMetrics: false });
  const app = await buildServer(testConfig(config), {
    registry: testRegistry,
    sender: bus,
    results: bus,
    waiter,
    feed,
    streamFilter: ownRowsFilter,
    metrics,
    domainCodes: testDomainCodes,
    logger: createLogger('silent'),
    ...ports,
  });
  return {
    app,
    bus,
    waiter,
    feed,
    metrics,
    bearer: async (userId) => `Bearer ${await app.tokens.issue(userId)}`,
  };
}
