import { ErrorCodes, type Failure, failure } from './errors.ts';
import { type HeaderInput, Headers, JSON_CONTENT_TYPE, readHeader } from './headers.ts';
import { creationId } from './ids.ts';
import type { CommandMetadata, DecodedCommand } from './messages.ts';
import { defineOwn } from './own-property.ts';
import type { CommandRegistry, CommandTarget } from './registry.ts';
import { checkId, validate } from './schema.ts';

/** Commands larger than this (UTF-8 bytes of the record value) are rejected `TOO_LARGE`. */
export const MAX_COMMAND_BYTES = 256 * 1024;

/** A command decoded and routed, ready for its decider. */
export interface DecodedCommandRecord {
  readonly ok: true;
  readonly command: DecodedCommand;
  readonly target: CommandTarget;
}

/** Codes a command record can fail to decode with. */
export type CommandDecodeCode =
  | typeof ErrorCodes.MALFORMED_COMMAND
  | typeof ErrorCodes.UNKNOWN_COMMAND
  | typeof ErrorCodes.INVALID_COMMAND
  | typeof ErrorCodes.TOO_LARGE;

export type CommandDecodeResult = DecodedCommandRecord | Failure<CommandDecodeCode>;

export interface DecodeCommandOptions {
  readonly registry: CommandRegistry;
  /**
   * The id to use when the command carries none: `recordCommandId(topicId, partition, offset)`, or a
   * function giving it (called only for a command without an id).
   */
  readonly recordId?: string | (() => string);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(value: Uint8Array | string): { ok: true; body: unknown } | Failure<'MALFORMED_COMMAND'> {
  try {
    const text = typeof value === 'string' ? value : decoder.decode(value);
    return { ok: true, body: JSON.parse(text) };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return failure(ErrorCodes.MALFORMED_COMMAND, `the record value is not UTF-8 JSON: ${reason}`);
  }
}

/**
 * Decodes a `commands` record: flat JSON (`{"type":"UpdateUser","userId":1,...}`) or an envelope
 * (a top-level `payload` object). Never throws (fuzzed over random bytes): anything unusable is a
 * typed failure.
 */
export function decodeCommand(
  value: Uint8Array | string | null | undefined,
  headers: HeaderInput | undefined,
  options: DecodeCommandOptions,
): CommandDecodeResult {
  if (value === null || value === undefined)
    return failure(ErrorCodes.MALFORMED_COMMAND, 'the record has no value');
  const size = typeof value === 'string' ? encoder.encode(value).length : value.length;
  if (size > MAX_COMMAND_BYTES)
    return failure(
      ErrorCodes.TOO_LARGE,
      `the command is ${size} bytes, over the limit of ${MAX_COMMAND_BYTES}`,
    );
  const parsed = parseJson(value);
  if (!parsed.ok) return parsed;
  const body = parsed.body;
  if (!isObject(body)) return failure(ErrorCodes.MALFORMED_COMMAND, 'a command must be a JSON object');

  const envelope = isObject(body.payload);
  const type = resolveType(body, headers);
  if (!type.ok) return type;
  const definition = options.registry.get(type.value);
  if (definition === undefined)
    return failure(ErrorCodes.UNKNOWN_COMMAND, `unknown command type ${type.value}`);

  const metadataBody = envelope && isObject(body.metadata) ? body.metadata : {};
  const commandId = resolveCommandId(body, headers, options.recordId);
  if (!commandId.ok) return commandId;
  const expectedVersion = body.expectedVersion ?? undefined;
  if (
    expectedVersion !== undefined &&
    !(Number.isSafeInteger(expectedVersion) && (expectedVersion as number) >= 0)
  )
    return failure(
      ErrorCodes.INVALID_COMMAND,
      'expectedVersion must be a non-negative integer',
      'expectedVersion',
    );

  // A copy either way: the body's own object when flat (without the reserved fields), the payload's.
  const data: Record<string, unknown> = envelope
    ? { ...(body.payload as Record<string, unknown>) }
    : withoutReserved(body);
  const idValue = data[definition.idField];
  if ((idValue === undefined || idValue === null) && definition.creates === true)
    data[definition.idField] = creationId(commandId.value);
  const validated = validate(definition.schema, data);
  if (!validated.ok)
    return failure(
      ErrorCodes.INVALID_COMMAND,
      `${type.value}: ${validated.issue.message}`,
      validated.issue.path,
    );
  const normalised = validated.value as Record<string, unknown>;

  const metadata: Partial<Record<keyof CommandMetadata, unknown>> = { commandId: commandId.value };
  const principal = readHeader(headers, Headers.principal);
  if (principal !== undefined && principal !== '') metadata.principal = principal;
  const correlationId = stringOf(metadataBody.correlationId) ?? readHeader(headers, Headers.correlationId);
  if (correlationId !== undefined) metadata.correlationId = correlationId;
  const causationId = stringOf(metadataBody.causationId) ?? readHeader(headers, Headers.causationId);
  if (causationId !== undefined) metadata.causationId = causationId;
  if (expectedVersion !== undefined) metadata.expectedVersion = expectedVersion;
  const replyTo = Number(readHeader(headers, Headers.replyTo) ?? Number.NaN);
  if (Number.isSafeInteger(replyTo) && replyTo >= 0) metadata.replyTo = replyTo;

  return {
    ok: true,
    command: { type: type.value, data: normalised, metadata: metadata as CommandMetadata },
    target: { aggregateType: definition.aggregate, aggregateId: normalised[definition.idField] as string },
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const RESERVED = new Set(['type', 'commandId', 'expectedVersion']);

function withoutReserved(body: Record<string, unknown>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(body)) {
    if (RESERVED.has(key)) continue;
    // `__proto__` from JSON.parse is an own key: keep it one (assignment would set the prototype).
    defineOwn(data, key, body[key]);
  }
  return data;
}

function resolveType(
  body: Record<string, unknown>,
  headers: HeaderInput | undefined,
): { ok: true; value: string } | Failure<'MALFORMED_COMMAND'> {
  const header = readHeader(headers, Headers.ceType) ?? readHeader(headers, Headers.type);
  if (body.type !== undefined && typeof body.type !== 'string')
    return failure(ErrorCodes.MALFORMED_COMMAND, 'the command type must be a string', 'type');
  const type = body.type ?? header;
  if (type === undefined || type === '')
    return failure(ErrorCodes.MALFORMED_COMMAND, 'the command has no type (field "type" or header ce_type)');
  if (header !== undefined && header !== type)
    return failure(
      ErrorCodes.MALFORMED_COMMAND,
      `the type in the body (${type}) differs from the header (${header})`,
    );
  return { ok: true, value: type };
}

function resolveCommandId(
  body: Record<string, unknown>,
  headers: HeaderInput | undefined,
  recordId: string | (() => string) | undefined,
): { ok: true; value: string } | Failure<'INVALID_COMMAND' | 'MALFORMED_COMMAND'> {
  if (body.commandId !== undefined && body.commandId !== null) {
    const id = checkId(body.commandId, 'commandId');
    return id.ok ? id : failure(ErrorCodes.INVALID_COMMAND, id.issue.message, 'commandId');
  }
  const fromHeader =
    stringOf(readHeader(headers, Headers.commandId)) ?? stringOf(readHeader(headers, Headers.ceId));
  const id = fromHeader ?? (typeof recordId === 'function' ? recordId() : recordId);
  if (id === undefined)
    return failure(
      ErrorCodes.MALFORMED_COMMAND,
      'the command has no commandId and no record position to derive one',
    );
  return { ok: true, value: id };
}

/** A command ready to produce to `commands`: keyed by aggregate id, envelope JSON, Sluice headers. */
export interface EncodedCommand {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Encodes a command as an envelope record; the key routes it to its aggregate's partition. */
export function encodeCommand(
  command: DecodedCommand,
  options: { readonly registry: CommandRegistry },
): EncodedCommand {
  const { aggregateId } = options.registry.route(command);
  const { metadata } = command;
  const envelope: Record<string, unknown> = { type: command.type, commandId: metadata.commandId };
  if (metadata.expectedVersion !== undefined) envelope.expectedVersion = metadata.expectedVersion;
  envelope.payload = command.data;
  const headers: Record<string, string> = {
    [Headers.commandId]: metadata.commandId,
    [Headers.contentType]: JSON_CONTENT_TYPE,
  };
  if (metadata.principal !== undefined) headers[Headers.principal] = metadata.principal;
  if (metadata.correlationId !== undefined) headers[Headers.correlationId] = metadata.correlationId;
  if (metadata.causationId !== undefined) headers[Headers.causationId] = metadata.causationId;
  if (metadata.replyTo !== undefined) headers[Headers.replyTo] = String(metadata.replyTo);
  return { key: aggregateId, value: JSON.stringify(envelope), headers };
}
