import { encodeBase64url } from './base64url.ts';
import { sha256 } from './hash.ts';

/**
 * JSON with object keys sorted at every level, so equal payloads give equal text: what
 * `JSON.stringify` gives for a copy of `value` with its keys inserted in sorted order. Written in one
 * pass: sorted copies of every object cost the processor ~5 % of its allocations.
 */
export function canonicalJson(value: unknown): string {
  // Most values are in canonical order already (the schema check builds commands' data that way):
  // JSON.stringify then gives the same text in one native pass.
  if (inCanonicalOrder(value)) return JSON.stringify(value) ?? 'null';
  return writeValue(value) ?? 'null';
}

/**
 * Whether JSON.stringify gives `value`'s canonical JSON: every object plain (no toJSON, no prototype
 * but Object's) with its own keys already in canonical order. Reads keys with for…in, which makes no
 * array: own keys in the order Object.keys and JSON.stringify use, array indexes first, ascending.
 */
function inCanonicalOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!inCanonicalOrder(value[i])) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  const source = value as Record<string, unknown>;
  if (typeof source.toJSON === 'function') return false;
  let previous: string | undefined;
  for (const key in source) {
    if (!Object.hasOwn(source, key)) return false;
    if (previous === undefined && isArrayIndex(key)) {
      if (!inCanonicalOrder(source[key])) return false;
      continue;
    }
    if (previous !== undefined && !(previous < key)) return false;
    previous = key;
    if (!inCanonicalOrder(source[key])) return false;
  }
  return true;
}

/** `value` as canonical JSON, or undefined where JSON has no value for it (undefined, functions). */
function writeValue(input: unknown): string | undefined {
  const toJson = (input as { toJSON?: unknown } | null | undefined)?.toJSON;
  const value = typeof toJson === 'function' ? toJson.call(input) : input;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += `${i === 0 ? '' : ','}${writeValue(value[i]) ?? 'null'}`;
    return `${text}]`;
  }
  const source = value as Record<string, unknown>;
  const keys = sortInPlace(Object.keys(source));
  let text = '{';
  for (const key of keys) {
    const member = writeValue(source[key]);
    if (member !== undefined) text += `${text.length === 1 ? '' : ','}${JSON.stringify(key)}:${member}`;
  }
  return `${text}}`;
}

/**
 * The order of the keys of a copy made by inserting `keys` sorted: array indexes first, ascending (as
 * `Object.keys` already gives them), then the other keys by UTF-16 code units. A few keys (the usual
 * payload) are sorted by insertion, with no working copy.
 */
function sortInPlace(keys: string[]): string[] {
  let from = 0;
  while (from < keys.length && isArrayIndex(keys[from]!)) from++;
  if (keys.length - from > 16) {
    const rest = keys.slice(from).sort();
    for (let i = 0; i < rest.length; i++) keys[from + i] = rest[i]!;
    return keys;
  }
  for (let i = from + 1; i < keys.length; i++) {
    const key = keys[i]!;
    let j = i - 1;
    for (; j >= from && keys[j]! > key; j--) keys[j + 1] = keys[j]!;
    keys[j + 1] = key;
  }
  return keys;
}

function isArrayIndex(key: string): boolean {
  const first = key.charCodeAt(0);
  if (!(first >= 48 && first <= 57)) return false;
  const n = Number(key);
  return Number.isInteger(n) && n < 4294967295 && String(n) === key;
}

/**
 * A stable hash of a command's type and normalised data: the same command hashes the same across
 * retries. The first 128 bits of SHA-256, base64url (22 characters): every aggregate keeps one per
 * remembered command, so the stored state stays small.
 */
export function payloadHash(type: string, data: unknown): string {
  return encodeBase64url(sha256(canonicalJson([type, data])).subarray(0, 16));
}
