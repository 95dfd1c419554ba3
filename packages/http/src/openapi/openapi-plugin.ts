import swagger from '@fastify/swagger';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { SESSION_COOKIE } from '../auth/auth-plugin.ts';
import { DOCS_PAGE } from './docs-page.ts';
import { bearerSecurity, problemResponses } from './schemas.ts';

/** Options of the OpenAPI plugin. */
export interface OpenApiOptions {
  readonly title?: string;
  readonly version?: string;
  readonly description?: string;
}

async function openapi(app: FastifyInstance, options: OpenApiOptions): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: options.title ?? 'Sluice',
        version: options.version ?? '0.1.0',
        description:
          options.description ??
          'Commands in, position tokens out, read-your-writes queries and live changes. Errors are application/problem+json with a stable code.',
      },
      components: {
        securitySchemes: {
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT or operator token' },
          cookie: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
          ticket: { type: 'apiKey', in: 'query', name: 'ticket' },
        },
      },
    },
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  });

  // Every route documents itself: a route without a schema is a bug; problem answers and the bearer
  // requirement of /api routes are added where a route leaves them out.
  app.addHook('onRoute', (route: RouteOptions) => {
    const method = [route.method].flat().join(',');
    if (route.schema === undefined) throw new TypeError(`${method} ${route.url} has no schema`);
    const protectedRoute = route.url.startsWith('/api/') && route.config?.auth !== 'none';
    const schema = route.schema as Record<string, unknown>;
    route.schema = {
      ...schema,
      ...(protectedRoute && schema.security === undefined ? { security: bearerSecurity } : {}),
      response: {
        ...problemResponses(...(protectedRoute ? [401] : [])),
        ...(schema.response as object | undefined),
      },
    };
  });

  app.get(
    '/openapi.json',
    {
      logLevel: 'warn',
      schema: {
        summary: 'This OpenAPI document',
        tags: ['docs'],
        response: { 200: { type: 'object', additionalProperties: true }, ...problemResponses() },
      },
    },
    async (_request, reply) => reply.type('application/json').send(JSON.stringify(app.swagger())),
  );

  app.get(
    '/docs',
    {
      logLevel: 'warn',
      schema: {
        summary: 'Human-readable API reference (a self-contained page rendering /openapi.json)',
        tags: ['docs'],
        response: {
          200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } },
          ...problemResponses(),
        },
      },
    },
    async (_request, reply) => reply.type('text/html; charset=utf-8').send(DOCS_PAGE),
  );
}

/** `/openapi.json` generated from every route's schema, and `/docs`. Register before the routes it documents. */
export const openApiPlugin = fp(openapi, {
  name: 'sluice-openapi',
  fastify: '5.x',
  dependencies: ['sluice-problems'],
});
