import { bearerSecurity, problemResponses } from '@sluice/http';
import type { FastifyInstance } from 'fastify';
import type { ProjectionAdmin } from '../projection-admin.ts';
import { requireOperator } from './access.ts';

const nameParams = {
  type: 'object',
  required: ['name'],
  properties: { name: { type: 'string', minLength: 1, maxLength: 100 } },
} as const;

const rebuildSchema = {
  type: 'object',
  required: ['projection', 'version', 'state', 'done', 'total', 'caughtUp', 'active'],
  properties: {
    projection: { type: 'string' },
    version: { type: 'integer' },
    state: { type: 'string', enum: ['running', 'done', 'failed'] },
    done: { type: 'string', description: 'Offsets applied (decimal)' },
    total: { type: 'string', description: 'Offsets from log start to the last stable offset (decimal)' },
    eventsPerSecond: { type: 'number' },
    etaSeconds: { type: 'number' },
    caughtUp: { type: 'boolean' },
    active: { type: 'boolean' },
    error: { type: 'string' },
    builtHere: {
      type: 'boolean',
      description: 'Whether this process builds it; false: the projector processes do (an API-only process)',
    },
  },
} as const;

/** Operator routes: projection status, blue-green rebuilds (start, cancel) and their progress by GET and SSE. */
export function projectionRoutes(admin: ProjectionAdmin) {
  return async (app: FastifyInstance): Promise<void> => {
    const open = new Set<AbortController>();
    // A stream never goes idle on its own, so closing the server would wait for it.
    app.addHook('preClose', async () => {
      for (const controller of open) controller.abort();
    });

    app.get(
      '/api/projections',
      {
        schema: {
          summary: 'Operators: every projection’s versions, state, last error and progress',
          tags: ['operator'],
          security: bearerSecurity,
          response: {
            200: {
              type: 'object',
              required: ['projections'],
              properties: {
                projections: { type: 'array', items: { type: 'object', additionalProperties: true } },
              },
            },
            ...problemResponses(401, 403),
          },
        },
      },
      async (request) => {
        requireOperator(request);
        return { projections: await admin.statuses() };
      },
    );

    app.post(
      '/api/projections/:name/rebuild',
      {
        schema: {
          summary: 'Operators: rebuild a projection blue-green (the active version keeps serving)',
          tags: ['operator'],
          security: bearerSecurity,
          params: nameParams,
          response: { 202: rebuildSchema, ...problemResponses(401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        requireOperator(request);
        const { name } = request.params as { name: string };
        const view = await admin.startRebuild(name);
        return reply.code(202).header('location', `/api/projections/${name}/rebuild`).send(view);
      },
    );

    app.delete(
      '/api/projections/:name/rebuild',
      {
        schema: {
          summary: 'Operators: cancel the rebuild under way, wherever it runs (the active version stays)',
          tags: ['operator'],
          security: bearerSecurity,
          params: nameParams,
          response: {
            202: {
              type: 'object',
              required: ['projection', 'version'],
              properties: { projection: { type: 'string' }, version: { type: 'integer' } },
            },
            ...problemResponses(401, 403, 404, 409),
          },
        },
      },
      async (request, reply) => {
        requireOperator(request);
        const { name } = request.params as { name: string };
        const version = await admin.cancelRebuild(name);
        if (version === undefined) return reply.problem('NOT_FOUND', `no rebuild of ${name} is under way`);
        return reply.code(202).send({ projection: name, version });
      },
    );

    app.get(
      '/api/projections/:name/rebuild',
      {
        schema: {
          summary: 'Operators: progress of the last rebuild (offsets done / total, rate, ETA)',
          tags: ['operator'],
          security: bearerSecurity,
          params: nameParams,
          response: { 200: rebuildSchema, ...problemResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        requireOperator(request);
        const { name } = request.params as { name: string };
        return (
          (await admin.rebuild(name)) ??
          reply.problem('NOT_FOUND', `no rebuild of ${name} ran in this process`)
        );
      },
    );

    app.get(
      '/api/projections/:name/rebuild/stream',
      {
        config: { auth: 'stream' },
        schema: {
          summary: 'Operators: rebuild progress as Server-Sent Events (event: progress), until it ends',
          tags: ['operator'],
          security: [{ bearer: [] }, { ticket: [] }],
          params: nameParams,
          querystring: { type: 'object', properties: { ticket: { type: 'string' } } },
          response: {
            200: {
              description: 'An event stream',
              content: { 'text/event-stream': { schema: { type: 'string' } } },
            },
            ...problemResponses(401, 403, 404),
          },
        },
      },
      async (request, reply) => {
        requireOperator(request);
        const { name } = request.params as { name: string };
        const first = await admin.rebuild(name);
        if (first === undefined)
          return reply.problem('NOT_FOUND', `no rebuild of ${name} ran in this process`);
        reply.hijack();
        const res = reply.raw;
        res.writeHead(200, {
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-cache, no-transform',
        });
        const controller = new AbortController();
        open.add(controller);
        res.on('close', () => controller.abort());
        let seq = 0;
        const send = (view: unknown): void => {
          seq += 1;
          if (!res.writableEnded) res.write(`event: progress\nid: ${seq}\ndata: ${JSON.stringify(view)}\n\n`);
        };
        send(first);
        if (first.state === 'running')
          await admin
            .watch(name, send, controller.signal)
            .catch((error: unknown) => request.log.error({ err: error }, 'rebuild progress failed'));
        open.delete(controller);
        if (!res.writableEnded) res.end();
      },
    );
  };
}
