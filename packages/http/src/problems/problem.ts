import { SluiceError, type SluiceErrorOptions } from '@sluice/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ErrorCatalogue } from './catalogue.ts';

/** Media type of every error body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Problem types are URNs: stable names that promise no web page. */
export const PROBLEM_TYPE_PREFIX = 'urn:sluice:problem:';

/** An RFC 9457 problem with Sluice's `code` and any extension members. */
export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: string;
  readonly instance: string;
  readonly [extension: string]: unknown;
}

/** Options of an {@link HttpProblem}: extension members and headers to send with it. */
export interface HttpProblemOptions extends SluiceErrorOptions {
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * An error meant for the client: its `code` is looked up in the catalogue for the status and title,
 * its message becomes `detail`, its `details` become extension members.
 */
export class HttpProblem extends SluiceError {
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: string, detail: string, options: HttpProblemOptions = {}) {
    super(code, detail, options);
    this.name = 'HttpProblem';
    this.headers = options.headers ?? {};
  }
}

const RESERVED_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'code', 'instance']);

/** The request path without its query string (queries may hold tickets, which must not echo back). */
export function instanceOf(request: FastifyRequest): string {
  const url = request.url;
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/** Builds the problem for a code, with the catalogue's status and title. */
export function problemFor(
  catalogue: ErrorCatalogue,
  code: string,
  detail: string,
  instance: string,
  extensions: Readonly<Record<string, unknown>> = {},
): Problem {
  const { status, title } = catalogue.describe(code);
  const extra = Object.fromEntries(Object.entries(extensions).filter(([key]) => !RESERVED_MEMBERS.has(key)));
  return { type: `${PROBLEM_TYPE_PREFIX}${code}`, title, status, detail, code, instance, ...extra };
}

/**
 * Sends a problem as exactly `application/problem+json` (RFC 8259 JSON has no charset parameter). It goes
 * as bytes: Fastify neither runs response schemas over it (they would strip extensions) nor adds a charset.
 */
export function sendProblem(
  reply: FastifyReply,
  problem: Problem,
  headers: Readonly<Record<string, string>> = {},
): FastifyReply {
  for (const [name, value] of Object.entries(headers)) reply.header(name, value);
  if (problem.status === 503 && !reply.hasHeader('retry-after')) reply.header('retry-after', '1');
  return reply
    .code(problem.status)
    .header('content-type', PROBLEM_CONTENT_TYPE)
    .send(Buffer.from(JSON.stringify(problem)));
}
