import { ErrorCodes, SluiceError } from '@sluice/core';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { problemSchema } from '../openapi/schemas.ts';
import { ErrorCatalogue, HttpCodes } from './catalogue.ts';
import { HttpProblem, instanceOf, type Problem, problemFor, sendProblem } from './problem.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** The error catalogue every problem response is built from. */
    readonly problems: ErrorCatalogue;
  }
  interface FastifyReply {
    /** Answers with the problem for `code` (status and title from the catalogue). */
    problem(code: string, detail: string, extensions?: Readonly<Record<string, unknown>>): FastifyReply;
  }
}

/** Options of the problems plugin. */
export interface ProblemsOptions {
  readonly catalogue?: ErrorCatalogue;
}

// Fastify's own errors that a client can cause, by their code.
const FASTIFY_CODES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: ErrorCodes.TOO_LARGE,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: HttpCodes.UNSUPPORTED_MEDIA_TYPE,
  FST_ERR_CTP_EMPTY_JSON_BODY: HttpCodes.MALFORMED_REQUEST,
  FST_ERR_CTP_INVALID_JSON_BODY: HttpCodes.MALFORMED_REQUEST,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: HttpCodes.MALFORMED_REQUEST,
};

const BY_STATUS: Readonly<Record<number, string>> = {
  401: HttpCodes.UNAUTHENTICATED,
  403: ErrorCodes.FORBIDDEN,
  404: ErrorCodes.NOT_FOUND,
  413: ErrorCodes.TOO_LARGE,
  415: HttpCodes.UNSUPPORTED_MEDIA_TYPE,
  429: HttpCodes.RATE_LIMITED,
};

interface Mapped {
  readonly problem: Problem;
  readonly headers: Readonly<Record<string, string>>;
}

/** Maps anything thrown in a route to its problem; faults become a 500 that reveals nothing. */
export function problemOfError(catalogue: ErrorCatalogue, error: unknown, request: FastifyRequest): Mapped {
  const instance = instanceOf(request);
  // Sluice errors, and other packages' errors whose code is in the catalogue (OFFSET_CONFLICT…).
  const errorCode = (error as { code?: unknown }).code;
  if (error instanceof SluiceError || (typeof errorCode === 'string' && catalogue.has(errorCode))) {
    const { code, message, details } = error as SluiceError;
    const problem = problemFor(catalogue, code, message, instance, details ?? {});
    if (problem.status >= 500 && problem.status !== 503) return internal(catalogue, request, code);
    return { problem, headers: error instanceof HttpProblem ? error.headers : {} };
  }
  const fastifyError = error as Partial<FastifyError>;
  if (fastifyError.validation !== undefined) {
    const first = fastifyError.validation[0];
    const path = `${fastifyError.validationContext ?? ''}${first?.instancePath ?? ''}`;
    return {
      problem: problemFor(catalogue, HttpCodes.INVALID_REQUEST, fastifyError.message ?? 'invalid', instance, {
        path,
      }),
      headers: {},
    };
  }
  const status = fastifyError.statusCode ?? 500;
  const mapped =
    (fastifyError.code === undefined ? undefined : FASTIFY_CODES[fastifyError.code]) ??
    (status >= 400 && status < 500 ? (BY_STATUS[status] ?? HttpCodes.INVALID_REQUEST) : undefined);
  if (mapped === undefined) return internal(catalogue, request, ErrorCodes.INTERNAL_ERROR);
  return { problem: problemFor(catalogue, mapped, fastifyError.message ?? mapped, instance), headers: {} };
}

function internal(catalogue: ErrorCatalogue, request: FastifyRequest, code: string): Mapped {
  const detail = `The request failed because of a fault; it is logged as request ${request.id}`;
  return { problem: problemFor(catalogue, code, detail, instanceOf(request)), headers: {} };
}

async function problems(app: FastifyInstance, options: ProblemsOptions): Promise<void> {
  const catalogue = options.catalogue ?? new ErrorCatalogue();
  app.decorate('problems', catalogue);
  app.addSchema(problemSchema);
  app.decorateReply(
    'problem',
    function (
      this: FastifyReply,
      code: string,
      detail: string,
      extensions: Readonly<Record<string, unknown>> = {},
    ) {
      return sendProblem(this, problemFor(catalogue, code, detail, instanceOf(this.request), extensions));
    },
  );
  app.setErrorHandler((error, request, reply) => {
    const { problem, headers } = problemOfError(catalogue, error, request);
    if (problem.status >= 500) request.log.error({ err: error, code: problem.code }, 'request failed');
    else request.log.info({ code: problem.code, status: problem.status }, problem.detail);
    return sendProblem(reply, problem, headers);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.problem(ErrorCodes.NOT_FOUND, `no route ${request.method} ${instanceOf(request)}`),
  );
}

/** Error handling for the whole app: every error answers `application/problem+json` from one catalogue. */
export const problemsPlugin = fp(problems, { name: 'sluice-problems', fastify: '5.x' });
