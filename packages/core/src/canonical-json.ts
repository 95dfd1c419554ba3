import { sha256Hex } from './hash.ts';

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
    for (const key of Object.keys(source).sort()) out[key] = sortKeys(source[key]);
    return out;
  }
  return value;
}

/** A stable hash of a command's type and normalised data: the same command hashes the same across retries. */
export function payloadHash(type: string, data: unknown): string {
  return sha256Hex(canonicalJson([type, data]));
}
