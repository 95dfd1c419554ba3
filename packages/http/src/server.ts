import { randomUUID } from 'node:crypto';
import type { CommandRegistry } from '@sluice/core';
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import type { Logger } from 'pino';
import { authPlugin } from './auth/auth-plugin.ts';
import { commandsPlugin } from './commands/commands-plugin.ts';
import type { CommandResultReader, CommandSender } from './commands/ports.ts';
import type { ServerConfig } from './config.ts';
import { healthPlugin, type ReadinessCheck } from './health/health-plugin.ts';
import { createLogger } from './logger.ts';
import { createSluiceMetrics, type SluiceMetrics } from './metrics/metrics.ts';
import { metricsPlugin } from './metrics/metrics-plugin.ts';
import { openApiPlugin } from './openapi/openapi-plugin.ts';
import { type DomainCodeEntry, ErrorCatalogue } from './problems/catalogue.ts';
import { problemsPlugin } from './problems/problems-plugin.ts';
import { consistencyPlugin, type PositionWaiter } from './queries/consistency-plugin.ts';
import { type ChangeFeed, type StreamFilter, streamPlugin } from './sse/sse-plugin.ts';

/** What the server talks to: ports of our own, implemented by `@sluice/kafka` and `@sluice/store`. */
export interface ServerPorts {
  readonly registry: CommandRegistry;
  readonly sender: CommandSender;
  readonly results: CommandResultReader;
  readonly waiter: PositionWaiter;
  readonly feed: ChangeFeed;
  /** Which changes a principal may see on the stream. */
  readonly streamFilter: StreamFilter;
  readonly readiness?: readonly ReadinessCheck[];
  /** The app's metrics (and registry); created when absent. */
  readonly metrics?: SluiceMetrics;
  /** The domains' rejection codes with their kinds, for the error catalogue. */
  readonly domainCodes?: Readonly<Record<string, DomainCodeEntry>>;
  /** The app's own routes, registered after the plugins so auth, consistency and OpenAPI apply to them. */
  readonly routes?: FastifyPluginAsync;
  /** A logger to use instead of the default one (tests pass one writing to memory). */
  readonly logger?: Logger;
  readonly openApi?: { readonly title?: string; readonly version?: string; readonly description?: string };
}

/** Longest request id taken from a client's `X-Request-Id`; longer ones are replaced. */
const MAX_REQUEST_ID = 128;

/**
 * Assembles the Sluice HTTP server from its config and ports, without listening: tests call
 * `app.inject()` or `app.listen({ port: 0 })`; the app calls `app.listen({ port, host })`.
 */
export async function buildServer(config: ServerConfig, ports: ServerPorts): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: ports.logger ?? createLogger(config.logLevel),
    bodyLimit: config.bodyLimit,
    requestIdHeader: 'x-request-id',
    genReqId: () => randomUUID(),
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.id.length > MAX_REQUEST_ID) request.id = randomUUID();
    reply.header('x-request-id', request.id);
  });
  // How long the server took (W3C Server-Timing), so a client can tell its own waits from the server's.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.header('server-timing', `app;dur=${reply.elapsedTime.toFixed(2)}`);
    done(null, payload);
  });
  const metrics = ports.metrics ?? createSluiceMetrics();

  await app.register(problemsPlugin, { catalogue: new ErrorCatalogue(ports.domainCodes) });
  await app.register(openApiPlugin, ports.openApi ?? {});
  await app.register(authPlugin, {
    tokenSecret: config.tokenSecret,
    tokenTtlSeconds: config.tokenTtlSeconds,
    operators:
      config.operatorToken === undefined ? [] : [{ name: config.operatorName, token: config.operatorToken }],
    devLogin: config.devLogin,
    secureCookies: config.secureCookies,
  });
  await app.register(consistencyPlugin, { waiter: ports.waiter, timeoutMs: config.queryTimeoutMs });
  await app.register(healthPlugin, { checks: ports.readiness ?? [] });
  await app.register(metricsPlugin, { metrics });
  await app.register(commandsPlugin, {
    registry: ports.registry,
    sender: ports.sender,
    results: ports.results,
    timeoutMs: config.commandTimeoutMs,
    bodyLimit: config.bodyLimit,
    metrics,
  });
  await app.register(streamPlugin, {
    feed: ports.feed,
    filter: ports.streamFilter,
    heartbeatMs: config.heartbeatMs,
  });
  if (ports.routes !== undefined) await app.register(ports.routes);
  // Typed with pino's Logger, the instance is still a FastifyInstance for every plugin and caller.
  return app as unknown as FastifyInstance;
}
