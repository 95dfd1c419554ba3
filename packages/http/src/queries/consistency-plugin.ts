import { decodePositionToken, ErrorCodes, type PositionToken } from '@sluice/core';
import type { FastifyInstance, FastifyRequest, preHandlerHookHandler, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { problemResponses } from '../openapi/schemas.ts';
import { HttpProblem } from '../problems/problem.ts';

/** Waits until a projection has applied everything a position token names. */
export interface PositionWaiter {
  /** Resolves once satisfied; rejects with a `PROJECTION_BEHIND` error after `timeoutMs`. */
  waitFor(projection: string, token: PositionToken, timeoutMs: number): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The projection this route reads: with `?after=` or `Sluice-After`, it waits for that position first. */
    consistentWith?: string;
  }
}

/** Options of the consistency plugin. */
export interface ConsistencyOptions {
  readonly waiter: PositionWaiter;
  /** How long a query waits for its projection. Default 5 s. */
  readonly timeoutMs?: number;
}

/** Header carrying a position token, as an alternative to `?after=`. */
export const AFTER_HEADER = 'sluice-after';

/** The position token a request asks to read after, if any (400 `INVALID_TOKEN` when unreadable). */
export function requestedPosition(request: FastifyRequest): PositionToken | undefined {
  const query = request.query as Record<string, unknown> | undefined;
  const fromQuery = typeof query?.after === 'string' ? query.after : undefined;
  const header = request.headers[AFTER_HEADER];
  const text = fromQuery ?? (typeof header === 'string' ? header : undefined);
  if (text === undefined || text === '') return undefined;
  const decoded = decodePositionToken(text);
  if (!decoded.ok) throw new HttpProblem(ErrorCodes.INVALID_TOKEN, decoded.message);
  return decoded.token;
}

type Schema = Record<string, unknown> & { properties?: Record<string, unknown> };

function withProperty(schema: unknown, name: string, property: Record<string, unknown>): Schema {
  const base = (schema ?? { type: 'object' }) as Schema;
  return { ...base, properties: { ...base.properties, [name]: property } };
}

async function consistency(app: FastifyInstance, options: ConsistencyOptions): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;

  /** A preHandler that waits for `projection` to reach the requested position. */
  function waitFor(projection: string): preHandlerHookHandler {
    return async (request) => {
      const token = requestedPosition(request);
      if (token !== undefined) await options.waiter.waitFor(projection, token, timeoutMs);
    };
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    const projection = route.config?.consistentWith;
    if (projection === undefined) return;
    const existing = route.preHandler === undefined ? [] : [route.preHandler].flat();
    route.preHandler = [waitFor(projection), ...existing];
    const token = { type: 'string', description: `Position token: wait until ${projection} has applied it` };
    const schema = route.schema ?? {};
    route.schema = {
      ...schema,
      querystring: withProperty(schema.querystring, 'after', token),
      headers: withProperty(schema.headers, AFTER_HEADER, token),
      response: { ...problemResponses(400, 503), ...(schema.response as object | undefined) },
    };
  });
}

/** Read-your-writes for query routes that declare `config: { consistentWith: '<projection>' }`. */
export const consistencyPlugin = fp(consistency, {
  name: 'sluice-consistency',
  fastify: '5.x',
  dependencies: ['sluice-problems'],
});
