/**
 * Errors with a stable `code`. Core knows no HTTP: each code carries a transport-neutral `kind`
 * that the HTTP layer maps to a status.
 */

/** How a failure should be treated by whoever reports it (HTTP maps kinds to statuses). */
export type ErrorKind =
  | 'malformed'
  | 'invalid'
  | 'too-large'
  | 'conflict'
  | 'forbidden'
  | 'not-found'
  | 'unauthorised'
  | 'unavailable'
  | 'rejected'
  | 'internal';

/** The framework's own codes, shared by every package. Domains add their own next to their deciders. */
export const ErrorCodes = {
  MALFORMED_COMMAND: 'MALFORMED_COMMAND',
  UNKNOWN_COMMAND: 'UNKNOWN_COMMAND',
  INVALID_COMMAND: 'INVALID_COMMAND',
  TOO_LARGE: 'TOO_LARGE',
  IDEMPOTENCY_CONFLICT: 'IDEMPOTENCY_CONFLICT',
  VERSION_CONFLICT: 'VERSION_CONFLICT',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL_ERROR: 'INTERNAL_ERROR',
  ROUTING_LOOP: 'ROUTING_LOOP',
  PROJECTION_BEHIND: 'PROJECTION_BEHIND',
  INVALID_TOKEN: 'INVALID_TOKEN',
  MALFORMED_EVENT: 'MALFORMED_EVENT',
  UNKNOWN_SCHEMA_VERSION: 'UNKNOWN_SCHEMA_VERSION',
  STATE_REVISION_MISMATCH: 'STATE_REVISION_MISMATCH',
  MALFORMED_STATE: 'MALFORMED_STATE',
  UNSERIALISABLE_STATE: 'UNSERIALISABLE_STATE',
} as const;

/** One of the framework's own error codes. */
export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

/** The catalogue: what each framework code means and how it is treated. */
export const errorCatalogue: Readonly<
  Record<ErrorCode, { readonly kind: ErrorKind; readonly title: string }>
> = {
  MALFORMED_COMMAND: {
    kind: 'malformed',
    title: 'The record is not a command (not a JSON object, or no type)',
  },
  UNKNOWN_COMMAND: { kind: 'invalid', title: 'No command of this type is registered' },
  INVALID_COMMAND: { kind: 'invalid', title: "The command's fields do not match its schema" },
  TOO_LARGE: { kind: 'too-large', title: 'The command is larger than 256 KB' },
  IDEMPOTENCY_CONFLICT: {
    kind: 'conflict',
    title: 'This command id was already used with a different payload',
  },
  VERSION_CONFLICT: { kind: 'conflict', title: 'The aggregate is not at the expected version' },
  FORBIDDEN: { kind: 'forbidden', title: 'The principal may not do this' },
  NOT_FOUND: { kind: 'not-found', title: 'No such resource' },
  INTERNAL_ERROR: { kind: 'internal', title: 'The command could not be handled because of a fault' },
  ROUTING_LOOP: { kind: 'internal', title: 'A forwarded command landed on the wrong partition again' },
  PROJECTION_BEHIND: { kind: 'unavailable', title: 'The read model has not caught up with the position yet' },
  INVALID_TOKEN: { kind: 'invalid', title: 'The position token cannot be read' },
  MALFORMED_EVENT: { kind: 'malformed', title: 'The record is not a readable event' },
  UNKNOWN_SCHEMA_VERSION: {
    kind: 'internal',
    title: 'The event has a schema version this code does not know',
  },
  STATE_REVISION_MISMATCH: {
    kind: 'internal',
    title: 'The stored state was written for another state revision',
  },
  MALFORMED_STATE: { kind: 'internal', title: 'The stored state cannot be read' },
  UNSERIALISABLE_STATE: { kind: 'internal', title: 'The state holds a value the state codec cannot encode' },
};

/** Options every Sluice error accepts. */
export interface SluiceErrorOptions {
  readonly details?: Readonly<Record<string, unknown>>;
  readonly kind?: ErrorKind;
  readonly cause?: unknown;
}

/** Base of every Sluice error: a stable `code`, a kind, and optional structured details. */
export class SluiceError extends Error {
  readonly code: string;
  readonly kind: ErrorKind;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.kind = options.kind ?? kindOf(code);
    this.details = options.details;
  }
}

/** A decider's rejection of a command: a result with a stable code, never a fault. */
export class DomainError extends SluiceError {
  constructor(code: string, message: string, options: SluiceErrorOptions = {}) {
    // A rejection is an outcome, not a fault: it has no stack trace. Capturing one (V8 walks the
    // whole stack) cost the processor as much as deciding a command.
    const engine = Error as { stackTraceLimit?: number | undefined };
    const limit = engine.stackTraceLimit;
    engine.stackTraceLimit = 0;
    try {
      super(code, message, options);
    } finally {
      engine.stackTraceLimit = limit;
    }
    this.name = 'DomainError';
  }
}

/** Throws a `DomainError`: the way a decider rejects a command. */
export function reject(code: string, message: string, options: SluiceErrorOptions = {}): never {
  throw new DomainError(code, message, options);
}

/** Whether a thrown value is a decider's rejection (as opposed to a bug). */
export function isDomainError(error: unknown): error is DomainError {
  return error instanceof DomainError;
}

/** The kind of a framework code; unknown (domain) codes are plain rejections. */
export function kindOf(code: string): ErrorKind {
  return Object.hasOwn(errorCatalogue, code) ? errorCatalogue[code as ErrorCode].kind : 'rejected';
}

/** The failure side of every codec result: never thrown, always returned. */
export interface Failure<Code extends string = string> {
  readonly ok: false;
  readonly code: Code;
  readonly message: string;
  /** Where in the input the problem is, e.g. `items[2].price`. */
  readonly path?: string;
}

/** Builds a `Failure`. */
export function failure<Code extends string>(code: Code, message: string, path?: string): Failure<Code> {
  return path === undefined ? { ok: false, code, message } : { ok: false, code, message, path };
}

/** Turns a returned failure into a throwable error, for callers that prefer exceptions. */
export function toError(result: Failure): SluiceError {
  return new SluiceError(
    result.code,
    result.message,
    result.path === undefined ? {} : { details: { path: result.path } },
  );
}
