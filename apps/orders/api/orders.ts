import { bearerSecurity, forbidden, principalOf, problemResponses } from '@sluice/http';
import type { FastifyInstance } from 'fastify';
import { Projections, type ShopQueries } from '../read-model.ts';
import { idParams, requireOperator, requireSelfOrOperator } from './access.ts';
import { acceptedSchema, type CommandPorts, pendingSchema, sendCommand } from './send-command.ts';

const item = {
  type: 'object',
  required: ['name', 'price'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200 },
    price: { type: 'integer', minimum: 0, description: 'Unit price in pence' },
    quantity: { type: 'integer', minimum: 1, maximum: 1000, default: 1 },
  },
  additionalProperties: false,
} as const;

/** An order as `GET /api/orders/:id` answers it. */
export const orderSchema = {
  type: 'object',
  required: ['orderId', 'userId', 'status', 'items', 'total', 'version', 'createdAt', 'updatedAt'],
  properties: {
    orderId: { type: 'string' },
    userId: { type: 'string' },
    status: { type: 'string', enum: ['created', 'confirmed', 'shipped', 'delivered', 'cancelled'] },
    items: { type: 'array', items: item },
    total: { type: 'integer', description: 'Pence' },
    version: { type: 'integer' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

const commandResponses = (created: boolean) => ({
  [created ? 201 : 200]: acceptedSchema,
  202: pendingSchema,
  ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
});

const idempotencyHeader = {
  type: 'object',
  properties: {
    'idempotency-key': { type: 'string', description: 'Retries with the same key are one command' },
  },
} as const;

/** Order routes: place, read, list mine, cancel; operators also confirm, ship and deliver. */
export function orderRoutes(ports: CommandPorts, queries: ShopQueries, operators: boolean) {
  return async (app: FastifyInstance): Promise<void> => {
    app.post(
      '/api/orders',
      {
        schema: {
          summary: 'Place an order as myself',
          tags: ['orders'],
          security: bearerSecurity,
          headers: idempotencyHeader,
          body: {
            type: 'object',
            required: ['items'],
            properties: { items: { type: 'array', minItems: 1, maxItems: 100, items: item } },
            additionalProperties: false,
          },
          response: commandResponses(true),
        },
      },
      async (request, reply) => {
        const principal = principalOf(request);
        if ('operator' in principal)
          throw forbidden('operators have no orders of their own: send CreateOrder to POST /api/commands');
        const { items } = request.body as { items: unknown[] };
        return sendCommand(ports, request, reply, { type: 'CreateOrder', userId: principal.userId, items });
      },
    );

    app.get(
      '/api/orders',
      {
        config: { consistentWith: Projections.orders },
        schema: {
          summary: 'My orders, newest first (operators: everybody’s)',
          tags: ['orders'],
          security: bearerSecurity,
          response: {
            200: {
              type: 'object',
              required: ['orders'],
              properties: { orders: { type: 'array', items: orderSchema } },
            },
            ...problemResponses(401),
          },
        },
      },
      async (request) => {
        const principal = principalOf(request);
        return { orders: await queries.orders('userId' in principal ? principal.userId : undefined) };
      },
    );

    app.get(
      '/api/orders/:id',
      {
        config: { consistentWith: Projections.orders },
        schema: {
          summary: 'One of my orders: status, items, total, timestamps',
          tags: ['orders'],
          security: bearerSecurity,
          params: idParams,
          response: { 200: orderSchema, ...problemResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const order = await queries.order(id);
        if (order === undefined) return reply.problem('ORDER_NOT_FOUND', `no order ${id}`);
        requireSelfOrOperator(request, order.userId);
        return order;
      },
    );

    app.post(
      '/api/orders/:id/cancel',
      {
        schema: {
          summary: 'Cancel my order (before it ships)',
          tags: ['orders'],
          security: bearerSecurity,
          params: idParams,
          headers: idempotencyHeader,
          body: {
            type: ['object', 'null'],
            properties: { reason: { type: 'string', maxLength: 500 } },
            additionalProperties: false,
          },
          response: commandResponses(false),
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const reason = (request.body as { reason?: string } | null | undefined)?.reason;
        return sendCommand(ports, request, reply, {
          type: 'CancelOrder',
          orderId: id,
          ...(reason === undefined ? {} : { reason }),
        });
      },
    );

    if (!operators) return;
    for (const [step, type] of [
      ['confirm', 'ConfirmOrder'],
      ['ship', 'ShipOrder'],
      ['deliver', 'DeliverOrder'],
    ] as const) {
      app.post(
        `/api/orders/:id/${step}`,
        {
          schema: {
            summary: `Operators: ${step} an order`,
            tags: ['operator'],
            security: bearerSecurity,
            params: idParams,
            headers: idempotencyHeader,
            response: commandResponses(false),
          },
        },
        async (request, reply) => {
          requireOperator(request);
          const { id } = request.params as { id: string };
          return sendCommand(ports, request, reply, { type, orderId: id });
        },
      );
    }
  };
}
