import { ErrorCodes, type Failure, failure } from './errors.ts';
import { type HeaderInput, Headers, JSON_CONTENT_TYPE, readHeader } from './headers.ts';
import type { EventMetadata, RecordedEvent } from './messages.ts';
import type { Upcasters } from './upcasters.ts';

/** An event ready to produce to `<aggregate>-events`. */
export interface EncodedEvent {
  readonly key: string;
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** Encodes a recorded event: value = JSON payload, metadata in `sluice-*` headers. */
export function encodeEvent(event: RecordedEvent): EncodedEvent {
  const { metadata } = event;
  const headers: Record<string, string> = {
    [Headers.type]: event.type,
    [Headers.eventId]: metadata.eventId,
    [Headers.version]: String(metadata.version),
    [Headers.commandId]: metadata.commandId,
    [Headers.schema]: String(metadata.schemaVersion),
    [Headers.contentType]: JSON_CONTENT_TYPE,
  };
  if (metadata.correlationId !== undefined) headers[Headers.correlationId] = metadata.correlationId;
  if (metadata.causationId !== undefined) headers[Headers.causationId] = metadata.causationId;
  return { key: metadata.aggregateId, value: JSON.stringify(event.data), headers };
}

/** Where a record was read from: what the headers do not carry. */
export interface EventRecordContext {
  readonly key: string;
  readonly aggregateType: string;
  /** Kafka record timestamp, ms since epoch. */
  readonly timestamp?: number;
  /** When given, older schema versions are upcast to the current one. */
  readonly upcasters?: Upcasters;
}

export type EventDecodeResult =
  | { readonly ok: true; readonly event: RecordedEvent }
  | Failure<'MALFORMED_EVENT' | 'UNKNOWN_SCHEMA_VERSION'>;

const decoder = new TextDecoder('utf-8', { fatal: true });

function positiveInteger(text: string | undefined): number | undefined {
  if (text === undefined || !/^[0-9]{1,15}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= 1 ? n : undefined;
}

/** Decodes an event record, upcasting its payload when upcasters are given. Never throws. */
export function decodeEvent(
  value: Uint8Array | string | null | undefined,
  headers: HeaderInput | undefined,
  context: EventRecordContext,
): EventDecodeResult {
  const type = readHeader(headers, Headers.type);
  const eventId = readHeader(headers, Headers.eventId);
  const commandId = readHeader(headers, Headers.commandId);
  const version = positiveInteger(readHeader(headers, Headers.version));
  const schemaVersion = positiveInteger(readHeader(headers, Headers.schema) ?? '1');
  if (!type || !eventId || !commandId || version === undefined || schemaVersion === undefined)
    return failure(
      ErrorCodes.MALFORMED_EVENT,
      'the event record lacks a valid sluice-type, -event-id, -command-id, -version or -schema header',
    );
  if (value === null || value === undefined)
    return failure(ErrorCodes.MALFORMED_EVENT, `${type}: the record has no value`);
  let data: unknown;
  try {
    data = JSON.parse(typeof value === 'string' ? value : decoder.decode(value));
  } catch (error) {
    return failure(ErrorCodes.MALFORMED_EVENT, `${type}: the value is not UTF-8 JSON (${String(error)})`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return failure(ErrorCodes.MALFORMED_EVENT, `${type}: the value is not a JSON object`);
  let payload = data as Record<string, unknown>;
  let currentSchema = schemaVersion;
  if (context.upcasters !== undefined) {
    try {
      payload = context.upcasters.toCurrent(type, schemaVersion, payload);
      currentSchema = context.upcasters.currentVersion(type);
    } catch (error) {
      return failure(
        ErrorCodes.UNKNOWN_SCHEMA_VERSION,
        error instanceof Error ? error.message : String(error),
      );
    }
  }
  const metadata: { -readonly [K in keyof EventMetadata]: EventMetadata[K] } = {
    eventId,
    aggregateType: context.aggregateType,
    aggregateId: context.key,
    version,
    commandId,
    schemaVersion: currentSchema,
  };
  const correlationId = readHeader(headers, Headers.correlationId);
  if (correlationId !== undefined) metadata.correlationId = correlationId;
  const causationId = readHeader(headers, Headers.causationId);
  if (causationId !== undefined) metadata.causationId = causationId;
  if (context.timestamp !== undefined) metadata.recordedAt = context.timestamp;
  return { ok: true, event: { type, data: payload, metadata } };
}

/** The aggregate type of an events topic (`shop.order-events` with prefix `shop.` → `order`). */
export function aggregateTypeOfTopic(topic: string, prefix = ''): string | undefined {
  if (!topic.startsWith(prefix) || !topic.endsWith('-events')) return undefined;
  const name = topic.slice(prefix.length, -'-events'.length);
  return name === '' ? undefined : name;
}

/** The events topic of an aggregate type. */
export function eventsTopic(aggregateType: string, prefix = ''): string {
  return `${prefix}${aggregateType}-events`;
}
