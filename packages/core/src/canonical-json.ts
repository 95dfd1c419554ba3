import { encodeBase64url } from './base64url.ts';
import { sha256 } from './hash.ts';

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
    for (const key of Object.keys(source).sort()) {
      // Plain assignment is much faster; only `__proto__` needs defining.
      if (key === '__proto__') defineOwn(out, key, sortKeys(source[key]));
      else out[key] = sortKeys(source[key]);
    }
    return out;
  }
  return value;
}

/** Sets an own property even for the key `__proto__` (plain assignment would change the prototype). */
export function defineOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * A stable hash of a command's type and normalised data: the same command hashes the same across
 * retries. The first 128 bits of SHA-256, base64url (22 characters): every aggregate keeps one per
 * remembered command, so the stored state stays small.
 */
export function payloadHash(type: string, data: unknown): string {
  return encodeBase64url(sha256(canonicalJson([type, data])).subarray(0, 16));
}
