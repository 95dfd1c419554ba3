import { PROBLEM_CONTENT_TYPE } from '../problems/problem.ts';

/** JSON Schema of a problem body; extension members (`path`, `commandId`, `checks`) are allowed. */
export const problemSchema = {
  $id: 'Problem',
  type: 'object',
  description: 'RFC 9457 problem details with a stable Sluice `code`',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance'],
  properties: {
    type: { type: 'string', examples: ['urn:sluice:problem:VERSION_CONFLICT'] },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string', examples: ['VERSION_CONFLICT'] },
    instance: { type: 'string', examples: ['/api/commands'] },
  },
  additionalProperties: true,
} as const;

const DESCRIPTIONS: Readonly<Record<number, string>> = {
  400: 'Malformed or invalid request (MALFORMED_REQUEST, INVALID_REQUEST, INVALID_COMMAND, INVALID_TOKEN…)',
  401: 'No valid credentials (UNAUTHENTICATED)',
  403: 'The principal may not do this (FORBIDDEN, RESERVED_PRINCIPAL)',
  404: 'No such resource, or not yours (NOT_FOUND)',
  409: 'Conflict (VERSION_CONFLICT, IDEMPOTENCY_CONFLICT, domain conflicts)',
  413: 'Body over 256 KB (TOO_LARGE)',
  415: 'Body is not application/json (UNSUPPORTED_MEDIA_TYPE)',
  422: 'A decider rejected the command (its domain code)',
  429: 'Too many requests (RATE_LIMITED)',
  500: 'A fault (INTERNAL_ERROR); the detail names the request id in the logs',
  503: 'Not available yet (PROJECTION_BEHIND, NOT_READY, COMMANDS_UNAVAILABLE); see Retry-After',
};

/** Response entries documenting problem+json answers for the given statuses (500 is always listed). */
export function problemResponses(...statuses: readonly number[]): Record<string, unknown> {
  const responses: Record<string, unknown> = {};
  for (const status of [...statuses, 500])
    responses[String(status)] = {
      description: DESCRIPTIONS[status] ?? 'Problem',
      content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: 'Problem#' } } },
    };
  return responses;
}

/** The security requirement of routes that need a bearer token. */
export const bearerSecurity = [{ bearer: [] }] as const;
