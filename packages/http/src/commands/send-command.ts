import { type CommandRegistry, type CommandResult, decodeCommand, Headers, OK } from '@sluice/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { principalOf } from '../auth/auth-plugin.ts';
import { principalName } from '../auth/principal.ts';
import { recordCommand, type SluiceMetrics } from '../metrics/metrics.ts';
import { HttpCodes } from '../problems/catalogue.ts';
import { HttpProblem } from '../problems/problem.ts';
import { identifyCommand } from './command-id.ts';
import type { CommandSender } from './ports.ts';

/** What a command route sends through. */
export interface CommandPorts {
  readonly registry: CommandRegistry;
  readonly sender: CommandSender;
  readonly metrics?: SluiceMetrics;
  /** How long to wait for a result before answering 202. */
  readonly timeoutMs: number;
}

/** The success body of a command route: the ids, the new version and the position token. */
export const acceptedSchema = {
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

/** The 202 body when no result came within the wait. */
export const pendingSchema = {
  type: 'object',
  required: ['commandId', 'status'],
  properties: { commandId: { type: 'string' }, status: { const: 'pending' } },
} as const;

/**
 * Sends a command (its JSON text, flat or envelope) as the caller: `Idempotency-Key` gives the command
 * id (scoped to the principal), the principal header comes from the verified token, a rejection
 * becomes its problem, no result within the wait is 202 with a `Location`.
 */
export async function sendCommand(
  ports: CommandPorts,
  request: FastifyRequest,
  reply: FastifyReply,
  body: string | undefined,
): Promise<FastifyReply> {
  const principal = principalName(principalOf(request));
  const key = request.headers['idempotency-key'];
  const { text, commandId } = identifyCommand(body, principal, typeof key === 'string' ? key : undefined);
  const decoded = decodeCommand(
    text,
    { [Headers.principal]: principal },
    { registry: ports.registry, recordId: commandId },
  );
  if (!decoded.ok) {
    return reply.problem(
      decoded.code,
      decoded.message,
      decoded.path === undefined ? {} : { path: decoded.path },
    );
  }
  const started = performance.now();
  let outcome: Awaited<ReturnType<CommandSender['send']>>;
  try {
    outcome = await ports.sender.send(decoded.command, { timeoutMs: ports.timeoutMs });
  } catch (error) {
    request.log.error({ err: error, commandId }, 'publishing a command failed');
    throw new HttpProblem(HttpCodes.COMMANDS_UNAVAILABLE, 'the command could not be published; retry', {
      details: { commandId },
      cause: error,
    });
  }
  if (outcome.status === 'pending') {
    if (ports.metrics) recordCommand(ports.metrics, 'PENDING');
    return reply
      .code(202)
      .header('location', `/api/commands/${encodeURIComponent(outcome.commandId)}`)
      .send({ commandId: outcome.commandId, status: 'pending' });
  }
  const { result } = outcome;
  if (ports.metrics) recordCommand(ports.metrics, result.code, (performance.now() - started) / 1000);
  return answerResult(ports.registry, request, reply, result, decoded.command.type);
}

function answerResult(
  registry: CommandRegistry,
  request: FastifyRequest,
  reply: FastifyReply,
  result: CommandResult,
  commandType: string,
): FastifyReply {
  if (result.code !== OK) {
    const { status, title } = reply.server.problems.describe(result.code);
    // A fault's message is for the logs, not the client.
    const detail =
      status >= 500 && status !== 503
        ? `the command could not be handled because of a fault (command ${result.commandId})`
        : (result.message ?? title);
    if (status >= 500) request.log.error({ result }, 'command failed');
    return reply.problem(result.code, detail, { commandId: result.commandId });
  }
  const definition = registry.get(commandType);
  const body: Record<string, unknown> = {
    commandId: result.commandId,
    aggregateId: result.aggregateId,
    version: result.version ?? 0,
  };
  if (result.position !== undefined) body.position = result.position;
  if (definition?.creates === true && result.aggregateId !== undefined)
    body[definition.idField] = result.aggregateId;
  return reply.code(definition?.creates === true || result.version === 1 ? 201 : 200).send(body);
}
