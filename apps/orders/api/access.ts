import { forbidden, isOperator, type Principal, principalOf } from '@sluice/http';
import type { FastifyRequest } from 'fastify';

/** The caller, who must be `userId` themselves or an operator (403 otherwise). */
export function requireSelfOrOperator(request: FastifyRequest, userId: string): Principal {
  const principal = principalOf(request);
  if ('operator' in principal || principal.userId === userId) return principal;
  throw forbidden(`${principal.userId} may act only as themselves, not as ${userId}`);
}

/** The caller, who must be an operator (403 otherwise). */
export function requireOperator(request: FastifyRequest): Principal {
  const principal = principalOf(request);
  if (!isOperator(principal)) throw forbidden('only operators may do this');
  return principal;
}

/** The id parameter every `/:id` route declares. */
export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 256 } },
} as const;
