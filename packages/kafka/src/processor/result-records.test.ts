import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePositionToken, encodePositionToken } from '@sluice/core';
import fc from 'fast-check';
import { singleEntryToken } from './result-records.ts';

test('a one-entry token is the text core encodes, and decodes to its entry', () => {
  fc.assert(
    fc.property(
      fc.string({ unit: 'grapheme', minLength: 1 }),
      fc.nat({ max: 2 ** 31 - 1 }),
      fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }),
      (topic, partition, offset) => {
        const token = singleEntryToken(topic, partition, String(offset));
        assert.equal(token, encodePositionToken([{ topic, partition, offset: String(offset) }]));
        assert.deepEqual(decodePositionToken(token), {
          ok: true,
          token: [{ topic, partition, offset: String(offset) }],
        });
      },
    ),
    { numRuns: 1_000 },
  );
});
