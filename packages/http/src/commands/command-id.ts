import { randomUUID } from 'node:crypto';
import { checkId, ErrorCodes, idempotencyCommandId } from '@sluice/core';
import { HttpCodes } from '../problems/catalogue.ts';
import { HttpProblem } from '../problems/problem.ts';

const MAX_KEY_LENGTH = 256;
const PRINTABLE = /^[\x21-\x7e][\x20-\x7e]*$/;

/** A command body without a `commandId` of its own, and the id it is to have. */
export interface IdentifiedBody {
  readonly text: string | undefined;
  readonly commandId: string;
}

/**
 * Fixes the command id of an HTTP command. The key is the `Idempotency-Key` header or the body's
 * `commandId`; the id is `idempotencyCommandId(principal, key)`, so one principal can never reuse or
 * probe another's ids. Without a key the command gets a random id (a retry is a new command).
 */
export function identifyCommand(
  raw: string | undefined,
  principal: string,
  idempotencyKey: string | undefined,
): IdentifiedBody {
  if (
    idempotencyKey !== undefined &&
    (idempotencyKey.length > MAX_KEY_LENGTH || !PRINTABLE.test(idempotencyKey))
  )
    throw new HttpProblem(
      HttpCodes.INVALID_REQUEST,
      `Idempotency-Key must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters`,
      { details: { path: 'Idempotency-Key' } },
    );
  const body = parseObject(raw);
  let key = idempotencyKey;
  if (body !== undefined && body.commandId !== undefined && body.commandId !== null) {
    const fromBody = checkId(body.commandId, 'commandId');
    if (!fromBody.ok)
      throw new HttpProblem(ErrorCodes.INVALID_COMMAND, fromBody.issue.message, {
        details: { path: 'commandId' },
      });
    if (key !== undefined && key !== fromBody.value)
      throw new HttpProblem(ErrorCodes.INVALID_COMMAND, 'Idempotency-Key and the body commandId differ', {
        details: { path: 'commandId' },
      });
    key = fromBody.value;
  }
  const commandId = key === undefined ? randomUUID() : idempotencyCommandId(principal, key);
  // The id travels as the sluice-command-id header; the body is passed untouched unless it named one.
  if (body === undefined || !Object.hasOwn(body, 'commandId')) return { text: raw, commandId };
  const { commandId: _fromBody, ...rest } = body;
  return { text: JSON.stringify(rest), commandId };
}

function parseObject(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined; // decodeCommand reports MALFORMED_COMMAND with the parser's reason
  }
}
