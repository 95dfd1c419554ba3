import { sha1, toHex, utf8 } from './hash.ts';

/** Formats 16 bytes as a UUID string. */
function formatUuid(bytes: Uint8Array): string {
  const hex = toHex(bytes);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Parses a UUID string into its 16 bytes. */
function uuidBytes(uuid: string): Uint8Array {
  if (!UUID_PATTERN.test(uuid)) throw new TypeError(`not a UUID: ${uuid}`);
  const hex = uuid.replaceAll('-', '');
  const bytes = new Uint8Array(16);
  for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** A name-based UUID, version 5 (RFC 9562 §5.5: SHA-1 of namespace and UTF-8 name). */
export function uuidv5(namespace: string, name: string): string {
  const nameBytes = utf8(name);
  const input = new Uint8Array(16 + nameBytes.length);
  input.set(uuidBytes(namespace));
  input.set(nameBytes, 16);
  const bytes = sha1(input).slice(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  return formatUuid(bytes);
}

/** RFC 9562's DNS namespace. */
export const DNS_NAMESPACE = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';

/** Sluice's namespace: uuidv5(DNS_NAMESPACE, 'sluice.events'), fixed forever since ids derive from it. */
export const SLUICE_NAMESPACE = '93b7facd-1048-5e71-97a5-096ddd92b16c';

/** Namespace of creation ids, so they never collide with idempotency ids. */
export const CREATION_NAMESPACE = uuidv5(SLUICE_NAMESPACE, 'creation');

/** The command id of an HTTP request with an `Idempotency-Key`: the same key from the same principal is the same command. */
export function idempotencyCommandId(principal: string, key: string): string {
  return uuidv5(SLUICE_NAMESPACE, JSON.stringify([principal, key]));
}

/** The id of the aggregate a creating command makes when it names none: a retry creates the same one. */
export function creationId(commandId: string): string {
  return uuidv5(CREATION_NAMESPACE, commandId);
}

/** The command id of a record that carries none: its position in the log. */
export function recordCommandId(
  topicId: string,
  partition: number,
  offset: bigint | number | string,
): string {
  return `${topicId}/${partition}/${offset}`;
}
