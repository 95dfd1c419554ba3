import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeState, encodeState } from './state-codec.ts';

const leaf = fc.oneof(
  fc.string(),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.date(),
);
const { value: stateValue } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    tie('array'),
    tie('object'),
    tie('map'),
    tie('set'),
  ),
  array: fc.array(tie('value'), { maxLength: 4 }),
  // Keys that look like the codec's own tags must survive too.
  object: fc.dictionary(
    fc.oneof(fc.string(), fc.constantFrom('$map', '$set', '$obj', '$num', '__proto__')),
    tie('value'),
    {
      maxKeys: 4,
      noNullPrototype: true,
    },
  ),
  map: fc.array(fc.tuple(tie('value'), tie('value')), { maxLength: 4 }).map((entries) => new Map(entries)),
  set: fc.array(tie('value'), { maxLength: 4 }).map((items) => new Set(items)),
}));

test('random states with Map, Set, Date, bigint and tricky numbers round-trip', () => {
  fc.assert(
    fc.property(stateValue, (state) => {
      const decoded = decodeState(encodeState(state, 3), 3);
      assert.ok(decoded.ok);
      assert.deepStrictEqual(decoded.state, state);
    }),
    { numRuns: 500 },
  );
});

test('plain JSON states (written as they are) round-trip, and what is not plain is still tagged', () => {
  fc.assert(
    fc.property(fc.jsonValue(), (state) => {
      const decoded = decodeState(encodeState(state, 1), 1);
      assert.ok(decoded.ok);
      assert.deepStrictEqual(decoded.state, state);
    }),
    { numRuns: 1_000 },
  );
  assert.equal(encodeState({ name: 'Al', n: [1, 2] }, 1), '{"revision":1,"state":{"name":"Al","n":[1,2]}}');
  for (const state of [{ n: -0 }, { $x: 1 }, [1, undefined, 3], { a: undefined }, { toJSON: 1 }]) {
    const decoded = decodeState(encodeState(state, 1), 1);
    assert.ok(decoded.ok);
    assert.deepStrictEqual(decoded.state, state);
  }
});

test('a typical aggregate state round-trips exactly', () => {
  const state = {
    status: 'open',
    holders: new Map([
      [1, 'alice'],
      [2, 'bob'],
    ]),
    tags: new Set(['x']),
    at: new Date('2024-01-02T03:04:05.006Z'),
    total: 2n ** 70n,
    odd: [-0, Number.NaN, Number.POSITIVE_INFINITY, undefined],
    $dollar: { $map: 1 },
  };
  const decoded = decodeState<typeof state>(encodeState(state, 1), 1);
  assert.deepStrictEqual(decoded, { ok: true, state });
});

test('another revision is a typed mismatch, not a misread; garbage is MALFORMED_STATE', () => {
  const decoded = decodeState(encodeState({ a: 1 }, 1), 2);
  assert.deepEqual(decoded, {
    ok: false,
    code: 'STATE_REVISION_MISMATCH',
    message: 'stored state has revision 1, the decider expects 2',
    found: 1,
    expected: 2,
  });
  for (const text of ['nope', '{}', '{"revision":"1","state":{}}', 'null']) {
    const result = decodeState(text, 1);
    assert.equal(result.ok ? 'ok' : result.code, 'MALFORMED_STATE', text);
  }
});

test('values the codec cannot encode are refused loudly', () => {
  class Cart {}
  for (const bad of [{ f: () => 1 }, { s: Symbol('x') }, { c: new Cart() }]) {
    assert.throws(() => encodeState(bad, 1), { code: 'UNSERIALISABLE_STATE' });
  }
});
