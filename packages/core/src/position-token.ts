import { decodeBase64url, encodeBase64url } from './base64url.ts';
import { ErrorCodes, type Failure, failure } from './errors.ts';
import { utf8 } from './hash.ts';

/** The offset of the last record a command wrote to one partition of an events topic. */
export interface PositionEntry {
  readonly topic: string;
  readonly partition: number;
  /** A decimal string: offsets are 64-bit. */
  readonly offset: string;
}

/** A read-your-writes token: sorted, one entry per topic/partition. */
export type PositionToken = readonly PositionEntry[];

/** A projection's stored progress for one partition: the offset it will read next. */
export interface NextOffset {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: string | number | bigint;
}

const TOKEN_VERSION = 1;
/** Tokens travel in URLs and headers; anything longer is not one of ours. */
export const MAX_TOKEN_LENGTH = 8192;
const OFFSET = /^(0|[1-9][0-9]{0,18})$/;
const decoder = new TextDecoder('utf-8', { fatal: true });

function keyOf(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

function normalise(entries: Iterable<PositionEntry>): PositionToken {
  const best = new Map<string, PositionEntry>();
  for (const entry of entries) {
    const key = keyOf(entry.topic, entry.partition);
    const current = best.get(key);
    if (current === undefined || BigInt(entry.offset) > BigInt(current.offset))
      best.set(key, { topic: entry.topic, partition: entry.partition, offset: entry.offset });
  }
  return [...best.values()].sort((a, b) =>
    a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1,
  );
}

/** A token from entries (the highest offset wins per partition). */
export function positionToken(entries: Iterable<PositionEntry>): PositionToken {
  return normalise(entries);
}

/** The merge of tokens: for each partition the highest offset. */
export function mergePositionTokens(...tokens: readonly PositionToken[]): PositionToken {
  return normalise(tokens.flat());
}

/** Encodes a token as base64url JSON `{"v":1,"p":[[topic,partition,offset],...]}`. */
export function encodePositionToken(token: PositionToken): string {
  const json = JSON.stringify({
    v: TOKEN_VERSION,
    p: normalise(token).map((e) => [e.topic, e.partition, e.offset]),
  });
  return encodeBase64url(utf8(json));
}

export type PositionTokenResult =
  | { readonly ok: true; readonly token: PositionToken }
  | Failure<'INVALID_TOKEN'>;

/** Decodes a token; anything else is `INVALID_TOKEN`, never an exception. */
export function decodePositionToken(text: string): PositionTokenResult {
  const invalid = (why: string) => failure(ErrorCodes.INVALID_TOKEN, `invalid position token: ${why}`);
  if (text.length === 0 || text.length > MAX_TOKEN_LENGTH) return invalid('empty or too long');
  const bytes = decodeBase64url(text);
  if (bytes === undefined) return invalid('not base64url');
  let body: unknown;
  try {
    body = JSON.parse(decoder.decode(bytes));
  } catch {
    return invalid('not JSON');
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return invalid('not an object');
  const { v, p } = body as { v?: unknown; p?: unknown };
  if (v !== TOKEN_VERSION) return invalid(`unsupported version ${String(v)}`);
  if (!Array.isArray(p)) return invalid('no entries');
  const entries: PositionEntry[] = [];
  for (const item of p) {
    if (!Array.isArray(item) || item.length !== 3)
      return invalid('an entry is not [topic, partition, offset]');
    const [topic, partition, offset] = item as unknown[];
    if (typeof topic !== 'string' || topic === '') return invalid('an entry has no topic');
    if (typeof partition !== 'number' || !Number.isSafeInteger(partition) || partition < 0)
      return invalid(`${topic}: bad partition`);
    if (typeof offset !== 'string' || !OFFSET.test(offset))
      return invalid(`${topic}/${partition}: bad offset`);
    entries.push({ topic, partition, offset });
  }
  return { ok: true, token: normalise(entries) };
}

/**
 * Whether a projection has caught up with a token: for every entry on a topic it consumes, its next
 * offset is greater than the entry's offset (a missing next offset counts as 0). Other topics are ignored.
 */
export function isSatisfiedBy(
  token: PositionToken,
  nextOffsets: Iterable<NextOffset>,
  consumedTopics: Iterable<string>,
): boolean {
  const consumed = new Set(consumedTopics);
  const next = new Map<string, bigint>();
  for (const row of nextOffsets) next.set(keyOf(row.topic, row.partition), BigInt(row.nextOffset));
  return token.every(
    (entry) =>
      !consumed.has(entry.topic) ||
      (next.get(keyOf(entry.topic, entry.partition)) ?? 0n) > BigInt(entry.offset),
  );
}
