import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { testServer } from '../testing/test-server.ts';

interface Operation {
  readonly responses: Record<string, { content?: Record<string, unknown> }>;
  readonly security?: unknown;
  readonly requestBody?: { content: Record<string, { schema: { oneOf?: { title: string }[] } }> };
}

test('every route has a schema, and /openapi.json documents each with its problem responses', async (t) => {
  const { app } = await testServer(
    {},
    {
      routes: async (scope: FastifyInstance) => {
        scope.get('/api/extra', { schema: { response: { 200: { type: 'object' } } } }, async () => ({}));
      },
    },
  );
  t.after(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/openapi.json' });
  assert.equal(response.statusCode, 200);
  const doc = response.json() as {
    openapi: string;
    paths: Record<string, Record<string, Operation>>;
    components: { schemas: Record<string, unknown> };
  };
  assert.equal(doc.openapi, '3.1.0');
  assert.ok(doc.components.schemas.Problem, 'the problem schema is a named component');
  const expected = [
    'get /healthz',
    'get /readyz',
    'get /metrics',
    'get /openapi.json',
    'get /docs',
    'post /api/auth/dev-login',
    'post /api/stream/ticket',
    'post /api/commands',
    'get /api/commands/{id}',
    'get /api/stream',
    'get /api/extra',
  ];
  const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item).map((m) => `${m} ${path}`),
  );
  for (const route of expected) assert.ok(documented.includes(route), `${route} is documented`);
  for (const [path, item] of Object.entries(doc.paths))
    for (const [method, operation] of Object.entries(item)) {
      const problem = operation.responses['500']?.content?.['application/problem+json'];
      assert.ok(problem, `${method} ${path} documents its problem responses`);
      const needsToken = path.startsWith('/api/') && path !== '/api/auth/dev-login';
      assert.equal(operation.security !== undefined, needsToken, `${method} ${path} security`);
    }
  const commands = doc.paths['/api/commands']!.post!;
  for (const status of ['200', '201', '202', '400', '401', '403', '404', '409', '413', '415', '422', '503'])
    assert.ok(commands.responses[status], `POST /api/commands documents ${status}`);
  const variants = commands.requestBody!.content['application/json']!.schema.oneOf!.map((v) => v.title);
  assert.deepEqual(variants, ['OpenTab', 'CloseTab', 'RenameUser']);
});

test('a route without a schema is refused when it is registered', async () => {
  await assert.rejects(
    testServer(
      {},
      { routes: async (scope: FastifyInstance) => void scope.get('/api/bare', async () => ({})) },
    ),
    /GET \/api\/bare has no schema/,
  );
});

test('/docs is a self-contained page that renders /openapi.json', async (t) => {
  const { app } = await testServer();
  t.after(() => app.close());
  const response = await app.inject({ method: 'GET', url: '/docs' });
  assert.equal(response.statusCode, 200);
  assert.equal(response.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(response.body, /fetch\('\/openapi\.json'\)/);
  assert.doesNotMatch(response.body, /<script[^>]+src=|<link[^>]+href=/, 'nothing loaded from elsewhere');
});
