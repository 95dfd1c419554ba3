import { randomUUID } from 'node:crypto';
import { creationId, idempotencyCommandId } from '@sluice/core';
import { bearerSecurity, principalName, problemResponses } from '@sluice/http';
import type { FastifyInstance } from 'fastify';
import { Projections, type ShopQueries } from '../read-model.ts';
import { idParams, requireOperator } from './access.ts';
import { acceptedSchema, type CommandPorts, pendingSchema, sendCommand } from './send-command.ts';

const commandResponses = {
  200: acceptedSchema,
  201: acceptedSchema,
  202: pendingSchema,
  ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
};

/** Seat booking: operators create shows; anybody reads a seat map and books seats as themselves. */
export function showRoutes(ports: CommandPorts, queries: ShopQueries, operators: boolean) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get(
      '/api/shows/:id',
      {
        config: { consistentWith: Projections.shows },
        schema: {
          summary: 'A show’s seat map',
          tags: ['booking'],
          security: bearerSecurity,
          params: idParams,
          response: {
            200: {
              type: 'object',
              required: ['showId', 'seats', 'available', 'booked'],
              properties: {
                showId: { type: 'string' },
                seats: { type: 'integer' },
                available: { type: 'integer' },
                booked: {
                  type: 'object',
                  description: 'Seat number → holder',
                  additionalProperties: { type: 'string' },
                },
              },
            },
            ...problemResponses(401, 404),
          },
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        return (await queries.show(id)) ?? reply.problem('SHOW_NOT_FOUND', `no show ${id}`);
      },
    );

    app.post(
      '/api/shows/:id/bookings',
      {
        schema: {
          summary: 'Book seats as myself: all of them or none (409 SEAT_TAKEN)',
          tags: ['booking'],
          security: bearerSecurity,
          params: idParams,
          body: {
            type: 'object',
            required: ['seats'],
            properties: {
              seats: { type: 'array', minItems: 1, maxItems: 100, items: { type: 'integer', minimum: 1 } },
            },
            additionalProperties: false,
          },
          response: commandResponses,
        },
      },
      async (request, reply) => {
        const { id } = request.params as { id: string };
        const { seats } = request.body as { seats: number[] };
        return sendCommand(ports, request, reply, { type: 'BookSeats', showId: id, seats });
      },
    );

    if (!operators) return;
    app.post(
      '/api/shows',
      {
        schema: {
          summary: 'Operators: create a show with seats 1..seats',
          tags: ['operator', 'booking'],
          security: bearerSecurity,
          body: {
            type: 'object',
            required: ['seats'],
            properties: {
              showId: { type: 'string', minLength: 1, maxLength: 256 },
              seats: { type: 'integer', minimum: 1, maximum: 10_000 },
            },
            additionalProperties: false,
          },
          response: commandResponses,
        },
      },
      async (request, reply) => {
        const principal = requireOperator(request);
        const { showId, seats } = request.body as { showId?: string; seats: number };
        // Without a show id, a retry with the same Idempotency-Key must name the same show.
        const key = request.headers['idempotency-key'];
        const id =
          showId ??
          (typeof key === 'string'
            ? creationId(idempotencyCommandId(principalName(principal), key))
            : randomUUID());
        return sendCommand(ports, request, reply, { type: 'CreateShow', showId: id, seats });
      },
    );
  };
}
