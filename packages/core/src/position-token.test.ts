import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { decodeBase64url, encodeBase64url } from './base64url.ts';
import {
  decodePositionToken,
  encodePositionToken,
  isSatisfiedBy,
  mergePositionTokens,
  type PositionToken,
  positionToken,
} from './position-token.ts';

const entry = fc.record({
  topic: fc.constantFrom('order-events', 'user-events', 'shop.show-events', 'événements-events'),
  partition: fc.integer({ min: 0, max: 11 }),
  offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
});

test('base64url agrees with Buffer and rejects what it cannot have produced', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const text = encodeBase64url(bytes);
      assert.equal(text, Buffer.from(bytes).toString('base64url'));
      assert.deepEqual(decodeBase64url(text), bytes);
    }),
  );
  assert.equal(decodeBase64url('a'), undefined);
  assert.equal(decodeBase64url('ab+/'), undefined);
  assert.equal(decodeBase64url('ab='), undefined);
  assert.equal(decodeBase64url('AB'), undefined); // non-zero leftover bits
});

test('tokens round-trip, normalised: sorted, one entry per partition with the highest offset', () => {
  fc.assert(
    fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
      const token = positionToken(entries);
      const decoded = decodePositionToken(encodePositionToken(token));
      assert.deepEqual(decoded, { ok: true, token });
      for (const e of entries) {
        const kept = token.find((t) => t.topic === e.topic && t.partition === e.partition);
        assert.ok(kept !== undefined && BigInt(kept.offset) >= BigInt(e.offset));
      }
    }),
  );
});

test('merge keeps the highest offset of each partition', () => {
  const a = positionToken([{ topic: 'order-events', partition: 1, offset: '10' }]);
  const b = positionToken([
    { topic: 'order-events', partition: 1, offset: '9' },
    { topic: 'user-events', partition: 0, offset: '3' },
  ]);
  assert.deepEqual(mergePositionTokens(a, b), [
    { topic: 'order-events', partition: 1, offset: '10' },
    { topic: 'user-events', partition: 0, offset: '3' },
  ]);
  assert.deepEqual(mergePositionTokens(), []);
});

test('satisfied iff next_offset > offset on every consumed topic; missing counts as 0; others ignored', () => {
  const token: PositionToken = positionToken([
    { topic: 'order-events', partition: 2, offset: '41' },
    { topic: 'user-events', partition: 0, offset: '0' },
  ]);
  const orders = ['order-events'];
  assert.equal(isSatisfiedBy(token, [{ topic: 'order-events', partition: 2, nextOffset: 42 }], orders), true);
  assert.equal(
    isSatisfiedBy(token, [{ topic: 'order-events', partition: 2, nextOffset: '41' }], orders),
    false,
  );
  assert.equal(
    isSatisfiedBy(token, [{ topic: 'order-events', partition: 3, nextOffset: 100n }], orders),
    false,
  );
  assert.equal(
    isSatisfiedBy(token, [], ['user-events']),
    false,
    'missing next offset counts as 0, and 0 > 0 is false',
  );
  assert.equal(
    isSatisfiedBy(token, [{ topic: 'user-events', partition: 0, nextOffset: 1 }], ['user-events']),
    true,
  );
  assert.equal(isSatisfiedBy(token, [], ['show-events']), true);
  assert.equal(isSatisfiedBy([], [], orders), true);
  const big = positionToken([{ topic: 'order-events', partition: 0, offset: '9007199254740993' }]);
  assert.equal(
    isSatisfiedBy(big, [{ topic: 'order-events', partition: 0, nextOffset: '9007199254740993' }], orders),
    false,
  );
  assert.equal(
    isSatisfiedBy(big, [{ topic: 'order-events', partition: 0, nextOffset: 9007199254740994n }], orders),
    true,
  );
});

test('bad tokens decode to INVALID_TOKEN, never an exception', () => {
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const bad = [
    '',
    '!!!',
    'x'.repeat(9000),
    Buffer.from('not json').toString('base64url'),
    b64([1]),
    b64({ v: 2, p: [] }),
    b64({ v: 1 }),
    b64({ v: 1, p: [['order-events', 0]] }),
    b64({ v: 1, p: [['', 0, '1']] }),
    b64({ v: 1, p: [['order-events', -1, '1']] }),
    b64({ v: 1, p: [['order-events', 0, 1]] }),
    b64({ v: 1, p: [['order-events', 0, '01']] }),
    b64({ v: 1, p: [['order-events', 0, '-1']] }),
    b64({ v: 1, p: [['order-events', 0, '99999999999999999999']] }),
  ];
  for (const text of bad) {
    const result = decodePositionToken(text);
    assert.equal(result.ok ? 'ok' : result.code, 'INVALID_TOKEN', text.slice(0, 60));
  }
  fc.assert(
    fc.property(fc.string(), (text) => {
      const result = decodePositionToken(text);
      assert.ok(result.ok || result.code === 'INVALID_TOKEN');
    }),
  );
});
