import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type DedupEntry, encodePositionToken, payloadHash, sha256Hex } from '@sluice/core';
import { decodeAggregateRecord, encodeAggregateRecord, rememberedCommand } from './aggregate-state.ts';

const revision = () => 1;

/** An entry's fields that reach the wire (`seq` numbers a restored window's entries). */
const plain = (entry: object | undefined) =>
  Object.fromEntries(
    Object.entries(entry ?? {}).filter(([key, value]) => key !== 'seq' && value !== undefined),
  );

test('an aggregate record keeps the state, version and count, and no window', () => {
  const entry = rememberedCommand({ commandId: 'c1', payloadHash: 'h', code: 'OK', version: 1 });
  const text = encodeAggregateRecord(
    'user',
    '7',
    { state: { name: 'Al' }, version: 1, window: [entry], count: 5 },
    1,
  );
  assert.ok(!text.includes('c1'), 'window entries are records of their own');
  const decoded = decodeAggregateRecord(text, revision);
  assert.deepEqual(decoded.state, { ok: true, value: { name: 'Al' } });
  assert.equal(decoded.version, 1);
  assert.equal(decoded.count, 5);
  assert.deepEqual(decoded.window, []);
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

test('records of the second format (the window as tuples) decode to the same entries, numbered', () => {
  for (const size of [0, 1, 2, 32]) {
    const window: DedupEntry[] = Array.from({ length: size }, (_, i) => ({
      commandId: `c${i}`,
      payloadHash: payloadHash('T', { i }),
      code: i === 1 ? 'BAD' : 'OK',
      version: i + 1,
      ...(i === 1 ? { message: 'no "quotes"' } : { eventOffset: String(100 + i) }),
    }));
    const state = JSON.parse(
      encodeAggregateRecord('user', '7', { state: { n: size }, version: size, window: [] }, 1),
    );
    const w = window.map((e) => [
      e.commandId,
      e.payloadHash,
      e.version,
      e.code,
      e.eventOffset ?? null,
      ...(e.message ? [e.message] : []),
    ]);
    const decoded = decodeAggregateRecord(JSON.stringify({ ...state, n: undefined, w }), revision);
    assert.equal(decoded.count, undefined, 'an earlier format has no count');
    assert.deepEqual(decoded.window.map(plain), window);
    assert.deepEqual(
      decoded.window.map((e) => e.seq),
      window.map((_, i) => i + 1),
    );
    assert.deepEqual(decoded.state, { ok: true, value: { n: size } });
  }
});
