import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nodeHashes, portableHashes } from './fast-hashes.ts';

test('node:crypto hashes equal core portable ones for any payload and name', () => {
  fc.assert(
    fc.property(fc.string(), fc.jsonValue(), fc.string({ unit: 'grapheme' }), (type, data, name) => {
      assert.equal(nodeHashes.payload(type, data), portableHashes.payload(type, data));
      assert.equal(nodeHashes.eventId(name), portableHashes.eventId(name));
    }),
    { numRuns: 500 },
  );
});

test('an event id of a name longer than the scratch buffer equals the portable one', () => {
  for (const name of ['x'.repeat(4080), 'é'.repeat(2100), `user/${'9'.repeat(5000)}/1`]) {
    assert.equal(nodeHashes.eventId(name), portableHashes.eventId(name));
  }
});
