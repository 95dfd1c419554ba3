import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { codePoints, type Infer, s, toJsonSchema, validate } from './schema.ts';

const order = s.object({
  orderId: s.optional(s.id()),
  userId: s.id(),
  note: s.optional(s.string({ maxLength: 5 })),
  items: s.array(
    s.object({
      name: s.string({ minLength: 1 }),
      price: s.integer({ minimum: 0 }),
      quantity: s.optional(s.integer(), 1),
    }),
    { minItems: 1, maxItems: 3 },
  ),
  express: s.optional(s.boolean()),
  kind: s.optional(s.enum(['gift', 'plain'])),
  weight: s.optional(s.number({ maximum: 10 })),
});

test('valid payloads are normalised: ids to strings, defaults filled, unknown fields dropped', () => {
  const result = validate(order, { userId: 7, items: [{ name: 'tea', price: 250 }], extra: true });
  assert.deepEqual(result, {
    ok: true,
    value: { userId: '7', items: [{ name: 'tea', price: 250, quantity: 1 }] },
  });
  if (result.ok) {
    const typed: Infer<typeof order> = result.value;
    assert.equal(typed.items[0]?.quantity, 1);
  }
});

test('a checked object has its keys sorted, and reports the first failing field in declared order', () => {
  const result = validate(order, { weight: 2, userId: 7, items: [{ quantity: 2, price: 1, name: 't' }] });
  assert.ok(result.ok);
  const value = result.value as Record<string, unknown>;
  assert.deepEqual(Object.keys(value), ['items', 'userId', 'weight']);
  assert.deepEqual(Object.keys((value.items as object[])[0]!), ['name', 'price', 'quantity']);
  // userId is declared before items and weight, though it sorts after both.
  const bad = validate(order, { userId: [], items: 'no', weight: 99 });
  assert.equal(bad.ok ? undefined : bad.issue.path, 'userId');
  const badItems = validate(order, { userId: 1, items: 'no', weight: 99 });
  assert.equal(badItems.ok ? undefined : badItems.issue.path, 'items');
  const onlyWeight = validate(order, { userId: 1, items: [{ name: 't', price: 1 }], weight: 99 });
  assert.equal(onlyWeight.ok ? undefined : onlyWeight.issue.path, 'weight');
});

test('every kind of mismatch is reported with the path to the field', () => {
  const cases: [unknown, string, RegExp][] = [
    [{ items: [] }, 'userId', /userId is required/],
    [{ userId: 1e300, items: [] }, 'userId', /integer within/],
    [{ userId: -0.5, items: [] }, 'userId', /integer within/],
    [{ userId: {}, items: [] }, 'userId', /got an object/],
    [{ userId: [1], items: [] }, 'userId', /got an array/],
    [{ userId: '', items: [] }, 'userId', /non-empty string/],
    [{ userId: 1, items: [] }, 'items', /at least 1 items/],
    [{ userId: 1, items: [{ name: 'a', price: 1.5 }] }, 'items[0].price', /integer/],
    [{ userId: 1, items: [{ name: 'a', price: -1 }] }, 'items[0].price', /at least 0/],
    [{ userId: 1, items: [{ name: '', price: 1 }] }, 'items[0].name', /at least 1 characters/],
    [{ userId: 1, items: [1, 2, 3, 4] }, 'items', /at most 3 items/],
    [{ userId: 1, items: [{ name: 'a', price: 1 }], note: '😀😀😀😀😀😀' }, 'note', /at most 5/],
    [{ userId: 1, items: [{ name: 'a', price: 1 }], express: 'yes' }, 'express', /boolean/],
    [{ userId: 1, items: [{ name: 'a', price: 1 }], kind: 'fast' }, 'kind', /one of gift, plain/],
    [{ userId: 1, items: [{ name: 'a', price: 1 }], weight: 11 }, 'weight', /at most 10/],
    [{ userId: 1, items: [{ name: 'a', price: 1 }], weight: 'x' }, 'weight', /finite number/],
    ['text', '', /must be an object/],
  ];
  for (const [input, path, message] of cases) {
    const result = validate(order, input);
    assert.equal(result.ok, false, JSON.stringify(input));
    if (!result.ok) {
      assert.equal(result.issue.path, path, JSON.stringify(input));
      assert.match(result.issue.message, message);
    }
  }
});

test('string lengths count code points, so an emoji is one character', () => {
  assert.equal(validate(order, { userId: 1, items: [{ name: 'a', price: 1 }], note: '😀😀😀😀😀' }).ok, true);
});

test('describes itself as JSON Schema', () => {
  const json = toJsonSchema(order);
  assert.deepEqual((json as { required: string[] }).required, ['userId', 'items']);
  assert.deepEqual((json as { properties: Record<string, unknown> }).properties.kind, {
    type: 'string',
    enum: ['gift', 'plain'],
  });
});

test('string lengths count characters as the string iterator does, lone surrogates included', () => {
  const units = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc
      .array(fc.integer({ min: 0xd7f0, max: 0xe010 }), { maxLength: 12 })
      .map((codes) => String.fromCharCode(...codes)),
  );
  fc.assert(fc.property(units, (text) => codePoints(text) === [...text].length));
  const emoji = s.string({ minLength: 2, maxLength: 2 });
  assert.equal(validate(emoji, '😀😀').ok, true);
  assert.equal(validate(emoji, '😀').ok, false);
  assert.equal(validate(emoji, '\ud800\ud800').ok, true);
});
