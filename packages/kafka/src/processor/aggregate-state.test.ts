import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodePositionToken, payloadHash, sha256Hex } from '@sluice/core';
import { decodeAggregateRecord, encodeAggregateRecord } from './aggregate-state.ts';

const revision = () => 1;

/** An entry's fields that reach the wire (the processor's entries also cache their encoding). */
const plain = (entry: object | undefined) =>
  Object.fromEntries(
    Object.entries(entry ?? {}).filter(([key, value]) => key !== 'encoded' && value !== undefined),
  );

test('a state record keeps the whole window, compactly, and decodes to the same entries', () => {
  const window = [
    { commandId: 'c1', payloadHash: payloadHash('T', { a: 1 }), code: 'OK', version: 1, eventOffset: '41' },
    {
      commandId: 'c2',
      payloadHash: payloadHash('T', { a: 2 }),
      code: 'BAD',
      version: 1,
      message: 'no "quotes"',
    },
  ];
  const text = encodeAggregateRecord(
    'user',
    '7',
    { state: { name: 'Al' }, version: 1, window: window.map((entry) => ({ ...entry })) },
    1,
  );
  assert.ok(!text.includes('commandId'), 'entries are tuples, not objects');
  const decoded = decodeAggregateRecord(text, revision);
  assert.deepEqual(decoded.window.map(plain), window);
  assert.deepEqual(decoded.state, { ok: true, value: { name: 'Al' } });
  assert.equal(decoded.version, 1);
});

test('records of the first format (objects, hex hashes, position tokens) decode to the current entries', () => {
  const hex = sha256Hex('["T",{"a":1}]');
  const position = encodePositionToken([{ topic: 'user-events', partition: 3, offset: '99' }]);
  const old = JSON.stringify({
    type: 'user',
    id: '7',
    version: 2,
    state: JSON.parse(encodeAggregateRecord('user', '7', { state: {}, version: 2, window: [] }, 1)).state,
    window: [{ commandId: 'c1', payloadHash: hex, code: 'OK', version: 2, position }],
  });
  const [entry] = decodeAggregateRecord(old, revision).window;
  assert.deepEqual(plain(entry), {
    commandId: 'c1',
    payloadHash: payloadHash('T', { a: 1 }),
    code: 'OK',
    version: 2,
    eventOffset: '99',
  });
});

test('windows of no, one and many entries encode as JSON and decode to the same entries', () => {
  for (const size of [0, 1, 2, 32]) {
    const window = Array.from({ length: size }, (_, i) => ({
      commandId: `c${i}`,
      payloadHash: payloadHash('T', { i }),
      code: 'OK',
      version: i + 1,
      eventOffset: String(100 + i),
    }));
    const text = encodeAggregateRecord('user', '7', { state: { n: size }, version: size, window }, 1);
    const parsed = JSON.parse(text) as { w: unknown[]; version: number };
    assert.equal(parsed.w.length, size);
    assert.equal(parsed.version, size);
    const decoded = decodeAggregateRecord(text, revision);
    assert.deepEqual(decoded.window.map(plain), window.map(plain));
    assert.deepEqual(decoded.state, { ok: true, value: { n: size } });
  }
});
