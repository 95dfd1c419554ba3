import { type CommandPorts, sendCommand as sendCommandText } from '@sluice/http';
import type { FastifyReply, FastifyRequest } from 'fastify';

export { acceptedSchema, type CommandPorts, pendingSchema } from '@sluice/http';

/** Sends a command built by a shop route exactly as `POST /api/commands` would send its body. */
export function sendCommand(
  ports: CommandPorts,
  request: FastifyRequest,
  reply: FastifyReply,
  command: Readonly<Record<string, unknown>> & { readonly type: string },
): Promise<FastifyReply> {
  return sendCommandText(ports, request, reply, JSON.stringify(command));
}
