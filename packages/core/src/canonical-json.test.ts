import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json.ts';

/** A copy with keys inserted in sorted order (and toJSON applied): canonical order at every level. */
function sortKeys(input: unknown): unknown {
  const toJson = (input as { toJSON?: unknown } | null | undefined)?.toJSON;
  const value = typeof toJson === 'function' ? toJson.call(input) : input;
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort())
      Object.defineProperty(out, key, {
        value: sortKeys((value as Record<string, unknown>)[key]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    return out;
  }
  return value;
}

/** The earlier implementation: the sorted copy, then JSON.stringify. */
function sortedCopyJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

const odd = fc.oneof(
  fc.constant(undefined),
  fc.constant(() => 1),
  fc.date({ noInvalidDate: true }),
  fc.double(),
  fc.constant(Number.NaN),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    fc.jsonValue(),
    odd,
    fc.array(tie('node'), { maxLength: 5 }),
    fc.dictionary(
      fc.oneof(
        fc.string(),
        fc.constantFrom('__proto__', 'toJSON', 'a', 'B', '1', '01', '10', '-1', '4294967295', '4294967294'),
      ),
      tie('node'),
      {
        maxKeys: 24,
      },
    ),
  ),
})).node;

test('canonicalJson writes what JSON.stringify writes for a sorted copy, for any value', () => {
  fc.assert(
    fc.property(value, (v) => assert.equal(canonicalJson(v), sortedCopyJson(v))),
    { numRuns: 5_000 },
  );
});

test('a value already in canonical order (one JSON.stringify) gives the same text as any other', () => {
  fc.assert(
    fc.property(value, (v) => assert.equal(canonicalJson(sortKeys(v)), sortedCopyJson(v))),
    { numRuns: 5_000 },
  );
  // Plain objects only: a prototype's enumerable keys or a toJSON method take the careful way.
  const withPrototype = Object.create({ inherited: 1 }) as Record<string, unknown>;
  withPrototype.own = 2;
  assert.equal(canonicalJson(withPrototype), '{"own":2}');
  assert.equal(canonicalJson({ a: { toJSON: () => ({ z: 1, b: 2 }) } }), '{"a":{"b":2,"z":1}}');
  assert.equal(
    canonicalJson({ 2: 'x', 10: 'y', a: [{ c: 1, b: 2 }] }),
    '{"2":"x","10":"y","a":[{"b":2,"c":1}]}',
  );
});
