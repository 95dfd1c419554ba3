import { defineOwn } from './own-property.ts';

/**
 * A tiny, zero-dependency schema for command payloads: it validates, normalises (ids become strings,
 * defaults are filled, unknown fields are dropped) and describes itself as JSON Schema for OpenAPI.
 */

/** A schema node; `T` is the type of a valid, normalised value. */
export type Schema<T = unknown> = SchemaNode & { readonly __output?: T };

type SchemaNode =
  | { readonly kind: 'string'; readonly minLength?: number; readonly maxLength?: number }
  | { readonly kind: 'integer'; readonly minimum?: number; readonly maximum?: number }
  | { readonly kind: 'number'; readonly minimum?: number; readonly maximum?: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'id' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'array'; readonly items: Schema; readonly minItems?: number; readonly maxItems?: number }
  | { readonly kind: 'object'; readonly fields: Readonly<Record<string, Schema>> }
  | { readonly kind: 'optional'; readonly inner: Schema; readonly default?: unknown };

/** The normalised type a schema accepts. */
export type Infer<S> = S extends { readonly __output?: infer T } ? T : never;

type OptionalSchema<T> = Schema<T> & { readonly kind: 'optional' };
type OptionalKeys<F> = { [K in keyof F]: F[K] extends { readonly kind: 'optional' } ? K : never }[keyof F];
type Simplify<T> = { [K in keyof T]: T[K] } & {};
type ObjectOutput<F extends Readonly<Record<string, Schema>>> = Simplify<
  { readonly [K in Exclude<keyof F, OptionalKeys<F>>]: Infer<F[K]> } & {
    readonly [K in OptionalKeys<F>]?: Infer<F[K]>;
  }
>;

interface LengthBounds {
  readonly minLength?: number;
  readonly maxLength?: number;
}
interface RangeBounds {
  readonly minimum?: number;
  readonly maximum?: number;
}

/** Schema builders. */
export const s = {
  /** A string; lengths count Unicode code points. */
  string: (bounds: LengthBounds = {}): Schema<string> => ({ kind: 'string', ...bounds }),
  /** A safe integer. */
  integer: (bounds: RangeBounds = {}): Schema<number> => ({ kind: 'integer', ...bounds }),
  /** A finite number. */
  number: (bounds: RangeBounds = {}): Schema<number> => ({ kind: 'number', ...bounds }),
  boolean: (): Schema<boolean> => ({ kind: 'boolean' }),
  /** An aggregate id: a safe integer (becomes its decimal string) or a non-empty string (kept as is). */
  id: (): Schema<string> => ({ kind: 'id' }),
  enum: <const V extends readonly string[]>(values: V): Schema<V[number]> => ({ kind: 'enum', values }),
  array: <T>(
    items: Schema<T>,
    bounds: { readonly minItems?: number; readonly maxItems?: number } = {},
  ): Schema<readonly T[]> => ({ kind: 'array', items, ...bounds }),
  object: <F extends Readonly<Record<string, Schema>>>(fields: F): Schema<ObjectOutput<F>> => ({
    kind: 'object',
    fields,
  }),
  /** A field that may be absent (or null). With a default, the default is filled in. */
  optional: <T>(inner: Schema<T>, defaultValue?: T): OptionalSchema<T> =>
    defaultValue === undefined
      ? { kind: 'optional', inner }
      : { kind: 'optional', inner, default: defaultValue },
};

/** One reason a value does not match, with the path to it (`items[2].price`). */
export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

/** The outcome of validating a value against a schema. */
export type SchemaResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issue: SchemaIssue };

/** Maximum length of an id string: ids are Kafka keys and table keys, not documents. */
export const MAX_ID_LENGTH = 256;

/** Validates and normalises a value; reports the first problem found. */
export function validate<T>(schema: Schema<T>, value: unknown, path = ''): SchemaResult<T> {
  return check(schema, value, path) as SchemaResult<T>;
}

function fail(path: string, message: string): SchemaResult<never> {
  return { ok: false, issue: { path, message } };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.slice(0, 40))}`;
  return `${typeof value} ${String(value)}`;
}

/** Characters as `[...text].length` counts them (a surrogate pair is one), without the array. */
export function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count--;
        i++;
      }
    }
  }
  return count;
}

function field(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function checkRange(path: string, n: number, schema: RangeBounds): SchemaResult<number> {
  if (schema.minimum !== undefined && n < schema.minimum)
    return fail(path, `must be at least ${schema.minimum}`);
  if (schema.maximum !== undefined && n > schema.maximum)
    return fail(path, `must be at most ${schema.maximum}`);
  return { ok: true, value: n };
}

function check(schema: Schema, value: unknown, path: string): SchemaResult<unknown> {
  const at = path === '' ? 'value' : path;
  switch (schema.kind) {
    case 'string': {
      if (typeof value !== 'string') return fail(path, `${at} must be a string, got ${describe(value)}`);
      const length = codePoints(value);
      if (schema.minLength !== undefined && length < schema.minLength)
        return fail(path, `${at} must have at least ${schema.minLength} characters`);
      if (schema.maxLength !== undefined && length > schema.maxLength)
        return fail(path, `${at} must have at most ${schema.maxLength} characters`);
      return { ok: true, value };
    }
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value))
        return fail(path, `${at} must be an integer within ±(2^53−1), got ${describe(value)}`);
      return checkRange(path, value, schema);
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value))
        return fail(path, `${at} must be a finite number, got ${describe(value)}`);
      return checkRange(path, value, schema);
    case 'boolean':
      return typeof value === 'boolean'
        ? { ok: true, value }
        : fail(path, `${at} must be a boolean, got ${describe(value)}`);
    case 'id':
      return checkId(value, path);
    case 'enum':
      return typeof value === 'string' && schema.values.includes(value)
        ? { ok: true, value }
        : fail(path, `${at} must be one of ${schema.values.join(', ')}, got ${describe(value)}`);
    case 'array': {
      if (!Array.isArray(value)) return fail(path, `${at} must be an array, got ${describe(value)}`);
      if (schema.minItems !== undefined && value.length < schema.minItems)
        return fail(path, `${at} must have at least ${schema.minItems} items`);
      if (schema.maxItems !== undefined && value.length > schema.maxItems)
        return fail(path, `${at} must have at most ${schema.maxItems} items`);
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        const item = check(schema.items, value[i], `${path}[${i}]`);
        if (!item.ok) return item;
        out.push(item.value);
      }
      return { ok: true, value: out };
    }
    case 'object':
      return checkObject(schema.fields, value, path);
    case 'optional':
      if (value === undefined || value === null) return { ok: true, value: schema.default };
      return check(schema.inner, value, path);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkObject(
  fields: Readonly<Record<string, Schema>>,
  value: unknown,
  path: string,
): SchemaResult<unknown> {
  if (!isPlainObject(value))
    return fail(path, `${path === '' ? 'value' : path} must be an object, got ${describe(value)}`);
  // Unknown fields are dropped, not rejected: foreign producers may add fields we do not know yet.
  // Checked in sorted key order, so the value is built with its keys in canonical JSON's order (its
  // payload hash is then one JSON.stringify); a failure is reported as in declared order.
  const { declared, sorted } = layoutOf(fields);
  const out: Record<string, unknown> = {};
  for (const [key, fieldSchema] of sorted) {
    const result = checkField(fieldSchema, value, key, path);
    if (!result.ok) return sorted === declared ? result : firstFailure(declared, value, path);
    if (result.value !== undefined) defineOwn(out, key, result.value);
  }
  return { ok: true, value: out };
}

function checkField(
  schema: Schema,
  value: Record<string, unknown>,
  key: string,
  path: string,
): SchemaResult<unknown> {
  const present = Object.hasOwn(value, key) ? value[key] : undefined;
  if (present === undefined && schema.kind !== 'optional')
    return fail(field(path, key), `${field(path, key)} is required`);
  return check(schema, present, field(path, key));
}

/** The first failing field in declared order (some field failed). */
function firstFailure(
  declared: readonly (readonly [string, Schema])[],
  value: Record<string, unknown>,
  path: string,
): SchemaResult<unknown> {
  for (const [key, fieldSchema] of declared) {
    const result = checkField(fieldSchema, value, key, path);
    if (!result.ok) return result;
  }
  throw new Error('firstFailure: no field failed');
}

/** An object schema's fields in declared order (the order failures are reported in) and sorted. */
interface FieldLayout {
  readonly declared: readonly (readonly [string, Schema])[];
  /** `declared` itself when already sorted. */
  readonly sorted: readonly (readonly [string, Schema])[];
}

const layouts = new WeakMap<object, FieldLayout>();

/** The layout of a `fields` object, worked out once. */
function layoutOf(fields: Readonly<Record<string, Schema>>): FieldLayout {
  let layout = layouts.get(fields);
  if (layout === undefined) {
    const declared = Object.entries(fields);
    const sorted = [...declared].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    layout = { declared, sorted: sorted.every(([key], i) => key === declared[i]?.[0]) ? declared : sorted };
    layouts.set(fields, layout);
  }
  return layout;
}

/** Normalises an id: safe integers become decimal strings, non-empty strings are kept as they are. */
export function checkId(value: unknown, path: string): SchemaResult<string> {
  const at = path === '' ? 'id' : path;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { ok: true, value: String(value) };
  if (typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH)
    return { ok: true, value };
  return fail(
    path,
    `${at} must be an integer within ±(2^53−1) or a non-empty string of at most ${MAX_ID_LENGTH} characters, got ${describe(value)}`,
  );
}

/** A JSON Schema (draft 2020-12 subset) describing the schema, for OpenAPI documents. */
export function toJsonSchema(schema: Schema): Record<string, unknown> {
  switch (schema.kind) {
    case 'string':
    case 'integer':
    case 'number':
    case 'boolean': {
      const { kind, ...bounds } = schema;
      return { type: kind, ...bounds };
    }
    case 'id':
      return { oneOf: [{ type: 'integer' }, { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH }] };
    case 'enum':
      return { type: 'string', enum: [...schema.values] };
    case 'array': {
      const { kind: _kind, items, ...bounds } = schema;
      return { type: 'array', items: toJsonSchema(items), ...bounds };
    }
    case 'object': {
      const entries = Object.entries(schema.fields);
      return {
        type: 'object',
        properties: Object.fromEntries(entries.map(([key, value]) => [key, toJsonSchema(value)])),
        required: entries.filter(([, value]) => value.kind !== 'optional').map(([key]) => key),
      };
    }
    case 'optional':
      return schema.default === undefined
        ? toJsonSchema(schema.inner)
        : { ...toJsonSchema(schema.inner), default: schema.default };
  }
}
