import { bearerSecurity, problemResponses } from '@sluice/http';
import type { FastifyInstance } from 'fastify';
import { Projections, type ShopQueries } from '../read-model.ts';
import { idParams, requireSelfOrOperator } from './access.ts';
import { acceptedSchema, type CommandPorts, pendingSchema, sendCommand } from './send-command.ts';

const bandItem = {
  type: 'object',
  required: ['orderId', 'name', 'price', 'quantity'],
  properties: {
    orderId: { type: 'string' },
    name: { type: 'string' },
    price: { type: 'integer', description: 'Unit price in pence' },
    quantity: { type: 'integer' },
  },
} as const;

const userSchema = {
  type: 'object',
  required: ['userId', 'name', 'createdAt', 'updatedAt'],
  properties: {
    userId: { type: 'string' },
    name: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

/** Profile routes: read and update myself, and my items grouped by price band. */
export function userRoutes(ports: CommandPorts, queries: ShopQueries) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/api/users/:id',
      {
        config: { consistentWith: Projections.users },
        schema: {
          summary: 'My profile',
          tags: ['users'],
          security: bearerSecurity,
          params: idParams,
          response: { 200: userSchema, ...problemResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        requireSelfOrOperator(request, id);
        const user = await queries.user(id);
        return user ?? reply.problem('USER_NOT_FOUND', `user ${id} has no profile yet`);
      },
    );

    for (const method of ['PUT', 'POST'] as const) {
      app.route({
        method,
        url: '/api/users/:id',
        schema: {
          summary: 'Create or rename my profile (UpdateUser)',
          tags: ['users'],
          security: bearerSecurity,
          params: idParams,
          headers: {
            type: 'object',
            properties: {
              'idempotency-key': { type: 'string', description: 'Retries with the same key are one command' },
            },
          },
          body: {
            type: 'object',
            required: ['newName'],
            properties: { newName: { type: 'string', maxLength: 10_000, description: '1–100 characters' } },
            additionalProperties: false,
          },
          response: {
            200: acceptedSchema,
            201: acceptedSchema,
            202: pendingSchema,
            ...problemResponses(400, 401, 403, 409, 413, 415, 503),
          },
        },
        handler: async (request, reply) => {
          const { id } = request.params as { id: string };
          requireSelfOrOperator(request, id);
          const { newName } = request.body as { newName: string };
          return sendCommand(ports, request, reply, { type: 'UpdateUser', userId: id, newName });
        },
      });
    }

    app.get(
      '/api/users/:id/items',
      {
        config: { consistentWith: Projections.items },
        schema: {
          summary: 'My ordered items by unit price: cheap < £5, affordable £5–£50, expensive > £50',
          tags: ['users'],
          security: bearerSecurity,
          params: idParams,
          response: {
            200: {
              type: 'object',
              required: ['cheap', 'affordable', 'expensive'],
              properties: {
                cheap: { type: 'array', items: bandItem },
                affordable: { type: 'array', items: bandItem },
                expensive: { type: 'array', items: bandItem },
              },
            },
            ...problemResponses(401, 403),
          },
        },
      },
      async (request) => {
        const { id } = request.params as { id: string };
        requireSelfOrOperator(request, id);
        return queries.itemsByBand(id);
      },
    );
  };
}
