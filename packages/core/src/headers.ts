/** Kafka record header names used by Sluice, and reading them whatever shape the client gives. */

export const Headers = {
  type: 'sluice-type',
  eventId: 'sluice-event-id',
  version: 'sluice-version',
  commandId: 'sluice-command-id',
  correlationId: 'sluice-correlation-id',
  causationId: 'sluice-causation-id',
  schema: 'sluice-schema',
  replyTo: 'sluice-reply-to',
  principal: 'sluice-principal',
  forwardedFrom: 'sluice-forwarded-from',
  originalSize: 'sluice-original-size',
  sha256: 'sluice-sha256',
  contentType: 'content-type',
  /** CloudEvents Kafka binary binding, accepted on input. */
  ceType: 'ce_type',
  ceId: 'ce_id',
  ceSource: 'ce_source',
  ceSpecVersion: 'ce_specversion',
  ceTime: 'ce_time',
} as const;

export const JSON_CONTENT_TYPE = 'application/json';

/** A header value as a client may hand it over. */
export type HeaderValue = string | Uint8Array;

/** Record headers: a map (as Kafka clients give them) or a plain object. */
export type HeaderInput =
  | ReadonlyMap<string | Uint8Array, HeaderValue>
  | Readonly<Record<string, HeaderValue | undefined>>;

const decoder = new TextDecoder('utf-8', { fatal: false });

function text(value: HeaderValue): string {
  return typeof value === 'string' ? value : decoder.decode(value);
}

/** The value of a header as text, or `undefined` when absent. The last occurrence wins. */
export function readHeader(headers: HeaderInput | undefined, name: string): string | undefined {
  if (headers === undefined) return undefined;
  if (headers instanceof Map) {
    // A command is read for up to nine headers, most often from an empty Map: no iterator for that,
    // and no entry array per header (forEach) for the others.
    if (headers.size === 0) return undefined;
    let found: HeaderValue | undefined;
    (headers as ReadonlyMap<string | Uint8Array, HeaderValue>).forEach((value, key) => {
      if (text(key) === name) found = value;
    });
    return found === undefined ? undefined : text(found);
  }
  const record = headers as Readonly<Record<string, HeaderValue | undefined>>;
  const value = Object.hasOwn(record, name) ? record[name] : undefined;
  return value === undefined ? undefined : text(value);
}
