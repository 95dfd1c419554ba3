import { type ErrorKind, errorCatalogue } from '@sluice/core';

/** How one error code is reported over HTTP. */
export interface ProblemEntry {
  readonly status: number;
  readonly title: string;
}

/** A code a domain declares: its kind (mapped to a status as in decision 0020) and a title. */
export interface DomainCodeEntry {
  readonly kind: ErrorKind;
  readonly title: string;
}

/** HTTP status of each error kind (decision 0020). */
export const statusOfKind: Readonly<Record<ErrorKind, number>> = {
  malformed: 400,
  invalid: 400,
  'too-large': 413,
  unauthorised: 401,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  rejected: 422,
  unavailable: 503,
  internal: 500,
};

/** Codes only the HTTP layer raises, plus codes of other packages that can reach a client. */
export const HttpCodes = {
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  RESERVED_PRINCIPAL: 'RESERVED_PRINCIPAL',
  INVALID_REQUEST: 'INVALID_REQUEST',
  MALFORMED_REQUEST: 'MALFORMED_REQUEST',
  INVALID_EVENT_ID: 'INVALID_EVENT_ID',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_READY: 'NOT_READY',
  COMMANDS_UNAVAILABLE: 'COMMANDS_UNAVAILABLE',
  OFFSET_CONFLICT: 'OFFSET_CONFLICT',
  VERSION_LAGGING: 'VERSION_LAGGING',
} as const;

const httpEntries: Readonly<Record<string, ProblemEntry>> = {
  UNAUTHENTICATED: {
    status: 401,
    title: 'A valid bearer token, session cookie or stream ticket is required',
  },
  RESERVED_PRINCIPAL: { status: 403, title: 'This user id is reserved for the system and operators' },
  INVALID_REQUEST: { status: 400, title: 'The request does not match the route schema' },
  MALFORMED_REQUEST: { status: 400, title: 'The request body is not valid JSON' },
  INVALID_EVENT_ID: { status: 400, title: 'Last-Event-ID is not a change-log position' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request body must be application/json' },
  RATE_LIMITED: { status: 429, title: 'Too many requests; retry later' },
  NOT_READY: { status: 503, title: 'A readiness check failed' },
  COMMANDS_UNAVAILABLE: { status: 503, title: 'The command could not be published; retry later' },
  OFFSET_CONFLICT: { status: 409, title: 'Another writer moved the projection offsets' },
  VERSION_LAGGING: { status: 409, title: 'The projection version is behind the active one' },
};

/** Status and title of a rejection code nobody declared: a decider said no. */
const UNDECLARED: ProblemEntry = { status: statusOfKind.rejected, title: 'The command was rejected' };

/**
 * The one error catalogue: core's codes (status from their kind), the HTTP layer's own codes and
 * codes the domains declare. Every error a client can see is described here.
 */
export class ErrorCatalogue {
  readonly #entries = new Map<string, ProblemEntry>();

  constructor(domainCodes: Readonly<Record<string, DomainCodeEntry>> = {}) {
    for (const [code, { kind, title }] of Object.entries(errorCatalogue))
      this.#entries.set(code, { status: statusOfKind[kind], title });
    for (const [code, entry] of Object.entries(httpEntries)) this.#entries.set(code, entry);
    for (const [code, { kind, title }] of Object.entries(domainCodes)) {
      const existing = this.#entries.get(code);
      // Domains reuse framework codes such as FORBIDDEN; they may not give them another status.
      if (existing !== undefined && existing.status !== statusOfKind[kind])
        throw new TypeError(`${code} is already a ${existing.status}; a domain cannot make it a ${kind}`);
      this.#entries.set(code, existing ?? { status: statusOfKind[kind], title });
    }
  }

  /** Status and title of a code; undeclared codes are rejections (422). */
  describe(code: string): ProblemEntry {
    return this.#entries.get(code) ?? UNDECLARED;
  }

  /** Whether the code is declared (as opposed to an undeclared rejection). */
  has(code: string): boolean {
    return this.#entries.has(code);
  }

  /** Every declared code with its entry, sorted by status then code (for docs and tests). */
  entries(): readonly (readonly [string, ProblemEntry])[] {
    return [...this.#entries].sort(([a, x], [b, y]) => x.status - y.status || (a < b ? -1 : 1));
  }
}
