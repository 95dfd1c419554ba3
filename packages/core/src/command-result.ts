import { ErrorCodes } from './errors.ts';

/** The code of an accepted command; anything else is a rejection code. */
export const OK = 'OK';

/**
 * What became of a command: written to `command-results` and projected into `command_results`.
 * `position` is the encoded position token of the events it wrote (absent when it wrote none).
 */
export interface CommandResult {
  readonly commandId: string;
  readonly code: string;
  readonly message?: string;
  readonly commandType?: string;
  readonly aggregateType?: string;
  readonly aggregateId?: string;
  /** The aggregate's version after the command (unchanged for a rejection). */
  readonly version?: number;
  readonly position?: string;
  readonly principal?: string;
}

/** Whether a result is an acceptance. */
export function isAccepted(result: CommandResult): boolean {
  return result.code === OK;
}

/** Encodes a result as the JSON value of a `command-results` record. */
export function encodeCommandResult(result: CommandResult): string {
  return JSON.stringify(result);
}

/** Decodes a `command-results` record value; `undefined` when it is not a result. */
export function decodeCommandResult(text: string): CommandResult | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const result = value as Record<string, unknown>;
  if (typeof result.commandId !== 'string' || typeof result.code !== 'string') return undefined;
  return value as CommandResult;
}

/** Rejection codes that mean "this was never a command", as opposed to a decision. */
export const UNDECODABLE_CODES: ReadonlySet<string> = new Set([
  ErrorCodes.MALFORMED_COMMAND,
  ErrorCodes.UNKNOWN_COMMAND,
  ErrorCodes.INVALID_COMMAND,
  ErrorCodes.TOO_LARGE,
]);
