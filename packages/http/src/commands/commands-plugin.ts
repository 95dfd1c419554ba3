import {
  type CommandRegistry,
  type CommandResult,
  decodeCommand,
  ErrorCodes,
  Headers,
  MAX_COMMAND_BYTES,
  OK,
  toJsonSchema,
} from '@sluice/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/auth-plugin.ts';
import { isOperator, principalName } from '../auth/principal.ts';
import { recordCommand, type SluiceMetrics } from '../metrics/metrics.ts';
import { bearerSecurity, problemResponses } from '../openapi/schemas.ts';
import { HttpCodes } from '../problems/catalogue.ts';
import { HttpProblem } from '../problems/problem.ts';
import { identifyCommand } from './command-id.ts';
import type { CommandResultReader, CommandSender } from './ports.ts';

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

const accepted = {
  type: 'object',
  required: ['commandId', 'aggregateId', 'version'],
  properties: {
    commandId: { type: 'string' },
    aggregateId: { type: 'string' },
    version: { type: 'integer' },
    position: { type: 'string', description: 'Position token: pass as ?after= for read-your-writes' },
  },
  // The named id of a creating command, e.g. `orderId`.
  additionalProperties: { type: 'string' },
} as const;

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
          200: { description: 'Accepted', ...accepted },
          201: { description: 'Accepted; the command created its aggregate', ...accepted },
          202: {
            description: 'No result yet: poll the Location',
            type: 'object',
            required: ['commandId', 'status'],
            properties: { commandId: { type: 'string' }, status: { const: 'pending' } },
          },
          ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422, 503),
        },
      },
    },
    async (request, reply) => {
      const principal = principalName(principalOf(request));
      const key = request.headers['idempotency-key'];
      const { text, commandId } = identifyCommand(
        request.body as string | undefined,
        principal,
        typeof key === 'string' ? key : undefined,
      );
      const decoded = decodeCommand(
        text,
        { [Headers.principal]: principal },
        { registry, recordId: commandId },
      );
      if (!decoded.ok) {
        const path = decoded.path === undefined ? {} : { path: decoded.path };
        return reply.problem(decoded.code, decoded.message, path);
      }
      const started = performance.now();
      let outcome: Awaited<ReturnType<CommandSender['send']>>;
      try {
        outcome = await sender.send(decoded.command, { timeoutMs });
      } catch (error) {
        request.log.error({ err: error, commandId }, 'publishing a command failed');
        throw new HttpProblem(HttpCodes.COMMANDS_UNAVAILABLE, 'the command could not be published; retry', {
          details: { commandId },
          cause: error,
        });
      }
      if (outcome.status === 'pending') {
        if (metrics) recordCommand(metrics, 'PENDING');
        return reply
          .code(202)
          .header('location', `/api/commands/${encodeURIComponent(outcome.commandId)}`)
          .send({ commandId: outcome.commandId, status: 'pending' });
      }
      const { result } = outcome;
      if (metrics) recordCommand(metrics, result.code, (performance.now() - started) / 1000);
      return answerResult(request, reply, result, decoded.command.type);
    },
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

  function answerResult(
    request: FastifyRequest,
    reply: FastifyReply,
    result: CommandResult,
    commandType: string,
  ): FastifyReply {
    if (result.code !== OK) {
      const status = app.problems.describe(result.code).status;
      // A fault's message is for the logs, not the client.
      const detail =
        status >= 500 && status !== 503
          ? `the command could not be handled because of a fault (command ${result.commandId})`
          : (result.message ?? app.problems.describe(result.code).title);
      if (status >= 500) request.log.error({ result }, 'command failed');
      return reply.problem(result.code, detail, { commandId: result.commandId });
    }
    const definition = registry.get(commandType);
    const created = definition?.creates === true || result.version === 1;
    const body: Record<string, unknown> = {
      commandId: result.commandId,
      aggregateId: result.aggregateId,
      version: result.version ?? 0,
    };
    if (result.position !== undefined) body.position = result.position;
    if (definition?.creates === true && result.aggregateId !== undefined)
      body[definition.idField] = result.aggregateId;
    return reply.code(created ? 201 : 200).send(body);
  }
}

/** `POST /api/commands` and `GET /api/commands/:id`: the HTTP gateway to the command side. */
export const commandsPlugin = commands;
