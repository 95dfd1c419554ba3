import { encodeBase64url } from './base64url.ts';
import { sha256 } from './hash.ts';
import { defineOwn } from './own-property.ts';

/** JSON with object keys sorted at every level, so equal payloads give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(input: unknown): unknown {
  const toJson = (input as { toJSON?: unknown } | null | undefined)?.toJSON;
  const value = typeof toJson === 'function' ? toJson.call(input) : input;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const source = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(source).sort()) defineOwn(out, key, sortKeys(source[key]));
    return out;
  }
  return value;
}

/**
 * A stable hash of a command's type and normalised data: the same command hashes the same across
 * retries. The first 128 bits of SHA-256, base64url (22 characters): every aggregate keeps one per
 * remembered command, so the stored state stays small.
 */
export function payloadHash(type: string, data: unknown): string {
  return encodeBase64url(sha256(canonicalJson([type, data])).subarray(0, 16));
}
