import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DedupWindow, encodePositionToken, payloadHash, sha256Hex } from '@sluice/core';
import fc from 'fast-check';
import {
  decodeAggregateRecord,
  encodeAggregateRecord,
  type RememberedCommand,
  rememberedCommand,
} from './aggregate-state.ts';

const revision = () => 1;

/** What the processor's entries cache besides the fields that reach the wire. */
const CACHES = new Set(['encoded', 'text', 'textFirst', 'textCount']);

/** An entry's fields that reach the wire. */
const plain = (entry: object | undefined) =>
  Object.fromEntries(
    Object.entries(entry ?? {}).filter(([key, value]) => !CACHES.has(key) && value !== undefined),
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

test('a state record built from the window before it equals one built from every entry', () => {
  const ids = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g');
  const step = fc.record({
    commandId: ids,
    message: fc.option(fc.constantFrom('x', '["a",', 'a "b" ],["c"'), { nil: undefined }),
    // Several commands of one aggregate in a batch: only the last one's record is written.
    written: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(step, { maxLength: 40 }), fc.integer({ min: 1, max: 5 }), (steps, limit) => {
      let window: readonly RememberedCommand[] = [];
      for (const [version, { commandId, message, written }] of steps.entries()) {
        const remembered = rememberedCommand({ commandId, payloadHash: 'h', code: 'OK', version, message });
        remembered.eventOffset = String(version);
        window = DedupWindow.remember(window, remembered, limit);
        if (!written) continue;
        const entry = { state: { n: version }, version, window };
        const fresh = { ...entry, window: window.map((e) => rememberedCommand(e)) };
        assert.equal(
          encodeAggregateRecord('user', '7', entry, 1),
          encodeAggregateRecord('user', '7', fresh, 1),
        );
        // Written again (an aborted batch's state decided anew) it is still the same.
        assert.equal(
          encodeAggregateRecord('user', '7', entry, 1),
          encodeAggregateRecord('user', '7', fresh, 1),
        );
      }
    }),
    { numRuns: 500 },
  );
});
