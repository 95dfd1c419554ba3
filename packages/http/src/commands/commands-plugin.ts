import { type CommandRegistry, ErrorCodes, MAX_COMMAND_BYTES, toJsonSchema } from '@sluice/core';
import type { FastifyInstance } from 'fastify';
import { principalOf } from '../auth/auth-plugin.ts';
import { isOperator, principalName } from '../auth/principal.ts';
import type { SluiceMetrics } from '../metrics/metrics.ts';
import { bearerSecurity, problemResponses } from '../openapi/schemas.ts';
import type { CommandResultReader, CommandSender } from './ports.ts';
import { acceptedSchema, pendingSchema, sendCommand } from './send-command.ts';

/** Options of the commands plugin. */
export interface CommandsOptions {
  readonly registry: CommandRegistry;
  readonly sender: CommandSender;
  readonly results: CommandResultReader;
  /** How long `POST /api/commands` waits for the result before answering 202. Default 5 s. */
  readonly timeoutMs?: number;
  /** Body limit in bytes; default (and at most) 256 KB, the command size limit. */
  readonly bodyLimit?: number;
  readonly metrics?: SluiceMetrics;
}

const resultSchema = {
  type: 'object',
  required: ['commandId', 'code'],
  properties: {
    commandId: { type: 'string' },
    code: { type: 'string', description: 'OK or the rejection code' },
    message: { type: 'string' },
    commandType: { type: 'string' },
    aggregateType: { type: 'string' },
    aggregateId: { type: 'string' },
    version: { type: 'integer' },
    position: { type: 'string' },
  },
} as const;

/** The request body as documented: one flat shape per registered command (envelopes are accepted too). */
function commandBodySchema(registry: CommandRegistry): Record<string, unknown> {
  return {
    description:
      'A command: flat fields as below, or an envelope {type, commandId?, expectedVersion?, payload, metadata?}',
    oneOf: registry.definitions().map((definition) => {
      const payload = toJsonSchema(definition.schema) as { properties: object; required: string[] };
      return {
        title: definition.type,
        type: 'object',
        required: ['type', ...payload.required],
        properties: {
          type: { const: definition.type },
          commandId: { oneOf: [{ type: 'string' }, { type: 'integer' }] },
          expectedVersion: { type: 'integer', minimum: 0 },
          ...payload.properties,
        },
      };
    }),
  };
}

async function commands(app: FastifyInstance, options: CommandsOptions): Promise<void> {
  const { registry, sender, results, metrics } = options;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const bodyLimit = Math.min(options.bodyLimit ?? MAX_COMMAND_BYTES, MAX_COMMAND_BYTES);
  // The raw text goes to decodeCommand, which is the validator: one set of rules for HTTP and Kafka.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_request, body, done) =>
    done(null, body),
  );

  app.post(
    '/api/commands',
    {
      bodyLimit,
      validatorCompiler: () => () => true,
      schema: {
        summary: 'Send a command and wait (bounded) for its result',
        tags: ['commands'],
        security: bearerSecurity,
        headers: {
          type: 'object',
          properties: {
            'idempotency-key': { type: 'string', description: 'Retries with the same key are one command' },
          },
        },
        body: commandBodySchema(registry),
        response: {
          200: { description: 'Accepted', ...acceptedSchema },
          201: { description: 'Accepted; the command created its aggregate', ...acceptedSchema },
          202: { description: 'No result yet: poll the Location', ...pendingSchema },
          ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) =>
      sendCommand(
        { registry, sender, timeoutMs, ...(metrics ? { metrics } : {}) },
        request,
        reply,
        request.body as string | undefined,
      ),
  );

  app.get(
    '/api/commands/:id',
    {
      schema: {
        summary: 'The result of one of my commands (operators: anybody’s)',
        tags: ['commands'],
        security: bearerSecurity,
        params: {
          type: 'object',
          required: ['id'],
          properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
        },
        response: { 200: resultSchema, ...problemResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params as { id: string };
      const result = await results.get(id);
      // Another principal's command answers exactly like a missing one: existence is not revealed.
      if (result === undefined || !(isOperator(principal) || result.principal === principalName(principal)))
        return reply.problem(ErrorCodes.NOT_FOUND, `no result for command ${id} (yet)`);
      return result;
    },
  );
}

/** `POST /api/commands` and `GET /api/commands/:id`: the HTTP gateway to the command side. */
export const commandsPlugin = commands;
