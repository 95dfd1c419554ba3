import { ErrorCodes, type Failure, failure, SluiceError } from './errors.ts';
import { defineOwn } from './own-property.ts';

/**
 * Aggregate state as JSON that round-trips Map, Set, Date, bigint, undefined, NaN, ±Infinity and -0.
 * Tagged values are one-key objects (`{"$map":[...]}`); a plain object with a `$` key is wrapped
 * (`{"$obj":{...}}`) so it can never be mistaken for a tag.
 */

interface StoredState {
  readonly revision: number;
  readonly state: unknown;
}

export type StateDecodeResult<S> =
  | { readonly ok: true; readonly state: S }
  | (Failure<'STATE_REVISION_MISMATCH'> & { readonly found: number; readonly expected: number })
  | Failure<'MALFORMED_STATE'>;

/** Encodes a state with the decider's state revision. Throws `UNSERIALISABLE_STATE` for functions, symbols, class instances. */
export function encodeState(state: unknown, revision: number): string {
  // The processor encodes a state with every command: most are plain JSON already, written as they are.
  const stored: StoredState = { revision, state: isPlainJson(state) ? state : toJson(state, '$') };
  return JSON.stringify(stored);
}

/**
 * Whether `toJson` would give back an equal copy of `value`: strings, booleans, finite numbers other
 * than -0, null, arrays without holes, and plain objects without `$` keys or toJSON methods, all the
 * way down. Reads keys with for…in, which makes no array.
 */
function isPlainJson(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0);
    case 'object': {
      if (value === null) return true;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (!(i in value) || !isPlainJson(value[i])) return false;
        return true;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return false;
      const source = value as Record<string, unknown>;
      for (const key in source) {
        if (!Object.hasOwn(source, key) || key.startsWith('$') || key === 'toJSON') return false;
        if (!isPlainJson(source[key])) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

/** Decodes a state; a different revision is a typed mismatch, so the caller rebuilds instead of misreading. */
export function decodeState<S>(text: string, expectedRevision: number): StateDecodeResult<S> {
  let stored: unknown;
  try {
    stored = JSON.parse(text);
  } catch (error) {
    return failure(ErrorCodes.MALFORMED_STATE, `stored state is not JSON: ${String(error)}`);
  }
  if (
    typeof stored !== 'object' ||
    stored === null ||
    !Number.isSafeInteger((stored as StoredState).revision)
  )
    return failure(ErrorCodes.MALFORMED_STATE, 'stored state has no revision');
  const { revision, state } = stored as StoredState;
  if (revision !== expectedRevision)
    return {
      ...failure(
        ErrorCodes.STATE_REVISION_MISMATCH,
        `stored state has revision ${revision}, the decider expects ${expectedRevision}`,
      ),
      found: revision,
      expected: expectedRevision,
    };
  try {
    return { ok: true, state: fromJson(state) as S };
  } catch (error) {
    return failure(ErrorCodes.MALFORMED_STATE, error instanceof Error ? error.message : String(error));
  }
}

function numberToJson(n: number): unknown {
  if (Number.isNaN(n)) return { $num: 'NaN' };
  if (n === Number.POSITIVE_INFINITY) return { $num: 'Infinity' };
  if (n === Number.NEGATIVE_INFINITY) return { $num: '-Infinity' };
  if (Object.is(n, -0)) return { $num: '-0' };
  return n;
}

function toJson(value: unknown, path: string): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return numberToJson(value);
    case 'bigint':
      return { $bigint: value.toString() };
    case 'undefined':
      return { $undefined: 1 };
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) return value.map((item, i) => toJson(item, `${path}[${i}]`));
      if (value instanceof Map)
        return {
          $map: [...value].map(([k, v], i) => [toJson(k, `${path}<key ${i}>`), toJson(v, `${path}<${i}>`)]),
        };
      if (value instanceof Set) return { $set: [...value].map((item, i) => toJson(item, `${path}<${i}>`)) };
      if (value instanceof Date) return { $date: Number.isNaN(value.getTime()) ? null : value.toISOString() };
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      const out: Record<string, unknown> = {};
      let escaped = false;
      for (const [key, item] of Object.entries(value)) {
        if (key.startsWith('$')) escaped = true;
        defineOwn(out, key, toJson(item, `${path}.${key}`));
      }
      return escaped ? { $obj: out } : out;
    }
  }
  throw new SluiceError(
    ErrorCodes.UNSERIALISABLE_STATE,
    `state value at ${path} cannot be encoded (${typeof value})`,
  );
}

const TAGS = new Set(['$num', '$bigint', '$undefined', '$map', '$set', '$date', '$obj']);

function fromJson(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromJson);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [tag, payload] = entries[0] ?? [];
  if (entries.length === 1 && tag !== undefined && TAGS.has(tag)) return fromTag(tag, payload);
  return plainObject(entries);
}

function plainObject(entries: [string, unknown][]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of entries) defineOwn(out, key, fromJson(item));
  return out;
}

function fromTag(tag: string, payload: unknown): unknown {
  switch (tag) {
    case '$num':
      return Number(payload);
    case '$bigint':
      return BigInt(String(payload));
    case '$undefined':
      return undefined;
    case '$date':
      return new Date(payload === null ? Number.NaN : String(payload));
    case '$map':
      return new Map((payload as [unknown, unknown][]).map(([k, v]) => [fromJson(k), fromJson(v)]));
    case '$set':
      return new Set((payload as unknown[]).map(fromJson));
    default:
      return plainObject(Object.entries(payload as Record<string, unknown>));
  }
}
